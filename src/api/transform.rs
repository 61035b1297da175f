//! `Transform` for scripts: reading and writing an entity's transform.

use bevy::prelude::*;
use rhai::{Dynamic, Engine, EvalAltResult, FLOAT};

use super::ScriptResult;
use super::math::number;
use crate::engine::{
    own_transform, read_world, script_entity, set_own_transform, with_script_world,
};

pub(super) fn register(engine: &mut Engine) {
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
        .register_fn("transform", || read_own_transform(script_entity()?))
        .register_fn("transform", |entity: Entity| {
            if script_entity()? == entity {
                // What this call wrote, also in the parallel phase.
                return read_own_transform(entity);
            }
            read_world(|world, _| read_transform(world, entity))?
        })
        .register_fn("set_transform", |transform: Transform| {
            let transform = finite(transform)?;
            if set_own_transform(transform)? {
                Ok(())
            } else {
                Err(no_transform(script_entity()?))
            }
        })
        .register_fn("set_transform", |entity: Entity, transform: Transform| {
            with_script_world(|world, _| write_transform(world, entity, transform))?
        });
}

fn no_transform(entity: Entity) -> Box<EvalAltResult> {
    format!("entity {entity} has no Transform").into()
}

fn read_own_transform(entity: Entity) -> ScriptResult<Transform> {
    own_transform()?.ok_or_else(|| no_transform(entity))
}

/// A transform with NaN or infinity in it would spread through the game
/// (physics, rendering) without a word: refuse it where the script wrote it.
fn finite(transform: Transform) -> ScriptResult<Transform> {
    if transform.is_finite() {
        Ok(transform)
    } else {
        Err(format!("refusing a Transform with NaN or infinite values: {transform:?}").into())
    }
}

fn read_transform(world: &World, entity: Entity) -> ScriptResult<Transform> {
    world
        .get::<Transform>(entity)
        .copied()
        .ok_or_else(|| format!("entity {entity} has no Transform").into())
}

fn write_transform(world: &mut World, entity: Entity, transform: Transform) -> ScriptResult<()> {
    let transform = finite(transform)?;
    let mut current = world
        .get_mut::<Transform>(entity)
        .ok_or_else(|| format!("entity {entity} has no Transform"))?;
    *current = transform;
    Ok(())
}
