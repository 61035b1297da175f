//! What scripts can do to the ECS from inside a handler: read their entity,
//! move it, spawn and despawn entities, send messages to Rust, read time.
//!
//! | Rhai | does |
//! |---|---|
//! | `entity()` | this script's entity |
//! | `transform()`, `transform(e)` | a copy of the entity's `Transform` |
//! | `set_transform(t)`, `set_transform(e, t)` | writes the `Transform` at once |
//! | `vec3(x, y, z)`, `quat_from_rotation_z(a)` | math values; `Vec3` has `x`, `y`, `z`, `+`, `-`, `*`, `/`, `length()`, `normalize()` |
//! | `spawn_script(path)`, `spawn_script(path, transform)` | spawns an entity running the script at `path` (`spawn` is a Rhai keyword); returns it |
//! | `despawn()`, `despawn(e)` | despawns this or another entity at the end of the system |
//! | `send(name, payload)`, `send(name)` | sends a message to Rust (see [`RhaiAppExt::add_message_from_script`](crate::RhaiAppExt::add_message_from_script)) |
//! | `elapsed_secs()`, `delta_secs()` | time since startup and of this frame, in seconds |
//!
//! `Transform` has the properties `translation`, `rotation` and `scale`, and
//! `rotate_z(angle)`; `t.translation.x += 1.0` works as expected.

use bevy::prelude::*;
use rhai::{Dynamic, Engine, EvalAltResult, FLOAT};

use crate::asset::RhaiScript;
use crate::component::Script;
use crate::context::with_script_world;
use crate::events::ScriptMessageRoutes;

type ScriptResult<T> = Result<T, Box<EvalAltResult>>;

pub(crate) fn register(engine: &mut Engine) {
    register_entity(engine);
    register_math(engine);
    register_transform(engine);
    register_commands(engine);
    register_time(engine);
}

fn register_entity(engine: &mut Engine) {
    engine
        .register_type_with_name::<Entity>("Entity")
        .register_fn("entity", || with_script_world(|_, entity| entity))
        .register_fn("to_string", |entity: &mut Entity| entity.to_string())
        .register_fn("to_debug", |entity: &mut Entity| format!("{entity:?}"))
        .register_fn("==", |a: Entity, b: Entity| a == b)
        .register_fn("!=", |a: Entity, b: Entity| a != b);
}

/// A script number, integer or float, as an `f32`.
fn number(value: &Dynamic) -> ScriptResult<f32> {
    if let Ok(float) = value.as_float() {
        return Ok(float as f32);
    }
    match value.as_int() {
        Ok(int) => Ok(int as f32),
        Err(type_name) => Err(format!("expected a number, found {type_name}").into()),
    }
}

fn register_math(engine: &mut Engine) {
    engine
        .register_type_with_name::<Vec3>("Vec3")
        .register_fn(
            "vec3",
            |x: Dynamic, y: Dynamic, z: Dynamic| -> ScriptResult<Vec3> {
                Ok(Vec3::new(number(&x)?, number(&y)?, number(&z)?))
            },
        )
        .register_get_set(
            "x",
            |v: &mut Vec3| v.x as FLOAT,
            |v: &mut Vec3, x: FLOAT| v.x = x as f32,
        )
        .register_get_set(
            "y",
            |v: &mut Vec3| v.y as FLOAT,
            |v: &mut Vec3, y: FLOAT| v.y = y as f32,
        )
        .register_get_set(
            "z",
            |v: &mut Vec3| v.z as FLOAT,
            |v: &mut Vec3, z: FLOAT| v.z = z as f32,
        )
        .register_fn("+", |a: Vec3, b: Vec3| a + b)
        .register_fn("-", |a: Vec3, b: Vec3| a - b)
        .register_fn("-", |a: Vec3| -a)
        .register_fn("*", |a: Vec3, k: FLOAT| a * k as f32)
        .register_fn("*", |k: FLOAT, a: Vec3| a * k as f32)
        .register_fn("/", |a: Vec3, k: FLOAT| a / k as f32)
        .register_fn("==", |a: Vec3, b: Vec3| a == b)
        .register_fn("length", |v: &mut Vec3| v.length() as FLOAT)
        .register_fn("normalize", |v: &mut Vec3| v.normalize_or_zero())
        .register_fn("to_string", |v: &mut Vec3| v.to_string())
        .register_fn("to_debug", |v: &mut Vec3| format!("{v:?}"));
    engine
        .register_type_with_name::<Quat>("Quat")
        .register_fn("quat_from_rotation_z", |angle: FLOAT| {
            Quat::from_rotation_z(angle as f32)
        })
        .register_fn("*", |a: Quat, b: Quat| a * b)
        .register_fn("*", |q: Quat, v: Vec3| q * v)
        .register_fn("to_string", |q: &mut Quat| q.to_string())
        .register_fn("to_debug", |q: &mut Quat| format!("{q:?}"));
}

fn register_transform(engine: &mut Engine) {
    engine
        .register_type_with_name::<Transform>("Transform")
        .register_fn(
            "transform_from_xyz",
            |x: Dynamic, y: Dynamic, z: Dynamic| {
                Ok::<_, Box<EvalAltResult>>(Transform::from_xyz(
                    number(&x)?,
                    number(&y)?,
                    number(&z)?,
                ))
            },
        )
        .register_get_set(
            "translation",
            |t: &mut Transform| t.translation,
            |t: &mut Transform, v: Vec3| t.translation = v,
        )
        .register_get_set(
            "rotation",
            |t: &mut Transform| t.rotation,
            |t: &mut Transform, q: Quat| t.rotation = q,
        )
        .register_get_set(
            "scale",
            |t: &mut Transform| t.scale,
            |t: &mut Transform, v: Vec3| t.scale = v,
        )
        .register_fn("rotate_z", |t: &mut Transform, angle: FLOAT| {
            t.rotate_z(angle as f32)
        })
        .register_fn("to_string", |t: &mut Transform| format!("{t:?}"))
        .register_fn("to_debug", |t: &mut Transform| format!("{t:?}"))
        .register_fn("transform", || {
            with_script_world(|world, entity| read_transform(world, entity))?
        })
        .register_fn("transform", |entity: Entity| {
            with_script_world(|world, _| read_transform(world, entity))?
        })
        .register_fn("set_transform", |transform: Transform| {
            with_script_world(|world, entity| write_transform(world, entity, transform))?
        })
        .register_fn("set_transform", |entity: Entity, transform: Transform| {
            with_script_world(|world, _| write_transform(world, entity, transform))?
        });
}

fn read_transform(world: &World, entity: Entity) -> ScriptResult<Transform> {
    world
        .get::<Transform>(entity)
        .copied()
        .ok_or_else(|| format!("entity {entity} has no Transform").into())
}

fn write_transform(world: &mut World, entity: Entity, transform: Transform) -> ScriptResult<()> {
    let mut current = world
        .get_mut::<Transform>(entity)
        .ok_or_else(|| format!("entity {entity} has no Transform"))?;
    *current = transform;
    Ok(())
}

fn register_commands(engine: &mut Engine) {
    engine
        .register_fn("spawn_script", |path: &str| {
            spawn_script(path, Transform::default())
        })
        .register_fn("spawn_script", spawn_script)
        .register_fn("despawn", || with_script_world(despawn)?)
        .register_fn("despawn", |entity: Entity| {
            with_script_world(|world, _| despawn(world, entity))?
        })
        .register_fn("send", |name: &str, payload: Dynamic| send(name, payload))
        .register_fn("send", |name: &str| send(name, Dynamic::UNIT));
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

fn despawn(world: &mut World, entity: Entity) -> ScriptResult<()> {
    if world.get_entity(entity).is_err() {
        return Err(format!("entity {entity} does not exist").into());
    }
    world.commands().entity(entity).try_despawn();
    Ok(())
}

fn send(name: &str, payload: Dynamic) -> ScriptResult<()> {
    with_script_world(|world, _| {
        let write = world.resource::<ScriptMessageRoutes>().get(name)?;
        write(world, payload).map_err(Into::into)
    })?
}

fn register_time(engine: &mut Engine) {
    engine
        .register_fn("elapsed_secs", || {
            with_script_world(|world, _| world.resource::<Time>().elapsed_secs_f64())
        })
        .register_fn("delta_secs", || {
            with_script_world(|world, _| world.resource::<Time>().delta_secs_f64())
        });
}
