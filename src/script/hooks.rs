//! The names of the script functions the plugin calls. Every one is
//! optional, and each may leave out its parameter.
//!
//! | constant | function | runs |
//! |---|---|---|
//! | [`INIT`] | `init()` | once per entity, when its scripts first compiled |
//! | [`ON_UPDATE`] | `on_update(dt)` | every frame (every step in `FixedUpdate`), `dt` in seconds |
//! | [`handler_name`]`("hit")` | `on_hit(payload)` | for an event named `hit` |
//! | [`ON_RELOAD`] | `on_reload(changes)` | per entity, after an edit changed its script |
//! | [`ON_DETACH`] | `on_detach()` | when the script leaves its entity |

/// `on_update(dt)`: called every frame with the frame's delta time in
/// seconds.
pub const ON_UPDATE: &str = "on_update";
/// `init()`: called once per entity when its scripts first compiled.
pub const INIT: &str = "init";
/// `on_reload(changes)`: called per entity after an edit changed its
/// script; `changes` is `#{ kind, changed, added, removed }`.
pub const ON_RELOAD: &str = "on_reload";
/// `on_detach()`: called when the script leaves its entity.
pub const ON_DETACH: &str = "on_detach";

/// The script function that handles event `event_name`: `on_<event_name>`.
pub fn handler_name(event_name: &str) -> String {
    format!("on_{event_name}")
}
