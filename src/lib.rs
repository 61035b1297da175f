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
//!   through the functions listed in [`api`], in groups the app chooses:
//!   any reflected component or resource by name ([`api::ecs`]), queries,
//!   spawning, timers, events to other scripts and to Rust.
//! - Scripts share code with Rhai's `import "lib/steering" as steer;`:
//!   modules load through the asset server, compile once per version, and
//!   an edit of a module reaches every script that imports it (see the
//!   README's Modules section).
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
//! | a timer set with `after(secs, "name")` or `every(..)` comes due | `name()` or `name(payload)` |
//! | an edit changed the script (a patch or a replace) | `on_reload(changes)`, state kept |
//! | the script leaves the entity | `on_detach()` |
//!
//! Every handler is optional and may omit its parameter.
//!
//! # How the crate is laid out
//!
//! Along the path a script takes, each layer importing only the layers
//! above it:
//!
//! ```text
//! script    text → compiled version: parse, outline, constants, modules, patch, errors   (no World)
//!   ↑
//! engine    the Rhai engine, its limits, the call context that lends the ECS
//!   ↑
//! asset     .rhai files as assets: loader, imported modules, live version per path, FastScriptReload
//!   ↑
//! runtime   scripts on entities: state, start and detach, reload, dispatch
//!   ↑
//! api       the functions scripts call, one file per group (ScriptApi)
//!   ↑
//! events    Bevy events and messages to and from scripts
//!   ↑
//! plugin    RhaiPlugin: configuration, systems, the engine's set-ups
//!   ↑
//! overlay   ScriptErrorOverlay: the current errors on screen (feature `overlay`)
//! ```

pub mod api;
mod asset;
mod engine;
mod events;
#[cfg(feature = "overlay")]
mod overlay;
mod plugin;
mod runtime;
mod script;

pub use api::{ScriptAccess, ScriptApi, SpawnedByScript};
pub use asset::{FastScriptReload, RhaiScript};
pub use engine::{
    EngineSetup, RhaiEngine, ScriptLimits, script_entity, with_script_commands, with_script_entity,
    with_script_world,
};
pub use events::RhaiAppExt;
#[cfg(feature = "overlay")]
pub use overlay::{OVERLAY_BACKGROUND, ScriptErrorOverlay, ScriptErrorOverlayRoot};
pub use plugin::{RhaiPlugin, RhaiSystems};
/// Rhai itself, for registering functions and building payloads.
pub use rhai;
pub use runtime::{
    CurrentScriptErrors, ErrorPlace, ParallelUpdate, PropValue, ReloadKind, Script, ScriptEvent,
    ScriptReloaded, ScriptState,
};
pub use script::{
    CompiledScript, ParsedScript, ScriptError, ScriptLocation, UpdatePhase, handler_name, hooks,
};

/// Everything a typical app needs: `use bevy_rhai_hot::prelude::*;`.
pub mod prelude {
    pub use crate::{
        CurrentScriptErrors, FastScriptReload, ParallelUpdate, PropValue, ReloadKind, RhaiAppExt,
        RhaiEngine, RhaiPlugin, RhaiScript, RhaiSystems, Script, ScriptAccess, ScriptApi,
        ScriptError, ScriptEvent, ScriptLimits, ScriptReloaded, ScriptState, script_entity,
        with_script_commands, with_script_entity, with_script_world,
    };
}

/// The README's code blocks, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
