//! `Transform` for scripts: reading and writing an entity's transform.

use bevy::prelude::*;
use rhai::{Dynamic, Engine, EvalAltResult, FLOAT};

use super::ScriptResult;
use super::math::number;
use crate::engine::{with_script_entity, with_script_world};

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
        .register_fn("transform", || {
            with_script_entity(|entity| own_transform(&entity))?
        })
        .register_fn("transform", |entity: Entity| {
            with_script_world(|world, _| read_transform(world, entity))?
        })
        .register_fn("set_transform", |transform: Transform| {
            with_script_entity(|mut entity| set_own_transform(&mut entity, transform))?
        })
        .register_fn("set_transform", |entity: Entity, transform: Transform| {
            with_script_world(|world, _| write_transform(world, entity, transform))?
        });
}

fn own_transform(entity: &EntityMut) -> ScriptResult<Transform> {
    entity
        .get::<Transform>()
        .copied()
        .ok_or_else(|| format!("entity {} has no Transform", entity.id()).into())
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

fn set_own_transform(entity: &mut EntityMut, transform: Transform) -> ScriptResult<()> {
    let transform = finite(transform)?;
    let id = entity.id();
    let mut current = entity
        .get_mut::<Transform>()
        .ok_or_else(|| format!("entity {id} has no Transform"))?;
    *current = transform;
    Ok(())
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
