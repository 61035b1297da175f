//! Scripts reach the whole ECS through Bevy's reflection: any component or
//! resource the app registers for reflection, by name, with no glue code.
//!
//! | Rhai | does |
//! |---|---|
//! | `me.Health` | a live handle to `me`'s `Health`; `me.Health.hp -= 1.0` reads and writes the field at once (change detection sees it) |
//! | `me.Health = #{ hp: 5.0 }` | writes the fields given |
//! | `me.Health.value()` | the whole component as a Rhai value |
//! | `me.has("Frozen")`, `me.exists()` | whether `me` has a component; whether `me` still exists |
//! | `me.insert("Stunned", #{ secs: 2.0 })`, `me.insert("Frozen")` | inserts a component, missing fields from its `Default` |
//! | `me.remove("Stunned")` | removes a component |
//! | `query("Enemy")`, `query(["Enemy", "Transform"])`, `query(["Enemy"], ["Frozen"])` | the entities with all of the first names and none of the second |
//! | `query_one("Player")` | the single entity with a `Player`; an error if there are none or several |
//! | `resource("Score")` | a live handle to a resource: `let score = resource("Score"); score.points += 1;` |
//! | `spawn_with("scripts/bullet.rhai", #{ Transform: t, Velocity: #{ linvel: v } })` | spawns an entity running a script, with components |
//! | `spawn_entity(#{ Velocity: #{ linvel: v } })` | spawns an entity with components and no script |
//!
//! Rhai assigns only to variables and their fields: write through a
//! variable (`let me = entity(); me.Health.hp = 5.0;`).
//!
//! Names are short type names (`Health`) or, where two types share one,
//! full type paths. Values convert both ways: numbers, strings, bools,
//! `Entity`, `Vec2`, `Vec3`, `Quat` and `Transform` as themselves, structs as
//! object maps, lists and tuples as arrays, `Option` as its value or `()`,
//! enums as their variant's name or `#{ Variant: fields }`. The app limits
//! what scripts reach with [`ScriptAccess`].

mod access;
mod convert;
mod query;

use std::sync::Arc;

use bevy::ecs::reflect::ReflectComponent;
use bevy::prelude::*;
use bevy::reflect::{PartialReflect, ReflectRef, TypeRegistry};
use rhai::{Array, Dynamic, Engine, Map};

pub use access::ScriptAccess;
pub(crate) use query::ScriptQueries;

use super::ScriptResult;
use super::entity::script_path;
use crate::asset::{RhaiScript, ScriptExtensions};
use crate::engine::with_script_world;
use crate::runtime::Script;
use access::{Kind, Target, component_id, resolve};

/// A live handle to one component of one entity: reading or writing a
/// field goes to the ECS at once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ComponentRef {
    entity: Entity,
    target: Target,
}

/// A live handle to a resource.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResourceRef {
    target: Target,
}

pub(super) fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<ComponentRef>("ComponentRef")
        .register_type_with_name::<ResourceRef>("ResourceRef")
        .register_indexer_get(|entity: &mut Entity, name: &str| component_ref(*entity, name))
        .register_indexer_set(|entity: &mut Entity, name: &str, value: Dynamic| {
            set_component(*entity, name, value)
        })
        .register_indexer_get(|handle: &mut ComponentRef, field: &str| {
            with_script_world(|world, _| read_component(world, *handle, Some(field)))?
        })
        .register_indexer_set(|handle: &mut ComponentRef, field: &str, value: Dynamic| {
            with_script_world(|world, _| write_component(world, *handle, Some(field), &value))?
        })
        .register_fn("value", |handle: &mut ComponentRef| {
            with_script_world(|world, _| read_component(world, *handle, None))?
        })
        .register_fn("to_string", |handle: &mut ComponentRef| {
            describe_component(*handle)
        })
        .register_fn("to_debug", |handle: &mut ComponentRef| {
            describe_component(*handle)
        })
        .register_indexer_get(|handle: &mut ResourceRef, field: &str| {
            with_script_world(|world, _| read_resource(world, *handle, Some(field)))?
        })
        .register_indexer_set(|handle: &mut ResourceRef, field: &str, value: Dynamic| {
            with_script_world(|world, _| write_resource(world, *handle, Some(field), &value))?
        })
        .register_fn("value", |handle: &mut ResourceRef| {
            with_script_world(|world, _| read_resource(world, *handle, None))?
        })
        .register_fn("to_string", |handle: &mut ResourceRef| {
            describe_resource(*handle)
        })
        .register_fn("to_debug", |handle: &mut ResourceRef| {
            describe_resource(*handle)
        })
        .register_fn("has", |entity: &mut Entity, name: &str| has(*entity, name))
        .register_fn("exists", |entity: &mut Entity| {
            let entity = *entity;
            with_script_world(|world, _| world.get_entity(entity).is_ok())
        })
        .register_fn(
            "insert",
            |entity: &mut Entity, name: &str, value: Dynamic| insert(*entity, name, &value),
        )
        .register_fn("insert", |entity: &mut Entity, name: &str| {
            insert(*entity, name, &Dynamic::from(Map::new()))
        })
        .register_fn("remove", |entity: &mut Entity, name: &str| {
            remove(*entity, name)
        })
        .register_fn("resource", |name: &str| {
            with_script_world(|world, _| -> ScriptResult<ResourceRef> {
                let target = lookup(world, Kind::Resource, name)?;
                resource_entity(world, target)?;
                Ok(ResourceRef { target })
            })?
        })
        .register_fn("query", |with: Dynamic| query::query(&with, &Dynamic::UNIT))
        .register_fn("query", |with: Dynamic, without: Dynamic| {
            query::query(&with, &without)
        })
        .register_fn("query_one", |with: Dynamic| {
            query::query_one(&with, &Dynamic::UNIT)
        })
        .register_fn("query_one", |with: Dynamic, without: Dynamic| {
            query::query_one(&with, &without)
        })
        .register_fn("spawn_with", |path: &str, components: Map| {
            spawn(Some(path), &components)
        })
        .register_fn("spawn_entity", |components: Map| spawn(None, &components));
}

fn registry(world: &World) -> AppTypeRegistry {
    world.resource::<AppTypeRegistry>().clone()
}

/// Finds `name` among the types scripts may reach.
fn lookup(world: &World, kind: Kind, name: &str) -> ScriptResult<Target> {
    let registry = registry(world);
    let registry = registry.read();
    let access = world.get_resource::<ScriptAccess>();
    let default = ScriptAccess::default();
    resolve(&registry, access.unwrap_or(&default), kind, name).map_err(Into::into)
}

fn gone(entity: Entity) -> Box<rhai::EvalAltResult> {
    format!("entity {entity} no longer exists (it was despawned)").into()
}

fn check_writable(world: &World, target: Target) -> ScriptResult<()> {
    let allowed = match world.get_resource::<ScriptAccess>() {
        Some(access) => access.permits_writes(target.type_id),
        None => true,
    };
    if allowed {
        Ok(())
    } else {
        Err(format!("{} is read-only for scripts", target.name).into())
    }
}

fn component_ref(entity: Entity, name: &str) -> ScriptResult<ComponentRef> {
    with_script_world(|world, _| {
        let target = lookup(world, Kind::Component, name)?;
        let entity_ref = world.get_entity(entity).map_err(|_| gone(entity))?;
        let present = component_id(world, target).is_some_and(|id| entity_ref.contains_id(id));
        if !present {
            return Err(format!("entity {entity} has no {}", target.name).into());
        }
        Ok(ComponentRef { entity, target })
    })?
}

/// `me.Health = value`: writes the fields `value` gives. Rhai also writes a
/// handle back after `me.Health.hp = ..`; a handle to the same component
/// is then nothing to do.
fn set_component(entity: Entity, name: &str, value: Dynamic) -> ScriptResult<()> {
    if let Some(handle) = value.read_lock::<ComponentRef>()
        && handle.entity == entity
        && handle.target.name == name
    {
        return Ok(());
    }
    let handle = component_ref(entity, name)?;
    if value
        .read_lock::<ComponentRef>()
        .is_some_and(|other| *other == handle)
    {
        return Ok(());
    }
    with_script_world(|world, _| {
        let value = resolve_handles(world, &value)?;
        write_component(world, handle, None, &value)
    })?
}

/// A value with any handles in it replaced by the values they point at.
fn resolve_handles(world: &World, value: &Dynamic) -> ScriptResult<Dynamic> {
    if let Some(handle) = value.read_lock::<ComponentRef>() {
        return read_component(world, *handle, None);
    }
    if let Some(handle) = value.read_lock::<ResourceRef>() {
        return read_resource(world, *handle, None);
    }
    if let Some(map) = value.read_lock::<Map>() {
        let mut resolved = Map::new();
        for (key, item) in map.iter() {
            resolved.insert(key.clone(), resolve_handles(world, item)?);
        }
        return Ok(resolved.into());
    }
    if let Some(items) = value.read_lock::<Array>() {
        return items
            .iter()
            .map(|item| resolve_handles(world, item))
            .collect::<ScriptResult<Array>>()
            .map(Into::into);
    }
    Ok(value.clone())
}

/// Field `name` of a reflected struct (or tuple struct, by index).
fn field<'a>(value: &'a dyn PartialReflect, name: &str) -> Option<&'a dyn PartialReflect> {
    match value.reflect_ref() {
        ReflectRef::Struct(fields) => fields.field(name),
        ReflectRef::TupleStruct(fields) => fields.field(name.parse().ok()?),
        _ => None,
    }
}

fn field_mut<'a>(
    value: &'a mut dyn PartialReflect,
    name: &str,
) -> Option<&'a mut dyn PartialReflect> {
    match value.reflect_mut() {
        bevy::reflect::ReflectMut::Struct(fields) => fields.field_mut(name),
        bevy::reflect::ReflectMut::TupleStruct(fields) => fields.field_mut(name.parse().ok()?),
        _ => None,
    }
}

fn no_field(value: &dyn PartialReflect, owner: &str, name: &str) -> Box<rhai::EvalAltResult> {
    let fields: Vec<String> = match value.reflect_ref() {
        ReflectRef::Struct(fields) => (0..fields.field_len())
            .filter_map(|i| fields.name_at(i))
            .map(str::to_owned)
            .collect(),
        ReflectRef::TupleStruct(fields) => (0..fields.field_len()).map(|i| i.to_string()).collect(),
        _ => Vec::new(),
    };
    format!(
        "{owner} has no field '{name}' (fields: {})",
        fields.join(", ")
    )
    .into()
}

fn reflect_component(registry: &TypeRegistry, target: Target) -> ScriptResult<&ReflectComponent> {
    registry
        .get_type_data::<ReflectComponent>(target.type_id)
        .ok_or_else(|| format!("{} does not reflect as a component", target.name).into())
}

fn read_on(
    world: &World,
    entity: Entity,
    target: Target,
    field_name: Option<&str>,
) -> ScriptResult<Dynamic> {
    let registry = registry(world);
    let registry = registry.read();
    let reflect = reflect_component(&registry, target)?;
    let entity_ref = world.get_entity(entity).map_err(|_| gone(entity))?;
    let value = reflect
        .reflect(entity_ref)
        .ok_or_else(|| format!("entity {entity} has no {}", target.name))?;
    let value = value.as_partial_reflect();
    match field_name {
        None => Ok(convert::to_dynamic(value)),
        Some(name) => field(value, name)
            .map(convert::to_dynamic)
            .ok_or_else(|| no_field(value, target.name, name)),
    }
}

fn write_on(
    world: &mut World,
    entity: Entity,
    target: Target,
    field_name: Option<&str>,
    new: &Dynamic,
) -> ScriptResult<()> {
    check_writable(world, target)?;
    let registry = registry(world);
    let registry = registry.read();
    let reflect = reflect_component(&registry, target)?;
    let entity_mut = world.get_entity_mut(entity).map_err(|_| gone(entity))?;
    let mut value = reflect
        .reflect_mut(entity_mut)
        .ok_or_else(|| format!("entity {entity} has no {}", target.name))?;
    let value = value.as_partial_reflect_mut();
    let (slot, what) = match field_name {
        None => (value, target.name.to_owned()),
        Some(name) => {
            if field(value, name).is_none() {
                return Err(no_field(value, target.name, name));
            }
            (
                field_mut(value, name).expect("checked"),
                format!("{}.{name}", target.name),
            )
        }
    };
    convert::apply(slot, new, &registry)
        .map_err(|error| format!("cannot write {what} of entity {entity}: {error}").into())
}

fn read_component(
    world: &World,
    handle: ComponentRef,
    field: Option<&str>,
) -> ScriptResult<Dynamic> {
    read_on(world, handle.entity, handle.target, field)
}

fn write_component(
    world: &mut World,
    handle: ComponentRef,
    field: Option<&str>,
    value: &Dynamic,
) -> ScriptResult<()> {
    write_on(world, handle.entity, handle.target, field, value)
}

/// The entity a resource lives on (resources are entities in Bevy 0.19).
fn resource_entity(world: &World, target: Target) -> ScriptResult<Entity> {
    component_id(world, target)
        .and_then(|id| world.resource_entities().get(id))
        .ok_or_else(|| format!("the resource {} does not exist", target.name).into())
}

fn read_resource(world: &World, handle: ResourceRef, field: Option<&str>) -> ScriptResult<Dynamic> {
    let entity = resource_entity(world, handle.target)?;
    read_on(world, entity, handle.target, field)
}

fn write_resource(
    world: &mut World,
    handle: ResourceRef,
    field: Option<&str>,
    value: &Dynamic,
) -> ScriptResult<()> {
    let entity = resource_entity(world, handle.target)?;
    write_on(world, entity, handle.target, field, value)
}

fn describe_component(handle: ComponentRef) -> String {
    with_script_world(|world, _| read_component(world, handle, None))
        .ok()
        .and_then(Result::ok)
        .map_or_else(
            || format!("{} of {} (gone)", handle.target.name, handle.entity),
            |value| format!("{} {value}", handle.target.name),
        )
}

fn describe_resource(handle: ResourceRef) -> String {
    with_script_world(|world, _| read_resource(world, handle, None))
        .ok()
        .and_then(Result::ok)
        .map_or_else(
            || format!("{} (gone)", handle.target.name),
            |value| format!("{} {value}", handle.target.name),
        )
}

fn has(entity: Entity, name: &str) -> ScriptResult<bool> {
    with_script_world(|world, _| {
        let target = lookup(world, Kind::Component, name)?;
        let entity_ref = world.get_entity(entity).map_err(|_| gone(entity))?;
        Ok(component_id(world, target).is_some_and(|id| entity_ref.contains_id(id)))
    })?
}

/// Builds component `name` from `value` (its `Default` with `value`'s fields
/// written over it).
fn build_component(
    world: &World,
    registry: &TypeRegistry,
    name: &str,
    value: &Dynamic,
) -> ScriptResult<(Target, Box<dyn PartialReflect>)> {
    let target = lookup(world, Kind::Component, name)?;
    check_writable(world, target)?;
    let value = resolve_handles(world, value)?;
    let info = registry
        .get(target.type_id)
        .map(|registration| registration.type_info())
        .ok_or_else(|| format!("{} is not registered", target.name))?;
    let built = convert::build(info, &value, registry)
        .map_err(|error| format!("cannot build {}: {error}", target.name))?;
    Ok((target, built))
}

fn insert(entity: Entity, name: &str, value: &Dynamic) -> ScriptResult<()> {
    with_script_world(|world, _| {
        let registry = registry(world);
        let registry = registry.read();
        let (target, built) = build_component(world, &registry, name, value)?;
        let reflect = reflect_component(&registry, target)?;
        let mut entity_mut = world.get_entity_mut(entity).map_err(|_| gone(entity))?;
        reflect.insert(&mut entity_mut, built.as_ref(), &registry);
        Ok(())
    })?
}

fn remove(entity: Entity, name: &str) -> ScriptResult<()> {
    with_script_world(|world, _| {
        let target = lookup(world, Kind::Component, name)?;
        check_writable(world, target)?;
        let registry = registry(world);
        let registry = registry.read();
        let reflect = reflect_component(&registry, target)?;
        let mut entity_mut = world.get_entity_mut(entity).map_err(|_| gone(entity))?;
        reflect.remove(&mut entity_mut);
        Ok(())
    })?
}

/// Spawns an entity with the components in `components` (and the script at
/// `path`, if given). All components are built before anything is spawned,
/// so a bad one spawns nothing.
fn spawn(path: Option<&str>, components: &Map) -> ScriptResult<Entity> {
    with_script_world(|world, _| {
        let script = match path {
            Some(path) => {
                let extensions = world.resource::<ScriptExtensions>().0;
                let path = script_path(path, extensions)?;
                Some(world.resource::<AssetServer>().load::<RhaiScript>(path))
            }
            None => None,
        };
        let registry = registry(world);
        let registry = registry.read();
        let mut built = Vec::with_capacity(components.len());
        for (name, value) in components {
            built.push(build_component(world, &registry, name, value)?);
        }
        let mut entity = world.spawn_empty();
        for (target, value) in &built {
            reflect_component(&registry, *target)?.insert(&mut entity, value.as_ref(), &registry);
        }
        if let Some(script) = script {
            entity.insert(Script::new(script));
        }
        Ok(entity.id())
    })?
}

/// Shared with the query module.
fn shared_queries(world: &World) -> Arc<std::sync::Mutex<query::Cache>> {
    world.resource::<ScriptQueries>().0.clone()
}
