//! Messages from scripts to Rust: `send(name, payload)` writes the Rust
//! message registered under `name`.

use std::collections::HashMap;

use bevy::prelude::*;
use rhai::{Dynamic, Engine};
use serde::de::DeserializeOwned;

use super::ScriptResult;
use crate::engine::with_script_world;

pub(super) fn register(engine: &mut Engine) {
    engine
        .register_fn("send", |name: &str, payload: Dynamic| send(name, payload))
        .register_fn("send", |name: &str| send(name, Dynamic::UNIT));
}

fn send(name: &str, payload: Dynamic) -> ScriptResult<()> {
    with_script_world(|world, _| {
        let write = world.resource::<ScriptMessageRoutes>().get(name)?;
        write(world, payload).map_err(Into::into)
    })?
}

type WriteFromScript = fn(&mut World, Dynamic) -> Result<(), String>;

/// Rust message types that scripts can send with `send(name, payload)`.
#[derive(Resource, Default)]
pub(crate) struct ScriptMessageRoutes(HashMap<String, WriteFromScript>);

impl ScriptMessageRoutes {
    /// Lets scripts send `M` as `name`.
    pub(crate) fn insert<M: Message + DeserializeOwned>(&mut self, name: &str) {
        self.0.insert(name.to_owned(), write_from_script::<M>);
    }

    pub(crate) fn get(&self, name: &str) -> Result<WriteFromScript, String> {
        self.0.get(name).copied().ok_or_else(|| {
            let mut known: Vec<&str> = self.0.keys().map(String::as_str).collect();
            known.sort_unstable();
            format!(
                "no Rust message is registered as '{name}' (registered: {known:?}); \
                 register one with app.add_message_from_script::<T>(\"{name}\")"
            )
        })
    }
}

fn write_from_script<M: Message + DeserializeOwned>(
    world: &mut World,
    payload: Dynamic,
) -> Result<(), String> {
    let message: M = rhai::serde::from_dynamic(&payload).map_err(|error| {
        format!(
            "the payload does not fit {}: {}",
            ShortName::of::<M>(),
            error.unwrap_inner()
        )
    })?;
    world.write_message(message);
    Ok(())
}
