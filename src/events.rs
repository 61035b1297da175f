//! Routing between Bevy and scripts: typed entity events and ad-hoc named
//! events into scripts, and messages from scripts back to Rust.
//!
//! The naming rule: an event named `damage` runs the script function
//! `on_damage`. A typed event's name is its type name in snake case
//! (`PlayerHit` is `player_hit`, handled by `on_player_hit`), unless it was
//! registered with another name.

use std::sync::Arc;

use bevy::ecs::message::{MessageCursor, Messages};
use bevy::prelude::*;
use heck::ToSnakeCase;
use rhai::Engine;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::ScriptMessageRoutes;
use crate::engine::EngineSetups;
use crate::runtime::dispatch::{dispatch_to_all, dispatch_to_entity};
use crate::runtime::{ScriptEvent, ScriptState};
use crate::script::handler_name;

/// The event name of type `E`: its type name without path or generics, in
/// snake case (`PlayerHit` is `player_hit`, `HTTPError` is `http_error`).
fn event_name<E>() -> String {
    let short = ShortName::of::<E>().to_string();
    let bare = short.split('<').next().unwrap_or(&short);
    bare.to_snake_case()
}

/// Serde writes an `Entity` as a number; the event's target field, named
/// `entity` by Bevy's derive, goes to scripts as the entity it is, so that
/// `despawn(event.entity)` and `event.entity == entity()` work.
fn with_target_as_entity(payload: rhai::Dynamic, target: Entity) -> rhai::Dynamic {
    let Some(mut map) = payload.clone().try_cast::<rhai::Map>() else {
        return payload;
    };
    let is_target = |value: &rhai::Dynamic| {
        value
            .as_int()
            .is_ok_and(|bits| bits as u64 == target.to_bits())
    };
    match map.get_mut("entity") {
        Some(value) if is_target(value) => *value = rhai::Dynamic::from(target),
        _ => return payload,
    }
    map.into()
}

/// Routes ad-hoc [`ScriptEvent`]s written since the last frame.
pub(crate) fn route_script_events(
    world: &mut World,
    mut cursor: Local<MessageCursor<ScriptEvent>>,
    entities: &mut QueryState<(Entity, &ScriptState)>,
) {
    let events: Vec<ScriptEvent> = cursor
        .read(world.resource::<Messages<ScriptEvent>>())
        .cloned()
        .collect();
    for event in events {
        let handler = handler_name(&event.name);
        match event.target {
            Some(entity) => dispatch_to_entity(world, entity, &handler, &event.payload),
            None => dispatch_to_all(world, entities, &handler, &event.payload),
        }
    }
    world.flush();
}

/// App methods to connect scripts with the rest of the game.
pub trait RhaiAppExt {
    /// Routes entity event `E` to scripts: when it is triggered on an entity,
    /// `on_<snake_case type name>(event)` runs in that entity's scripts, with
    /// the event as an object map (through serde).
    ///
    /// ```
    /// # use bevy::prelude::*;
    /// # use bevy_rhai_hot::prelude::*;
    /// #[derive(EntityEvent, serde::Serialize)]
    /// struct Damage {
    ///     entity: Entity,
    ///     amount: f64,
    /// }
    ///
    /// // Scripts handle it with `fn on_damage(event) { hp -= event.amount; }`.
    /// App::new().add_script_event::<Damage>();
    /// ```
    fn add_script_event<E: EntityEvent + Serialize>(&mut self) -> &mut Self;

    /// Routes entity event `E` to the script function `on_<name>`.
    fn add_script_event_named<E: EntityEvent + Serialize>(&mut self, name: &str) -> &mut Self;

    /// Lets scripts send message `M` to Rust with `send(name, payload)`; the
    /// payload is converted to `M` with serde, and Rust reads it with
    /// `MessageReader<M>`. A payload that does not fit is a script error.
    fn add_message_from_script<M: Message + DeserializeOwned>(&mut self, name: &str) -> &mut Self;

    /// Lets scripts trigger entity event `E` with `trigger(name, payload)`:
    /// the payload (an object map with the event's fields, its target entity
    /// among them) is converted to `E` with serde and triggered at once, so
    /// Rust observers of `E` run. A payload that does not fit is a script
    /// error.
    fn add_event_from_script<E>(&mut self, name: &str) -> &mut Self
    where
        E: EntityEvent + DeserializeOwned,
        for<'a> E::Trigger<'a>: Default;

    /// Configures the script engine: register functions, types and modules.
    /// Call it while building the app, before it runs; setups apply in the
    /// order they were added, after the plugin's own.
    fn configure_rhai_engine(
        &mut self,
        setup: impl Fn(&mut Engine) + Send + Sync + 'static,
    ) -> &mut Self;
}

impl RhaiAppExt for App {
    fn add_script_event<E: EntityEvent + Serialize>(&mut self) -> &mut Self {
        self.add_script_event_named::<E>(&event_name::<E>())
    }

    fn add_script_event_named<E: EntityEvent + Serialize>(&mut self, name: &str) -> &mut Self {
        let handler: Arc<str> = handler_name(name).into();
        self.add_observer(move |event: On<E>, mut commands: Commands| {
            let target = event.event_target();
            let payload = match rhai::serde::to_dynamic(event.event()) {
                Ok(payload) => with_target_as_entity(payload, target),
                Err(error) => {
                    error!("cannot pass {} to scripts: {error}", ShortName::of::<E>());
                    return;
                }
            };
            let handler = handler.clone();
            commands.queue(move |world: &mut World| {
                dispatch_to_entity(world, target, &handler, &payload);
            });
        })
    }

    fn add_message_from_script<M: Message + DeserializeOwned>(&mut self, name: &str) -> &mut Self {
        self.add_message::<M>();
        self.world_mut()
            .get_resource_or_init::<ScriptMessageRoutes>()
            .insert::<M>(name);
        self
    }

    fn add_event_from_script<E>(&mut self, name: &str) -> &mut Self
    where
        E: EntityEvent + DeserializeOwned,
        for<'a> E::Trigger<'a>: Default,
    {
        self.world_mut()
            .get_resource_or_init::<ScriptMessageRoutes>()
            .insert_event::<E>(name);
        self
    }

    fn configure_rhai_engine(
        &mut self,
        setup: impl Fn(&mut Engine) + Send + Sync + 'static,
    ) -> &mut Self {
        assert!(
            !self.world().contains_resource::<crate::RhaiEngine>(),
            "configure_rhai_engine was called after the script engine was built; \
             configure it while building the app, before it runs"
        );
        self.world_mut()
            .get_resource_or_init::<EngineSetups>()
            .0
            .push(Arc::new(setup));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Damage;
    struct PlayerHit;
    struct HTTPError;
    struct Hit2Enemy;
    struct Wrapped<T>(T);

    #[test]
    fn type_names_become_snake_case() {
        assert_eq!(event_name::<Damage>(), "damage");
        assert_eq!(event_name::<PlayerHit>(), "player_hit");
        assert_eq!(event_name::<HTTPError>(), "http_error");
        assert_eq!(event_name::<Hit2Enemy>(), "hit2_enemy");
        assert_eq!(event_name::<Wrapped<u8>>(), "wrapped");
    }
}
