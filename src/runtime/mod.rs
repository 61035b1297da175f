//! Scripts running on entities: their state, when they start and detach,
//! new versions going live, and calling their functions.
//!
//! Inside, imports point one way: `state`, `current_errors` ← `dispatch` ←
//! `update`, `reload` ← `lifecycle`.

pub(crate) mod current_errors;
pub(crate) mod dispatch;
pub(crate) mod lifecycle;
pub(crate) mod reload;
mod script_event;
mod state;
pub(crate) mod update;

pub use current_errors::{CurrentScriptErrors, ErrorPlace};
pub use reload::{ReloadKind, ScriptReloaded};
pub use script_event::ScriptEvent;
pub use state::{PropValue, Script, ScriptState};
pub use update::ParallelUpdate;
