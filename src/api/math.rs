//! `Vec3` and `Quat` for scripts.

use bevy::prelude::*;
use rhai::{Dynamic, Engine, FLOAT, Map};

use super::ScriptResult;

/// A script number, integer or float, as an `f32`.
pub(super) fn number(value: &Dynamic) -> ScriptResult<f32> {
    if let Ok(float) = value.as_float() {
        return Ok(float as f32);
    }
    match value.as_int() {
        Ok(int) => Ok(int as f32),
        Err(type_name) => Err(format!("expected a number, found {type_name}").into()),
    }
}

pub(super) fn register(engine: &mut Engine) {
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
    // Colours as Bevy's `Color` reflects (`Color::Srgba`), so that
    // `me.Sprite.color = rgb(1.0, 0.2, 0.2)` writes one.
    engine
        .register_fn(
            "rgb",
            |r: Dynamic, g: Dynamic, b: Dynamic| -> ScriptResult<Map> {
                srgba(&r, &g, &b, &Dynamic::from(1.0 as FLOAT))
            },
        )
        .register_fn("rgba", |r: Dynamic, g: Dynamic, b: Dynamic, a: Dynamic| {
            srgba(&r, &g, &b, &a)
        });
    engine
        .register_type_with_name::<Vec2>("Vec2")
        .register_fn("vec2", |x: Dynamic, y: Dynamic| -> ScriptResult<Vec2> {
            Ok(Vec2::new(number(&x)?, number(&y)?))
        })
        .register_get_set(
            "x",
            |v: &mut Vec2| v.x as FLOAT,
            |v: &mut Vec2, x: FLOAT| v.x = x as f32,
        )
        .register_get_set(
            "y",
            |v: &mut Vec2| v.y as FLOAT,
            |v: &mut Vec2, y: FLOAT| v.y = y as f32,
        )
        .register_fn("+", |a: Vec2, b: Vec2| a + b)
        .register_fn("-", |a: Vec2, b: Vec2| a - b)
        .register_fn("-", |a: Vec2| -a)
        .register_fn("*", |a: Vec2, k: FLOAT| a * k as f32)
        .register_fn("*", |k: FLOAT, a: Vec2| a * k as f32)
        .register_fn("/", |a: Vec2, k: FLOAT| a / k as f32)
        .register_fn("==", |a: Vec2, b: Vec2| a == b)
        .register_fn("length", |v: &mut Vec2| v.length() as FLOAT)
        .register_fn("normalize", |v: &mut Vec2| v.normalize_or_zero())
        .register_fn("to_string", |v: &mut Vec2| v.to_string())
        .register_fn("to_debug", |v: &mut Vec2| format!("{v:?}"));
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

/// `#{ Srgba: #{ red, green, blue, alpha } }`: Bevy's `Color::Srgba` in the
/// form the reflection API writes.
fn srgba(r: &Dynamic, g: &Dynamic, b: &Dynamic, a: &Dynamic) -> ScriptResult<Map> {
    let mut channels = Map::new();
    for (name, value) in [("red", r), ("green", g), ("blue", b), ("alpha", a)] {
        channels.insert(name.into(), (number(value)? as FLOAT).into());
    }
    let mut color = Map::new();
    color.insert("Srgba".into(), channels.into());
    Ok(color)
}
