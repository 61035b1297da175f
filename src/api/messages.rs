//! Messages from scripts to Rust: `send(name, payload)` writes the Rust
//! message registered under `name`.

use std::collections::HashMap;

use bevy::prelude::*;
use rhai::{Array, Dynamic, Engine};
use serde::de::DeserializeOwned;

use super::ScriptResult;
use crate::engine::{apply_or_defer, read_world, with_script_world};
use crate::runtime::ScriptEvent;

pub(super) fn register(engine: &mut Engine) {
    engine
        .register_fn("send", |name: &str, payload: Dynamic| send(name, payload))
        .register_fn("send", |name: &str| send(name, Dynamic::UNIT))
        .register_fn("emit", |target: Dynamic, name: &str| {
            emit(&target, name, Dynamic::UNIT)
        })
        .register_fn("emit", |target: Dynamic, name: &str, payload: Dynamic| {
            emit(&target, name, payload)
        })
        .register_fn("emit_all", |name: &str| emit_all(name, Dynamic::UNIT))
        .register_fn("emit_all", |name: &str, payload: Dynamic| {
            emit_all(name, payload)
        })
        .register_fn("trigger", |name: &str, payload: Dynamic| {
            trigger(name, payload)
        });
}

/// `emit(target, name, payload)`: a [`ScriptEvent`] for each target entity,
/// routed to their scripts in the next frame's `RhaiSystems::Events`.
fn emit(target: &Dynamic, name: &str, payload: Dynamic) -> ScriptResult<()> {
    let targets: Vec<Entity> = if let Some(entity) = target.read_lock::<Entity>() {
        vec![*entity]
    } else if let Some(items) = target.read_lock::<Array>() {
        items
            .iter()
            .map(|item| {
                item.read_lock::<Entity>()
                    .map(|entity| *entity)
                    .ok_or_else(|| format!("emit: expected entities, found {}", item.type_name()))
            })
            .collect::<Result<_, _>>()?
    } else {
        return Err(format!(
            "emit: the target must be an entity or an array of entities, found {}",
            target.type_name()
        )
        .into());
    };
    let name = name.to_owned();
    apply_or_defer(move |world| {
        for entity in targets {
            world.write_message(ScriptEvent::to(entity, &name).with_payload(payload.clone()));
        }
    })
}

fn emit_all(name: &str, payload: Dynamic) -> ScriptResult<()> {
    let event = ScriptEvent::broadcast(name).with_payload(payload);
    apply_or_defer(move |world| {
        world.write_message(event);
    })
}

fn trigger(name: &str, payload: Dynamic) -> ScriptResult<()> {
    with_script_world(|world, _| {
        let trigger = world.resource::<ScriptMessageRoutes>().get_event(name)?;
        trigger(world, payload).map_err(Into::into)
    })?
}

/// A Rust value of type `T` from a script's payload, through serde. A
/// script's numbers are 64-bit (`INT`, `FLOAT`) and Rust fields are often
/// `f32` or `u32`: the value goes through `serde_json`'s data model, which
/// converts between number types where the value fits (a NaN does not).
fn from_payload<T: DeserializeOwned>(payload: &Dynamic) -> Result<T, String> {
    let what = ShortName::of::<T>();
    let value = serde_json::to_value(serde_ready(payload))
        .map_err(|error| format!("the payload cannot become {what}: {error}"))?;
    serde_json::from_value(value)
        .map_err(|error| format!("the payload does not fit {what}: {error}"))
}

/// `payload` with the script API's own values in the forms serde expects:
/// an `Entity` as its bits and `Vec2`, `Vec3` and `Quat` as arrays, as Bevy
/// and glam serialize them.
fn serde_ready(payload: &Dynamic) -> Dynamic {
    if let Some(entity) = payload.read_lock::<Entity>() {
        return (entity.to_bits() as rhai::INT).into();
    }
    let floats = |values: &[f32]| -> Dynamic {
        let items: Array = values
            .iter()
            .map(|value| Dynamic::from_float(rhai::FLOAT::from(*value)))
            .collect();
        items.into()
    };
    if let Some(v) = payload.read_lock::<Vec2>() {
        return floats(&v.to_array());
    }
    if let Some(v) = payload.read_lock::<Vec3>() {
        return floats(&v.to_array());
    }
    if let Some(q) = payload.read_lock::<Quat>() {
        return floats(&q.to_array());
    }
    if let Some(map) = payload.read_lock::<rhai::Map>() {
        return map
            .iter()
            .map(|(key, value)| (key.clone(), serde_ready(value)))
            .collect::<rhai::Map>()
            .into();
    }
    if let Some(items) = payload.read_lock::<Array>() {
        return items.iter().map(serde_ready).collect::<Array>().into();
    }
    payload.clone()
}

fn send(name: &str, payload: Dynamic) -> ScriptResult<()> {
    let write = read_world(|world, _| world.resource::<ScriptMessageRoutes>().get(name))??;
    // The payload becomes the message here, so that a payload that does not
    // fit fails at the script's call, also where the write waits.
    let message = write(&payload)?;
    apply_or_defer(message)
}

/// A message from a script's payload, ready to write.
type MessageFromScript = fn(&Dynamic) -> Result<Box<dyn FnOnce(&mut World) + Send>, String>;

type WriteFromScript = fn(&mut World, Dynamic) -> Result<(), String>;

/// Rust message types that scripts can send with `send(name, payload)`,
/// and entity events they can trigger with `trigger(name, payload)`.
#[derive(Resource, Default)]
pub(crate) struct ScriptMessageRoutes {
    messages: HashMap<String, MessageFromScript>,
    events: HashMap<String, WriteFromScript>,
}

impl ScriptMessageRoutes {
    /// Lets scripts send `M` as `name`.
    pub(crate) fn insert<M: Message + DeserializeOwned>(&mut self, name: &str) {
        self.messages
            .insert(name.to_owned(), message_from_script::<M>);
    }

    /// Lets scripts trigger `E` as `name`.
    pub(crate) fn insert_event<E>(&mut self, name: &str)
    where
        E: EntityEvent + DeserializeOwned,
        for<'a> E::Trigger<'a>: Default,
    {
        self.events
            .insert(name.to_owned(), trigger_from_script::<E>);
    }

    pub(crate) fn get_event(&self, name: &str) -> Result<WriteFromScript, String> {
        self.events.get(name).copied().ok_or_else(|| {
            let mut known: Vec<&str> = self.events.keys().map(String::as_str).collect();
            known.sort_unstable();
            format!(
                "no entity event is registered as '{name}' (registered: {known:?}); \
                 register one with app.add_event_from_script::<T>(\"{name}\")"
            )
        })
    }

    pub(crate) fn get(&self, name: &str) -> Result<MessageFromScript, String> {
        self.messages.get(name).copied().ok_or_else(|| {
            let mut known: Vec<&str> = self.messages.keys().map(String::as_str).collect();
            known.sort_unstable();
            format!(
                "no Rust message is registered as '{name}' (registered: {known:?}); \
                 register one with app.add_message_from_script::<T>(\"{name}\")"
            )
        })
    }
}

fn trigger_from_script<E>(world: &mut World, payload: Dynamic) -> Result<(), String>
where
    E: EntityEvent + DeserializeOwned,
    for<'a> E::Trigger<'a>: Default,
{
    let event: E = from_payload(&payload)?;
    if world.get_entity(event.event_target()).is_err() {
        return Err(format!(
            "{} targets entity {}, which does not exist",
            ShortName::of::<E>(),
            event.event_target()
        ));
    }
    world.trigger(event);
    Ok(())
}

fn message_from_script<M: Message + DeserializeOwned>(
    payload: &Dynamic,
) -> Result<Box<dyn FnOnce(&mut World) + Send>, String> {
    let message: M = from_payload(payload)?;
    Ok(Box::new(move |world: &mut World| {
        world.write_message(message);
    }))
}
