//! The running entity, and spawning and despawning entities.

use std::path::Component as PathPart;

use bevy::asset::AssetPath;
use bevy::prelude::*;
use rhai::{Engine, Map};

use super::ScriptResult;
use crate::asset::{RhaiScript, ScriptExtensions};
use crate::engine::{script_entity, with_script_commands, with_script_world};
use crate::runtime::{PropValue, Script};

pub(super) fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<Entity>("Entity")
        .register_fn("entity", script_entity)
        .register_fn("to_string", |entity: &mut Entity| entity.to_string())
        .register_fn("to_debug", |entity: &mut Entity| format!("{entity:?}"))
        .register_fn("==", |a: Entity, b: Entity| a == b)
        .register_fn("!=", |a: Entity, b: Entity| a != b)
        .register_fn("spawn_script", |path: &str| {
            spawn_script(path, Transform::default(), &Map::new())
        })
        .register_fn("spawn_script", |path: &str, transform: Transform| {
            spawn_script(path, transform, &Map::new())
        })
        .register_fn("spawn_script", |path: &str, props: Map| {
            spawn_script(path, Transform::default(), &props)
        })
        .register_fn(
            "spawn_script",
            |path: &str, transform: Transform, props: Map| spawn_script(path, transform, &props),
        )
        .register_fn("despawn", || with_script_commands(despawn)?)
        .register_fn("despawn", |entity: Entity| {
            with_script_commands(|commands, _| despawn(commands, entity))?
        });
}

fn spawn_script(path: &str, transform: Transform, props: &Map) -> ScriptResult<Entity> {
    with_script_world(|world, _| {
        let extensions = world.resource::<ScriptExtensions>().0;
        let path = script_path(path, extensions)?;
        let mut script = Script::new(world.resource::<AssetServer>().load::<RhaiScript>(path));
        for (name, value) in props {
            let value = PropValue::from_dynamic(value).ok_or_else(|| {
                format!(
                    "spawn_script: the property '{name}' is a {}; properties are bools, \
                     integers, numbers, strings or Vec3",
                    value.type_name()
                )
            })?;
            script = script.with_prop(name.to_string(), value);
        }
        Ok(world.commands().spawn((script, transform)).id())
    })?
}

/// Checks a script path a script passed in: a relative asset path inside
/// the asset source, to a file with a script extension. Anything else is a
/// runtime error at the script's call, never a panic or a silent wait.
pub(super) fn script_path(path: &str, extensions: &[&str]) -> ScriptResult<AssetPath<'static>> {
    let refuse = |why: &str| -> ScriptResult<AssetPath<'static>> {
        Err(format!("spawn_script({path:?}): {why}").into())
    };
    if path.trim().is_empty() {
        return refuse(
            "the path is empty; give a script's asset path such as \"scripts/enemy.rhai\"",
        );
    }
    let parsed = match AssetPath::try_parse(path) {
        Ok(parsed) => parsed,
        Err(error) => return refuse(&format!("not an asset path: {error}")),
    };
    let file = parsed.path();
    if file.has_root() || file.is_absolute() {
        return refuse("absolute paths are refused: give a path relative to the assets folder");
    }
    let mut depth = 0_i32;
    for component in file.components() {
        match component {
            PathPart::ParentDir => depth -= 1,
            PathPart::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return refuse("the path leaves the assets folder");
        }
    }
    let is_script = parsed
        .get_full_extension()
        .is_some_and(|extension| extensions.contains(&extension));
    if !is_script {
        return refuse(&format!(
            "only scripts can be spawned (extensions: {extensions:?})"
        ));
    }
    Ok(parsed.into_owned())
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
