//! The running entity, and spawning and despawning entities.

use bevy::prelude::*;
use rhai::Engine;

use super::ScriptResult;
use crate::asset::RhaiScript;
use crate::engine::{script_entity, with_script_commands, with_script_world};
use crate::runtime::Script;

pub(super) fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<Entity>("Entity")
        .register_fn("entity", script_entity)
        .register_fn("to_string", |entity: &mut Entity| entity.to_string())
        .register_fn("to_debug", |entity: &mut Entity| format!("{entity:?}"))
        .register_fn("==", |a: Entity, b: Entity| a == b)
        .register_fn("!=", |a: Entity, b: Entity| a != b)
        .register_fn("spawn_script", |path: &str| {
            spawn_script(path, Transform::default())
        })
        .register_fn("spawn_script", spawn_script)
        .register_fn("despawn", || with_script_commands(despawn)?)
        .register_fn("despawn", |entity: Entity| {
            with_script_commands(|commands, _| despawn(commands, entity))?
        });
}

fn spawn_script(path: &str, transform: Transform) -> ScriptResult<Entity> {
    with_script_world(|world, _| {
        let script = world
            .resource::<AssetServer>()
            .load::<RhaiScript>(path.to_owned());
        world
            .commands()
            .spawn((Script::new(script), transform))
            .id()
    })
}

fn despawn(commands: &mut Commands, entity: Entity) -> ScriptResult<()> {
    match commands.get_entity(entity) {
        Ok(mut entity) => {
            entity.try_despawn();
            Ok(())
        }
        Err(_) => Err(format!("entity {entity} does not exist").into()),
    }
}
