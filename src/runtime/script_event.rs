//! [`ScriptEvent`]: an ad-hoc, named event for scripts.

use bevy::prelude::*;
use rhai::Dynamic;

/// An ad-hoc event for scripts, by name, with a payload.
///
/// Write it with `MessageWriter<ScriptEvent>`; the script function
/// `on_<name>` runs with the payload as its argument (or with no argument,
/// if the script declares none) in the target entity's scripts, or in every
/// scripted entity for [`ScriptEvent::broadcast`].
///
/// ```
/// # use bevy::prelude::*;
/// # use bevy_rhai_hot::prelude::*;
/// fn start_wave(mut events: MessageWriter<ScriptEvent>) {
///     // Runs `fn on_wave(number) { .. }` in every script that defines it.
///     events.write(ScriptEvent::broadcast("wave").with_payload(3_i64));
/// }
/// ```
#[derive(Message, Clone, Debug)]
pub struct ScriptEvent {
    /// The entity whose scripts handle it; `None` for every scripted entity.
    pub target: Option<Entity>,
    /// The event name; the handler is `on_<name>`.
    pub name: String,
    /// The argument passed to the handler. Build maps from your own types
    /// with [`rhai::serde::to_dynamic`].
    pub payload: Dynamic,
}

impl ScriptEvent {
    /// An event for the scripts of one entity, with no payload.
    pub fn to(entity: Entity, name: impl Into<String>) -> Self {
        Self {
            target: Some(entity),
            name: name.into(),
            payload: Dynamic::UNIT,
        }
    }

    /// An event for every scripted entity that handles it, with no payload.
    pub fn broadcast(name: impl Into<String>) -> Self {
        Self {
            target: None,
            name: name.into(),
            payload: Dynamic::UNIT,
        }
    }

    /// Sets the payload.
    #[must_use]
    pub fn with_payload(mut self, payload: impl Into<Dynamic>) -> Self {
        self.payload = payload.into();
        self
    }
}
