//! The running entity, and spawning and despawning entities.

use std::path::Component as PathPart;
use std::sync::atomic::{AtomicUsize, Ordering};

use bevy::asset::AssetPath;
use bevy::ecs::lifecycle::HookContext;
use bevy::ecs::world::DeferredWorld;
use bevy::prelude::*;
use rhai::{Engine, Map};

use super::ScriptResult;
use crate::asset::{RhaiScript, ScriptExtensions};
use crate::engine::{ScriptLimits, read_world, script_entity, with_script_commands};
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

/// Marks an entity that a script spawned (`spawn_script`, `spawn_with`,
/// `spawn_entity`): they count against
/// [`ScriptLimits::max_spawned_entities`] while they live.
///
/// The plugin counts a spawn when the script asks for it (the entity itself
/// may arrive later, through commands) and uncounts it when this component
/// goes; insert it only through scripts.
#[derive(Component, Debug, Default)]
#[component(on_remove = uncount_spawned)]
pub struct SpawnedByScript;

/// Entities spawned by scripts: in this frame, and alive now. Counted
/// atomically: scripts in the parallel `on_update` phase spawn at once.
#[derive(Resource, Default)]
pub(crate) struct ScriptSpawns {
    this_frame: AtomicUsize,
    alive: AtomicUsize,
}

fn uncount_spawned(world: DeferredWorld, _: HookContext) {
    if let Some(spawns) = world.get_resource::<ScriptSpawns>() {
        let _ = (spawns.alive).fetch_update(Ordering::Relaxed, Ordering::Relaxed, |alive| {
            Some(alive.saturating_sub(1))
        });
    }
}

/// A new frame for [`ScriptLimits::max_spawns_per_frame`].
pub(crate) fn start_spawn_frame(world: &mut World) {
    (world.resource::<ScriptSpawns>().this_frame).store(0, Ordering::Relaxed);
}

/// Takes one spawn from the limits, or says which limit refuses it. Every
/// spawn from a script comes through here, so a script where every entity
/// spawns two more cannot fill the world.
pub(crate) fn take_spawn(world: &World) -> ScriptResult<()> {
    let (per_frame, alive_at_most) = world
        .get_resource::<ScriptLimits>()
        .map_or((usize::MAX, usize::MAX), |limits| {
            (limits.max_spawns_per_frame, limits.max_spawned_entities)
        });
    let Some(spawns) = world.get_resource::<ScriptSpawns>() else {
        return Ok(());
    };
    let within = |limit: usize| move |count: usize| (count < limit).then_some(count + 1);
    if (spawns.this_frame)
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, within(per_frame))
        .is_err()
    {
        return Err(format!(
            "scripts spawned {per_frame} entities this frame, the limit \
             (ScriptLimits::max_spawns_per_frame): this spawn is refused"
        )
        .into());
    }
    if (spawns.alive)
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, within(alive_at_most))
        .is_err()
    {
        spawns.this_frame.fetch_sub(1, Ordering::Relaxed);
        return Err(format!(
            "{alive_at_most} entities spawned by scripts are alive, the limit \
             (ScriptLimits::max_spawned_entities): this spawn is refused until some are despawned"
        )
        .into());
    }
    Ok(())
}

fn spawn_script(path: &str, transform: Transform, props: &Map) -> ScriptResult<Entity> {
    let script = read_world(|world, _| -> ScriptResult<Script> {
        let extensions = world.resource::<ScriptExtensions>().0;
        let path = script_path(path, extensions)?;
        take_spawn(world)?;
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
        Ok(script)
    })??;
    with_script_commands(|commands, _| (commands.spawn((script, transform, SpawnedByScript))).id())
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
