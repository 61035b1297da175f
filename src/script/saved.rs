//! Script state in save games: every value a script can keep in a state
//! variable, written so that any serde format (JSON, or a binary one that
//! is not self-describing) reads it back as the same value; and the
//! entities in it mapped to their new ids when a save is loaded.
//!
//! Rhai's own serde support writes the app's types (an `Entity`, a `Vec3`)
//! as their type name, which would load back as a string: values are
//! written as [`SavedValue`]s instead. A value that cannot be saved (a
//! closure, a timestamp, a type the plugin does not know) fails the save
//! with an error naming the variable.

use bevy::ecs::entity::{Entity, EntityMapper};
use bevy::math::{Quat, Vec2, Vec3};
use bevy::transform::components::Transform;
use rhai::{Array, Blob, Dynamic, ImmutableString, Map, Scope};
use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One value as a save game holds it.
#[derive(Serialize, Deserialize)]
enum SavedValue {
    Unit,
    Bool(bool),
    Int(rhai::INT),
    Float(rhai::FLOAT),
    Char(char),
    String(String),
    Blob(Blob),
    Array(Vec<SavedValue>),
    /// In key order.
    Map(Vec<(String, SavedValue)>),
    /// `Entity::to_bits`; mapped to the new entity on load (see
    /// [`map_entities_in`]).
    Entity(u64),
    Vec2([f32; 2]),
    Vec3([f32; 3]),
    Quat([f32; 4]),
    /// Translation, rotation, scale.
    Transform([f32; 10]),
}

impl SavedValue {
    /// `value` as saved, or the name of its type when it cannot be saved.
    fn of(value: &Dynamic) -> Result<Self, String> {
        let value = value.flatten_clone();
        macro_rules! as_is {
            ($($kind:ty => $variant:ident),*) => {
                $(if let Some(value) = value.read_lock::<$kind>() {
                    return Ok(Self::$variant(value.clone().into()));
                })*
            };
        }
        if value.is_unit() {
            return Ok(Self::Unit);
        }
        as_is!(
            bool => Bool,
            rhai::INT => Int,
            rhai::FLOAT => Float,
            char => Char,
            ImmutableString => String,
            Blob => Blob
        );
        if let Some(array) = value.read_lock::<Array>() {
            return array
                .iter()
                .map(Self::of)
                .collect::<Result<_, _>>()
                .map(Self::Array);
        }
        if let Some(map) = value.read_lock::<Map>() {
            return map
                .iter()
                .map(|(key, value)| Ok((key.to_string(), Self::of(value)?)))
                .collect::<Result<_, String>>()
                .map(Self::Map);
        }
        if let Some(entity) = value.read_lock::<Entity>() {
            return Ok(Self::Entity(entity.to_bits()));
        }
        if let Some(v) = value.read_lock::<Vec2>() {
            return Ok(Self::Vec2(v.to_array()));
        }
        if let Some(v) = value.read_lock::<Vec3>() {
            return Ok(Self::Vec3(v.to_array()));
        }
        if let Some(q) = value.read_lock::<Quat>() {
            return Ok(Self::Quat(q.to_array()));
        }
        if let Some(t) = value.read_lock::<Transform>() {
            let [tx, ty, tz] = t.translation.to_array();
            let [rx, ry, rz, rw] = t.rotation.to_array();
            let [sx, sy, sz] = t.scale.to_array();
            return Ok(Self::Transform([tx, ty, tz, rx, ry, rz, rw, sx, sy, sz]));
        }
        Err(value.type_name().to_owned())
    }

    /// The value again, or why it cannot be.
    fn into_dynamic(self) -> Result<Dynamic, String> {
        Ok(match self {
            Self::Unit => Dynamic::UNIT,
            Self::Bool(value) => value.into(),
            Self::Int(value) => value.into(),
            Self::Float(value) => value.into(),
            Self::Char(value) => value.into(),
            Self::String(value) => value.into(),
            Self::Blob(value) => Dynamic::from_blob(value),
            Self::Array(values) => (values.into_iter())
                .map(Self::into_dynamic)
                .collect::<Result<Array, _>>()?
                .into(),
            Self::Map(entries) => (entries.into_iter())
                .map(|(key, value)| Ok((key.into(), value.into_dynamic()?)))
                .collect::<Result<Map, String>>()?
                .into(),
            Self::Entity(bits) => Dynamic::from(
                Entity::try_from_bits(bits).ok_or_else(|| format!("{bits} is not an entity"))?,
            ),
            Self::Vec2(v) => Dynamic::from(Vec2::from_array(v)),
            Self::Vec3(v) => Dynamic::from(Vec3::from_array(v)),
            Self::Quat(q) => Dynamic::from(Quat::from_array(q)),
            Self::Transform([tx, ty, tz, rx, ry, rz, rw, sx, sy, sz]) => Dynamic::from(Transform {
                translation: Vec3::new(tx, ty, tz),
                rotation: Quat::from_xyzw(rx, ry, rz, rw),
                scale: Vec3::new(sx, sy, sz),
            }),
        })
    }
}

/// `#[serde(with)]` for a script's state variables: in order, by name.
pub(crate) mod saved_vars {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        vars: &Scope<'static>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let saved = vars
            .iter_raw()
            .map(|(name, _, value)| {
                SavedValue::of(value)
                    .map(|value| (name, value))
                    .map_err(|kind| {
                        S::Error::custom(format!(
                            "state variable `{name}` holds a {kind}, which a save cannot hold \
                         (closures, timestamps and the app's own types other than Entity, \
                         Vec2, Vec3, Quat and Transform): keep it out of state or convert it"
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        saved.serialize(serializer)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Scope<'static>, D::Error> {
        let saved = Vec::<(String, SavedValue)>::deserialize(deserializer)?;
        let mut vars = Scope::new();
        for (name, value) in saved {
            let value = value.into_dynamic().map_err(D::Error::custom)?;
            vars.push_dynamic(name, value);
        }
        Ok(vars)
    }
}

/// `#[serde(with)]` for one value (a timer's payload).
pub(crate) mod saved_value {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        value: &Dynamic,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        SavedValue::of(value)
            .map_err(|kind| {
                S::Error::custom(format!(
                    "a timer's payload is a {kind}, which a save cannot hold"
                ))
            })?
            .serialize(serializer)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Dynamic, D::Error> {
        SavedValue::deserialize(deserializer)?
            .into_dynamic()
            .map_err(D::Error::custom)
    }
}

/// Maps every entity in `value` (inside arrays and maps too) with `mapper`.
pub(crate) fn map_entities_in(value: &mut Dynamic, mapper: &mut impl EntityMapper) {
    if let Some(mut entity) = value.write_lock::<Entity>() {
        *entity = mapper.get_mapped(*entity);
        return;
    }
    if let Some(mut array) = value.write_lock::<Array>() {
        for item in array.iter_mut() {
            map_entities_in(item, mapper);
        }
        return;
    }
    if let Some(mut map) = value.write_lock::<Map>() {
        for item in map.values_mut() {
            map_entities_in(item, mapper);
        }
    }
}
