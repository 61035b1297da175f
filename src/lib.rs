//! Entity behaviour in [Rhai](https://rhai.rs) scripts that you edit while
//! the game runs: no restart, no lost state.
//!
//! - [`RhaiPlugin`] loads `.rhai` files as [`RhaiScript`] assets, compiled
//!   once per version and shared by every entity that uses them.
//! - A [`Script`] component attaches scripts to an entity. Each (entity,
//!   script) pair keeps its own state: the script's top-level `let`
//!   variables, in a [`ScriptState`] component.
//! - Saving a script reloads it for every entity using it; state is kept.
//!   When only functions changed, just those are patched in; a
//!   [`ScriptReloaded`] message says what changed. An edit that does not
//!   compile is reported as a [`ScriptError`] naming file, line and column,
//!   and the last good version keeps running. Add [`FastScriptReload`]
//!   before `DefaultPlugins` for saves to go live in about 15 ms instead of
//!   Bevy's 300 ms file debounce.
//! - `on_update(dt)` runs every frame; entity events ([`RhaiAppExt`]) and
//!   [`ScriptEvent`] messages run `on_<name>` handlers. Scripts act on the ECS
//!   through the functions listed in [`ecs_api`].
//!
//! # Quick start
//!
//! ```
//! use bevy::prelude::*;
//! use bevy_rhai_hot::prelude::*;
//!
//! fn main() {
//!     let mut app = App::new();
//! #   /*
//!     app.add_plugins(DefaultPlugins);
//! #   */
//! #   app.add_plugins((MinimalPlugins, AssetPlugin::default()));
//!     app.add_plugins(RhaiPlugin::default())
//!         .add_systems(Startup, spawn_mover);
//! #   app.finish();
//! #   app.cleanup();
//! #   app.update();
//! #   /*
//!     app.run();
//! #   */
//! }
//!
//! fn spawn_mover(mut commands: Commands, assets: Res<AssetServer>) {
//!     // assets/scripts/mover.rhai:
//!     //     let speed = 2.0;
//!     //     fn on_update(dt) {
//!     //         let t = transform();
//!     //         t.translation.x += speed * dt;
//!     //         set_transform(t);
//!     //     }
//!     commands.spawn((Script::new(assets.load("scripts/mover.rhai")), Transform::default()));
//! }
//! ```
//!
//! # Script lifecycle
//!
//! | When | Rhai runs |
//! |---|---|
//! | a version compiles | its top-level code, once (not per entity): it sets constants and the initial values of state variables |
//! | the script first runs on an entity | `init()` |
//! | every frame | `on_update(dt)` |
//! | an event named `hit` reaches the entity | `on_hit(payload)` |
//! | an edit changed the script (a patch or a replace) | `on_reload(changes)`, state kept |
//! | the script leaves the entity | `on_detach()` |
//!
//! Every handler is optional and may omit its parameter.

mod asset;
mod component;
mod constants;
mod context;
mod dispatch;
pub mod ecs_api;
mod engine;
mod error;
mod events;
mod outline;
mod plugin;
mod reload;
mod watcher;

pub use asset::{CompiledScript, ParsedScript, RhaiScript};
pub use component::{Script, ScriptState};
pub use context::with_script_world;
pub use engine::{EngineSetup, RhaiEngine, ScriptLimits};
pub use error::{ScriptError, ScriptLocation};
pub use events::{RhaiAppExt, ScriptEvent, handler_name};
pub use plugin::{RhaiPlugin, RhaiSystems};
pub use reload::{ReloadKind, ScriptReloaded};
/// Rhai itself, for registering functions and building payloads.
pub use rhai;
pub use watcher::FastScriptReload;

/// Everything a typical app needs: `use bevy_rhai_hot::prelude::*;`.
pub mod prelude {
    pub use crate::{
        FastScriptReload, ReloadKind, RhaiAppExt, RhaiEngine, RhaiPlugin, RhaiScript, RhaiSystems,
        Script, ScriptError, ScriptEvent, ScriptLimits, ScriptReloaded, ScriptState,
        with_script_world,
    };
}

/// The README's code blocks, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
