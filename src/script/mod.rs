//! Scripts as text and as compiled versions: parsing, the outline that
//! compares versions function by function, top-level constants, building a
//! version whole or as a patch, and script errors.
//!
//! Nothing here touches a `World`: a version compiles, patches and reports
//! errors with an [`Engine`](rhai::Engine) alone, so it can be tested and
//! reused without an app.

mod compiled;
pub(crate) mod constants;
mod error;
pub mod hooks;
pub(crate) mod modules;
pub(crate) mod outline;
pub(crate) mod parallel;
pub(crate) mod saved;
pub mod timers;

pub(crate) use compiled::hash_of;
pub use compiled::{CompiledScript, ParsedScript};
pub(crate) use error::{STACK_EXHAUSTED, is_stack_exhausted};
pub use error::{ScriptError, ScriptLocation};
pub use hooks::handler_name;
pub(crate) use parallel::QueryNames;
pub use parallel::UpdatePhase;
