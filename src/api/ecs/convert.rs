//! Values between Bevy's reflection and Rhai, walked by hand: numbers,
//! strings and bools become Rhai's own; `Entity`, `Vec2`, `Vec3`, `Quat` and
//! `Transform` become the script API's types (so `a - b` and `.normalize()`
//! work); structs become object maps, lists and tuples arrays, `Option` its
//! value or `()`, and enums their variant's name (or a one-entry map for a
//! variant with fields). Writes go into the existing value in place, so
//! Bevy's change detection sees them.

use std::any::TypeId;
use std::cell::OnceCell;
use std::sync::RwLockReadGuard;

use bevy::prelude::*;
use bevy::reflect::enums::{DynamicEnum, DynamicVariant, VariantInfo};
use bevy::reflect::structs::DynamicStruct;
use bevy::reflect::tuple::DynamicTuple;
use bevy::reflect::{PartialReflect, ReflectMut, ReflectRef, TypeInfo, TypeRegistry};
use rhai::{Array, Dynamic, FLOAT, INT, Map};

/// The app's type registry, locked for reading only when a write has to
/// build a new value (a list item, another enum variant): plain field
/// writes never touch it.
pub(super) struct Registry<'a> {
    handle: &'a AppTypeRegistry,
    guard: OnceCell<RwLockReadGuard<'a, TypeRegistry>>,
}

impl<'a> Registry<'a> {
    pub(super) fn new(handle: &'a AppTypeRegistry) -> Self {
        Self {
            handle,
            guard: OnceCell::new(),
        }
    }

    fn get(&self) -> &TypeRegistry {
        self.guard.get_or_init(|| self.handle.read())
    }
}

/// Reads a reflected value as a Rhai value.
pub(super) fn to_dynamic(value: &dyn PartialReflect) -> Dynamic {
    if let Some(leaf) = leaf_to_dynamic(value) {
        return leaf;
    }
    match value.reflect_ref() {
        ReflectRef::Struct(fields) => {
            let mut map = Map::new();
            for index in 0..fields.field_len() {
                if let (Some(name), Some(field)) = (fields.name_at(index), fields.field_at(index)) {
                    map.insert(name.into(), to_dynamic(field));
                }
            }
            map.into()
        }
        ReflectRef::TupleStruct(fields) => {
            array((0..fields.field_len()).filter_map(|index| fields.field(index)))
        }
        ReflectRef::Tuple(fields) => array((0..fields.field_len()).filter_map(|i| fields.field(i))),
        ReflectRef::List(list) => array(list.iter()),
        ReflectRef::Array(items) => array(items.iter()),
        ReflectRef::Set(set) => array(set.iter()),
        ReflectRef::Map(entries) => {
            let mut map = Map::new();
            for (key, value) in entries.iter() {
                map.insert(key_string(key).into(), to_dynamic(value));
            }
            map.into()
        }
        ReflectRef::Enum(value) => {
            let fields = || -> Dynamic {
                if value.field_len() == 1 && value.name_at(0).is_none() {
                    return value.field_at(0).map_or(Dynamic::UNIT, to_dynamic);
                }
                let mut map = Map::new();
                for index in 0..value.field_len() {
                    let field = value.field_at(index).map_or(Dynamic::UNIT, to_dynamic);
                    let name = value
                        .name_at(index)
                        .map_or(index.to_string(), str::to_owned);
                    map.insert(name.into(), field);
                }
                map.into()
            };
            if is_option(value.reflect_type_path()) {
                return match value.variant_name() {
                    "Some" => fields(),
                    _ => Dynamic::UNIT,
                };
            }
            if value.field_len() == 0 {
                return value.variant_name().into();
            }
            let mut map = Map::new();
            map.insert(value.variant_name().into(), fields());
            map.into()
        }
        ReflectRef::Opaque(opaque) => format!("{opaque:?}").into(),
        #[allow(unreachable_patterns, reason = "ReflectRef may grow")]
        _ => format!("{value:?}").into(),
    }
}

fn array<'a>(items: impl Iterator<Item = &'a dyn PartialReflect>) -> Dynamic {
    items.map(to_dynamic).collect::<Array>().into()
}

fn key_string(key: &dyn PartialReflect) -> String {
    match key.try_downcast_ref::<String>() {
        Some(key) => key.clone(),
        None => to_dynamic(key).to_string(),
    }
}

fn is_option(type_path: &str) -> bool {
    type_path.starts_with("core::option::Option<")
}

macro_rules! read_leaf {
    ($value:ident; $($ty:ty => $convert:expr),* $(,)?) => {
        $(if let Some(v) = $value.try_downcast_ref::<$ty>() {
            #[allow(clippy::redundant_closure_call)]
            return Some(($convert)(v));
        })*
    };
}

fn leaf_to_dynamic(value: &dyn PartialReflect) -> Option<Dynamic> {
    read_leaf!(value;
        f32 => |v: &f32| Dynamic::from(*v as FLOAT),
        f64 => |v: &f64| Dynamic::from(*v as FLOAT),
        i8 => |v: &i8| Dynamic::from(*v as INT),
        i16 => |v: &i16| Dynamic::from(*v as INT),
        i32 => |v: &i32| Dynamic::from(*v as INT),
        i64 => |v: &i64| Dynamic::from(*v as INT),
        isize => |v: &isize| Dynamic::from(*v as INT),
        u8 => |v: &u8| Dynamic::from(*v as INT),
        u16 => |v: &u16| Dynamic::from(*v as INT),
        u32 => |v: &u32| Dynamic::from(*v as INT),
        u64 => |v: &u64| Dynamic::from(*v as INT),
        usize => |v: &usize| Dynamic::from(*v as INT),
        bool => |v: &bool| Dynamic::from(*v),
        char => |v: &char| Dynamic::from(*v),
        String => |v: &String| Dynamic::from(v.clone()),
        Entity => |v: &Entity| Dynamic::from(*v),
        Vec2 => |v: &Vec2| Dynamic::from(*v),
        Vec3 => |v: &Vec3| Dynamic::from(*v),
        Quat => |v: &Quat| Dynamic::from(*v),
        Transform => |v: &Transform| Dynamic::from(*v),
    );
    None
}

/// A failed write: what was expected where, and what was found.
pub(super) type WriteResult = Result<(), String>;

fn expected(what: &str, found: &Dynamic) -> String {
    format!("expected {what}, found {}", found.type_name())
}

fn float(value: &Dynamic) -> Option<f64> {
    value
        .as_float()
        .ok()
        .or_else(|| value.as_int().ok().map(|i| i as f64))
}

fn int<T: TryFrom<INT>>(value: &Dynamic) -> Result<T, String> {
    let int = value
        .as_int()
        .map_err(|found| format!("expected an integer, found {found}"))?;
    T::try_from(int).map_err(|_| format!("{int} is out of range"))
}

/// Vec3 from a `Vec3`, `#{ x, y, z }` or `[x, y, z]`.
fn floats<const N: usize>(value: &Dynamic, names: [&str; N]) -> Option<[f32; N]> {
    let mut out = [0.0; N];
    if let Some(map) = value.read_lock::<Map>() {
        for (slot, name) in out.iter_mut().zip(names) {
            *slot = float(map.get(name)?)? as f32;
        }
        return Some(out);
    }
    if let Some(items) = value.read_lock::<Array>() {
        if items.len() != N {
            return None;
        }
        for (slot, item) in out.iter_mut().zip(items.iter()) {
            *slot = float(item)? as f32;
        }
        return Some(out);
    }
    None
}

/// Writes a leaf value, if `target` is one of the leaf types; `None` if it
/// is not a leaf.
fn write_leaf(target: &mut dyn PartialReflect, value: &Dynamic) -> Option<WriteResult> {
    macro_rules! leaf {
        ($ty:ty, $convert:expr) => {
            if let Some(slot) = target.try_downcast_mut::<$ty>() {
                #[allow(clippy::redundant_closure_call)]
                return Some(($convert)(value).map(|new: $ty| *slot = new));
            }
        };
    }
    let number = |value: &Dynamic| float(value).ok_or_else(|| expected("a number", value));
    leaf!(f32, |v| number(v).map(|f| f as f32));
    leaf!(f64, number);
    leaf!(i8, int);
    leaf!(i16, int);
    leaf!(i32, int);
    leaf!(i64, int);
    leaf!(isize, int);
    leaf!(u8, int);
    leaf!(u16, int);
    leaf!(u32, int);
    leaf!(u64, int);
    leaf!(usize, int);
    leaf!(bool, |v: &Dynamic| v
        .as_bool()
        .map_err(|_| expected("a bool", v)));
    leaf!(char, |v: &Dynamic| v
        .as_char()
        .map_err(|_| expected("a char", v)));
    leaf!(String, |v: &Dynamic| {
        v.read_lock::<rhai::ImmutableString>()
            .map(|s| s.to_string())
            .ok_or_else(|| expected("a string", v))
    });
    leaf!(Entity, |v: &Dynamic| v
        .clone()
        .try_cast::<Entity>()
        .ok_or_else(|| expected("an Entity", v)));
    leaf!(Vec2, |v: &Dynamic| {
        if let Some(v2) = v.read_lock::<Vec2>() {
            return Ok(*v2);
        }
        floats(v, ["x", "y"])
            .map(Vec2::from)
            .ok_or_else(|| expected("a Vec2", v))
    });
    leaf!(Vec3, |v: &Dynamic| {
        if let Some(v3) = v.read_lock::<Vec3>() {
            return Ok(*v3);
        }
        floats(v, ["x", "y", "z"])
            .map(Vec3::from)
            .ok_or_else(|| expected("a Vec3", v))
    });
    leaf!(Quat, |v: &Dynamic| {
        if let Some(q) = v.read_lock::<Quat>() {
            return Ok(*q);
        }
        floats(v, ["x", "y", "z", "w"])
            .map(Quat::from_array)
            .ok_or_else(|| expected("a Quat", v))
    });
    if let Some(slot) = target.try_downcast_mut::<Transform>()
        && let Some(transform) = value.read_lock::<Transform>()
    {
        *slot = *transform;
        return Some(Ok(()));
    }
    None
}

/// Writes `value` into `target` in place. `registry` builds the values that
/// a write adds (a new list item, a `Some`, another enum variant).
pub(super) fn apply(
    target: &mut dyn PartialReflect,
    value: &Dynamic,
    registry: &Registry,
) -> WriteResult {
    if let Some(result) = write_leaf(target, value) {
        return result;
    }
    let type_path = target.reflect_type_path().to_owned();
    match target.reflect_mut() {
        ReflectMut::Struct(fields) => {
            let map = value.read_lock::<Map>().ok_or_else(|| {
                expected(&format!("an object map for {}", short(&type_path)), value)
            })?;
            for (name, field_value) in map.iter() {
                let Some(field) = fields.field_mut(name) else {
                    let known: Vec<&str> = (0..fields.field_len())
                        .filter_map(|i| fields.name_at(i))
                        .collect();
                    return Err(format!(
                        "{} has no field '{name}' (fields: {})",
                        short(&type_path),
                        known.join(", ")
                    ));
                };
                apply(field, field_value, registry).map_err(|error| format!("{name}: {error}"))?;
            }
            Ok(())
        }
        ReflectMut::TupleStruct(fields) => {
            if let Some(items) = value.read_lock::<Array>() {
                if items.len() != fields.field_len() {
                    return Err(format!(
                        "{} has {} fields, the array {}",
                        short(&type_path),
                        fields.field_len(),
                        items.len()
                    ));
                }
                for (index, item) in items.iter().enumerate() {
                    let field = fields.field_mut(index).expect("index in range");
                    apply(field, item, registry).map_err(|error| format!("{index}: {error}"))?;
                }
                return Ok(());
            }
            // A newtype takes its one field's value directly: Health(f32) = 5.0.
            let newtype = fields.field_len() == 1;
            match fields.field_mut(0) {
                Some(field) if newtype => apply(field, value, registry),
                _ => Err(expected(
                    &format!("an array for {}", short(&type_path)),
                    value,
                )),
            }
        }
        ReflectMut::Tuple(fields) => apply_items(fields.field_len(), value, |index, item| {
            apply(fields.field_mut(index).expect("in range"), item, registry)
        }),
        ReflectMut::Array(slots) => apply_items(slots.len(), value, |index, item| {
            apply(slots.get_mut(index).expect("in range"), item, registry)
        }),
        ReflectMut::List(list) => {
            let items = value
                .read_lock::<Array>()
                .ok_or_else(|| expected("an array", value))?;
            while list.len() > items.len() {
                list.pop();
            }
            let item_info = match list.get_represented_type_info() {
                Some(TypeInfo::List(info)) => info.item_info(),
                _ => None,
            };
            for (index, item) in items.iter().enumerate() {
                if let Some(slot) = list.get_mut(index) {
                    apply(slot, item, registry)?;
                } else {
                    let info = item_info.ok_or("the list's item type is not known")?;
                    list.push(build(info, item, registry)?);
                }
            }
            Ok(())
        }
        ReflectMut::Map(entries) => {
            let map = value
                .read_lock::<Map>()
                .ok_or_else(|| expected("an object map", value))?;
            let value_info = match entries.get_represented_type_info() {
                Some(TypeInfo::Map(info)) => info.value_info(),
                _ => None,
            };
            for (key, item) in map.iter() {
                let key_value = key.to_string();
                if let Some(slot) = entries.get_mut(&key_value) {
                    apply(slot, item, registry)?;
                } else {
                    let info = value_info.ok_or("the map's value type is not known")?;
                    entries.insert_boxed(Box::new(key_value), build(info, item, registry)?);
                }
            }
            Ok(())
        }
        ReflectMut::Enum(current) => {
            let info = current
                .get_represented_enum_info()
                .ok_or("the enum's type is not known")?;
            let Some((variant, fields)) = variant_of(&type_path, value) else {
                return Err(expected(
                    &format!(
                        "a variant of {} (its name, or #{{ Variant: fields }})",
                        short(&type_path)
                    ),
                    value,
                ));
            };
            let Some(variant_info) = info.variant(&variant) else {
                return Err(format!(
                    "{} has no variant '{variant}' (variants: {})",
                    short(&type_path),
                    info.variant_names().join(", ")
                ));
            };
            // Same variant: write its fields in place.
            if current.variant_name() == variant {
                if let Some(fields) = &fields {
                    if current.field_len() == 1 && current.name_at(0).is_none() {
                        let field = current.field_at_mut(0).expect("one field");
                        return apply(field, fields, registry);
                    }
                    let Some(map) = fields.read_lock::<Map>() else {
                        return Err(expected("an object map of the variant's fields", fields));
                    };
                    for (name, field_value) in map.iter() {
                        let field = current
                            .field_mut(name)
                            .ok_or_else(|| format!("variant {variant} has no field '{name}'"))?;
                        apply(field, field_value, registry)?;
                    }
                }
                return Ok(());
            }
            let new = build_variant(variant_info, fields.as_ref(), registry)?;
            current
                .try_apply(&new)
                .map_err(|error| format!("cannot set {}: {error}", short(&type_path)))
        }
        ReflectMut::Set(_) => Err(format!(
            "{} is a set, which scripts cannot write",
            short(&type_path)
        )),
        ReflectMut::Opaque(_) => Err(format!(
            "{} cannot be written from scripts",
            short(&type_path)
        )),
        #[allow(unreachable_patterns, reason = "ReflectMut may grow")]
        _ => Err(format!(
            "{} cannot be written from scripts",
            short(&type_path)
        )),
    }
}

/// Writes an array into a fixed number of slots (a tuple, an array) with
/// `apply_at(index, item)`.
fn apply_items(
    len: usize,
    value: &Dynamic,
    mut apply_at: impl FnMut(usize, &Dynamic) -> WriteResult,
) -> WriteResult {
    let items = value
        .read_lock::<Array>()
        .ok_or_else(|| expected("an array", value))?;
    if items.len() != len {
        return Err(format!("expected {len} items, found {}", items.len()));
    }
    for (index, item) in items.iter().enumerate() {
        apply_at(index, item)?;
    }
    Ok(())
}

/// The variant a script value names for an enum of type `type_path`, and
/// the value of its fields: `()` or a value for an `Option`, a name, or
/// `#{ Variant: fields }`.
fn variant_of(type_path: &str, value: &Dynamic) -> Option<(String, Option<Dynamic>)> {
    if is_option(type_path) {
        return Some(if value.is_unit() {
            ("None".into(), None)
        } else {
            ("Some".into(), Some(value.clone()))
        });
    }
    if let Some(name) = value.read_lock::<rhai::ImmutableString>() {
        return Some((name.to_string(), None));
    }
    let map = value.read_lock::<Map>()?;
    let (name, fields) = map.iter().next().filter(|_| map.len() == 1)?;
    Some((name.to_string(), Some(fields.clone())))
}

fn build_variant(
    variant: &VariantInfo,
    fields: Option<&Dynamic>,
    registry: &Registry,
) -> Result<DynamicEnum, String> {
    match variant {
        VariantInfo::Unit(info) => Ok(DynamicEnum::new(info.name(), DynamicVariant::Unit)),
        VariantInfo::Tuple(info) => {
            let fields =
                fields.ok_or_else(|| format!("variant {} needs its fields", info.name()))?;
            let values: Vec<Dynamic> = match fields.read_lock::<Array>() {
                Some(items) if info.field_len() != 1 => items.to_vec(),
                _ => vec![fields.clone()],
            };
            if values.len() != info.field_len() {
                return Err(format!(
                    "variant {} has {} fields",
                    info.name(),
                    info.field_len()
                ));
            }
            let mut tuple = DynamicTuple::default();
            for (field, value) in info.iter().zip(&values) {
                let field_info = field.type_info().ok_or("a field's type is not known")?;
                tuple.insert_boxed(build(field_info, value, registry)?);
            }
            Ok(DynamicEnum::new(info.name(), DynamicVariant::Tuple(tuple)))
        }
        VariantInfo::Struct(info) => {
            let fields =
                fields.ok_or_else(|| format!("variant {} needs its fields", info.name()))?;
            let map = fields
                .read_lock::<Map>()
                .ok_or_else(|| expected("an object map of the variant's fields", fields))?;
            let mut dynamic = DynamicStruct::default();
            for field in info.iter() {
                let value = map.get(field.name()).ok_or_else(|| {
                    format!("variant {} needs field '{}'", info.name(), field.name())
                })?;
                let field_info = field.type_info().ok_or("a field's type is not known")?;
                dynamic.insert_boxed(field.name(), build(field_info, value, registry)?);
            }
            Ok(DynamicEnum::new(
                info.name(),
                DynamicVariant::Struct(dynamic),
            ))
        }
    }
}

/// A new value of the type `info` describes, from `value`: its `Default`
/// with `value` written over it when the type has one, else built from
/// `value` alone (which must then give every field).
fn build(
    info: &TypeInfo,
    value: &Dynamic,
    registry: &Registry,
) -> Result<Box<dyn PartialReflect>, String> {
    if let Some(leaf) = build_leaf(info.type_id(), value) {
        return leaf;
    }
    if let Some(default) = registry
        .get()
        .get_type_data::<ReflectDefault>(info.type_id())
    {
        let mut new = default.default();
        apply(new.as_partial_reflect_mut(), value, registry)?;
        return Ok(new.into_partial_reflect());
    }
    match info {
        TypeInfo::Struct(info) => {
            let map = value.read_lock::<Map>().ok_or_else(|| {
                expected(
                    &format!("an object map for {}", info.type_path_table().short_path()),
                    value,
                )
            })?;
            let mut dynamic = DynamicStruct::default();
            dynamic.set_represented_type(Some(registry_info(info.type_id(), registry)?));
            for field in info.iter() {
                let field_value = map.get(field.name()).ok_or_else(|| {
                    format!(
                        "{} has no Default, so every field must be given: '{}' is missing",
                        info.type_path_table().short_path(),
                        field.name()
                    )
                })?;
                let field_info = field.type_info().ok_or("a field's type is not known")?;
                dynamic.insert_boxed(field.name(), build(field_info, field_value, registry)?);
            }
            if let Some(extra) = map.keys().find(|key| info.field(key).is_none()) {
                return Err(format!(
                    "{} has no field '{extra}'",
                    info.type_path_table().short_path()
                ));
            }
            Ok(Box::new(dynamic))
        }
        TypeInfo::Enum(info) => {
            let Some((name, fields)) = variant_of(info.type_path(), value) else {
                return Err(expected("an enum variant", value));
            };
            let variant = info.variant(&name).ok_or_else(|| {
                format!(
                    "{} has no variant '{name}' (variants: {})",
                    info.type_path_table().short_path(),
                    info.variant_names().join(", ")
                )
            })?;
            let mut dynamic = build_variant(variant, fields.as_ref(), registry)?;
            dynamic.set_represented_type(Some(registry_info(info.type_id(), registry)?));
            Ok(Box::new(dynamic))
        }
        other => Err(format!(
            "cannot build a {} from a script value without a Default",
            other.type_path_table().short_path()
        )),
    }
}

/// A new value of the registered type `type_id` (see [`build`]).
pub(super) fn build_type(
    type_id: TypeId,
    value: &Dynamic,
    registry: &Registry,
) -> Result<Box<dyn PartialReflect>, String> {
    build(registry_info(type_id, registry)?, value, registry)
}

fn registry_info(type_id: TypeId, registry: &Registry) -> Result<&'static TypeInfo, String> {
    registry
        .get()
        .get(type_id)
        .map(|registration| registration.type_info())
        .ok_or_else(|| "the type is not registered for reflection".to_owned())
}

fn build_leaf(type_id: TypeId, value: &Dynamic) -> Option<Result<Box<dyn PartialReflect>, String>> {
    macro_rules! leaf {
        ($($ty:ty),*) => {
            $(if type_id == TypeId::of::<$ty>() {
                let mut new = <$ty>::default();
                return Some(
                    write_leaf(&mut new, value)
                        .expect("a leaf type")
                        .map(|()| Box::new(new) as Box<dyn PartialReflect>),
                );
            })*
        };
    }
    leaf!(
        f32, f64, i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, bool, char, String, Vec2,
        Vec3, Quat
    );
    if type_id == TypeId::of::<Transform>()
        && let Some(transform) = value.read_lock::<Transform>()
    {
        return Some(Ok(Box::new(*transform)));
    }
    if type_id == TypeId::of::<Entity>() {
        let mut new = Entity::PLACEHOLDER;
        return Some(
            write_leaf(&mut new, value)
                .expect("a leaf type")
                .map(|()| Box::new(new) as Box<dyn PartialReflect>),
        );
    }
    None
}

fn short(type_path: &str) -> String {
    ShortName(type_path).to_string()
}
