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

use std::any::TypeId;
use std::fmt;
use std::sync::Arc;

use bevy::prelude::*;
use bevy::reflect::{PartialReflect, ReflectMut, ReflectRef};
use rhai::{Array, Dynamic, Engine, Map};

pub(crate) use access::ReflectedTypes;
pub use access::ScriptAccess;
pub(crate) use query::{ScriptQueries, prepare_queries};

use super::ScriptResult;
use super::entity::{SpawnedByScript, script_path, take_spawn};
use crate::asset::{RhaiScript, ScriptExtensions};
use crate::engine::{
    PhaseChanges, WrittenComponent, apply_or_defer, read_world, with_phase, with_script_world,
};
use crate::runtime::Script;
use access::{Kind, Resolved};
use convert::Registry;

/// Converts a reflected value to the Rhai value scripts see for it (see the
/// [module documentation](self)): for native functions that hand Bevy
/// values to scripts.
pub fn reflect_to_dynamic(value: &dyn PartialReflect) -> Dynamic {
    convert::to_dynamic(value)
}

/// A live handle to one component of one entity: reading or writing a
/// field goes to the ECS at once.
#[derive(Clone)]
pub struct ComponentRef {
    entity: Entity,
    resolved: Arc<Resolved>,
}

/// A live handle to a resource.
#[derive(Clone)]
pub struct ResourceRef {
    resolved: Arc<Resolved>,
}

impl PartialEq for ComponentRef {
    fn eq(&self, other: &Self) -> bool {
        self.entity == other.entity && self.resolved.target == other.resolved.target
    }
}

impl fmt::Debug for ComponentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of {}", self.resolved.target.name, self.entity)
    }
}

impl fmt::Debug for ResourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "resource {}", self.resolved.target.name)
    }
}

/// What the two live handles share: reading and writing the value they
/// point at, whole or one field, at once or in the parallel phase (see
/// [`ParallelUpdate::parallel_scripts`](crate::ParallelUpdate)).
trait LiveHandle: Clone + Send + Sync + 'static {
    fn read(&self, world: &World, field: Option<&str>) -> ScriptResult<Dynamic>;
    fn write(&self, world: &mut World, field: Option<&str>, value: &Dynamic) -> ScriptResult<()>;
    /// [`LiveHandle::read`] in the parallel phase, for a call of `own`
    /// whose writes so far are `changes`: by default, the world as the
    /// phase began.
    fn read_in_phase(
        &self,
        world: &World,
        _own: Entity,
        _changes: &mut PhaseChanges,
        field: Option<&str>,
    ) -> ScriptResult<Dynamic> {
        self.read(world, field)
    }
    /// [`LiveHandle::write`] in the parallel phase.
    fn write_in_phase(
        &self,
        world: &World,
        own: Entity,
        changes: &mut PhaseChanges,
        field: Option<&str>,
        value: &Dynamic,
    ) -> ScriptResult<()>;
    fn describe(&self) -> String;
}

/// Reads `handle`: in the parallel phase as the phase sees it.
fn read_handle(handle: &impl LiveHandle, field: Option<&str>) -> ScriptResult<Dynamic> {
    if let Some(result) =
        with_phase(|world, own, changes| handle.read_in_phase(world, own, changes, field))
    {
        return result?;
    }
    with_script_world(|world, _| handle.read(world, field))?
}

/// Writes `handle`: at once, or in the parallel phase into the running
/// entity's copy of its component.
fn write_handle(
    handle: &impl LiveHandle,
    field: Option<&str>,
    value: &Dynamic,
) -> ScriptResult<()> {
    if let Some(result) = with_phase(|world, own, changes| {
        let value = resolve_handles_in_phase(world, own, changes, value)?;
        handle.write_in_phase(world, own, changes, field, &value)
    }) {
        return result?;
    }
    with_script_world(|world, _| {
        let value = resolve_handles(world, value)?;
        handle.write(world, field, &value)
    })?
}

impl LiveHandle for ComponentRef {
    fn read(&self, world: &World, field: Option<&str>) -> ScriptResult<Dynamic> {
        read_on(world, self.entity, &self.resolved, field)
    }

    fn write(&self, world: &mut World, field: Option<&str>, value: &Dynamic) -> ScriptResult<()> {
        write_on(world, self.entity, &self.resolved, field, value)
    }

    fn read_in_phase(
        &self,
        world: &World,
        own: Entity,
        changes: &mut PhaseChanges,
        field: Option<&str>,
    ) -> ScriptResult<Dynamic> {
        let name = self.resolved.target.name;
        if self.entity == own {
            if self.resolved.target.type_id == TypeId::of::<Transform>()
                && let Some(transform) = &changes.transform
            {
                return read_value(transform, name, field);
            }
            if let Some(written) = changes.written(self.resolved.target.type_id) {
                return read_value(written, name, field);
            }
        }
        self.read(world, field)
    }

    fn write_in_phase(
        &self,
        world: &World,
        own: Entity,
        changes: &mut PhaseChanges,
        field: Option<&str>,
        value: &Dynamic,
    ) -> ScriptResult<()> {
        let resolved = &self.resolved;
        check_writable(resolved)?;
        let name = resolved.target.name;
        let entity = self.entity;
        if entity != own {
            return Err(not_own_in_phase(&format!("{name} of entity {entity}")));
        }
        let entity_ref = world.get_entity(entity).map_err(|_| gone(entity))?;
        let current = (resolved.reflect.reflect(entity_ref))
            .ok_or_else(|| format!("entity {entity} has no {name}"))?;
        if resolved.target.type_id == TypeId::of::<Transform>() {
            let mut transform = changes
                .transform
                .unwrap_or_else(|| *entity_ref.get::<Transform>().expect("reflected above"));
            write_value(&mut transform, resolved, entity, field, value)?;
            changes.transform = Some(transform);
            return Ok(());
        }
        if changes.written(resolved.target.type_id).is_none() {
            let copy = match current.reflect_clone() {
                Ok(copy) => copy.into_partial_reflect(),
                Err(_) => current.to_dynamic(),
            };
            changes.components.push(WrittenComponent {
                type_id: resolved.target.type_id,
                reflect: resolved.reflect.clone(),
                value: copy,
            });
        }
        let written = changes.written(resolved.target.type_id).expect("just made");
        write_value(written, resolved, entity, field, value)
    }

    fn describe(&self) -> String {
        describe(self, self.resolved.target.name)
    }
}

impl LiveHandle for ResourceRef {
    fn read(&self, world: &World, field: Option<&str>) -> ScriptResult<Dynamic> {
        let entity = resource_entity(world, &self.resolved)?;
        read_on(world, entity, &self.resolved, field)
    }

    fn write(&self, world: &mut World, field: Option<&str>, value: &Dynamic) -> ScriptResult<()> {
        let entity = resource_entity(world, &self.resolved)?;
        write_on(world, entity, &self.resolved, field, value)
    }

    fn write_in_phase(
        &self,
        _world: &World,
        _own: Entity,
        _changes: &mut PhaseChanges,
        _field: Option<&str>,
        _value: &Dynamic,
    ) -> ScriptResult<()> {
        Err(not_own_in_phase(&format!(
            "the resource {}",
            self.resolved.target.name
        )))
    }

    fn describe(&self) -> String {
        describe(self, self.resolved.target.name)
    }
}

/// In the parallel phase a script writes only its own entity's components.
fn not_own_in_phase(what: &str) -> Box<rhai::EvalAltResult> {
    format!(
        "cannot write {what} in the parallel phase, where a script writes only its own \
         entity's components: add the script's path to ParallelUpdate::sequential_scripts \
         to run it sequentially"
    )
    .into()
}

/// `Health #{"hp": 3.0}`, or the handle's name when it points at nothing.
fn describe(handle: &(impl LiveHandle + fmt::Debug), name: &str) -> String {
    read_handle(handle, None).ok().map_or_else(
        || format!("{handle:?} (gone)"),
        |value| format!("{name} {value}"),
    )
}

/// A handle type's field indexers, `value()` and printing.
fn register_handle<H: LiveHandle + fmt::Debug>(engine: &mut Engine, name: &str) {
    engine
        .register_type_with_name::<H>(name)
        .register_indexer_get(|handle: &mut H, field: &str| read_handle(handle, Some(field)))
        .register_indexer_set(|handle: &mut H, field: &str, value: Dynamic| {
            write_handle(handle, Some(field), &value)
        })
        .register_fn("value", |handle: &mut H| read_handle(handle, None))
        .register_fn("to_string", |handle: &mut H| handle.describe())
        .register_fn("to_debug", |handle: &mut H| handle.describe());
}

/// A property function on a handle type for struct field `field`.
fn register_field<H: LiveHandle>(engine: &mut Engine, field: &str) {
    let (get, set) = (field.to_owned(), field.to_owned());
    engine
        .register_get(field, move |handle: &mut H| read_handle(handle, Some(&get)))
        .register_set(field, move |handle: &mut H, value: Dynamic| {
            write_handle(handle, Some(&set), &value)
        });
}

pub(super) fn register(engine: &mut Engine) {
    register_handle::<ComponentRef>(engine, "ComponentRef");
    register_handle::<ResourceRef>(engine, "ResourceRef");
    engine
        .register_indexer_get(|entity: &mut Entity, name: &str| component_ref(*entity, name))
        .register_indexer_set(|entity: &mut Entity, name: &str, value: Dynamic| {
            set_component(*entity, name, value)
        })
        .register_fn("has", |entity: &mut Entity, name: &str| has(*entity, name))
        .register_fn("exists", |entity: &mut Entity| {
            let entity = *entity;
            read_world(|world, _| world.get_entity(entity).is_ok())
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
            read_world(|world, _| -> ScriptResult<ResourceRef> {
                let resolved = lookup(world, Kind::Resource, name)?;
                resource_entity(world, &resolved)?;
                Ok(ResourceRef { resolved })
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

/// The names that get their own property functions: `me.Health` and
/// `handle.hp` then skip Rhai's slow fallback from a missing property to
/// the indexer (which builds an error before it falls back). Types
/// registered after the engine is built still work through the indexer.
#[derive(Clone, Debug, Default)]
pub(crate) struct PropertyNames {
    components: Vec<String>,
    fields: Vec<String>,
}

impl PropertyNames {
    /// The short names of the components scripts may reach.
    pub(crate) fn components(&self) -> &[String] {
        &self.components
    }

    /// The component names and struct field names scripts may reach now.
    pub(crate) fn of(types: &ReflectedTypes) -> Self {
        let mut names = Self::default();
        types.for_each_reachable(|registration, is_resource| {
            let info = registration.type_info();
            if !is_resource {
                names
                    .components
                    .push(info.type_path_table().short_path().to_owned());
            }
            if let bevy::reflect::TypeInfo::Struct(info) = info {
                names
                    .fields
                    .extend(info.field_names().iter().map(|name| (*name).to_owned()));
            }
        });
        names.components.sort_unstable();
        names.components.dedup();
        names.fields.sort_unstable();
        names.fields.dedup();
        names
    }
}

/// Registers a property function per name in `names` (see [`PropertyNames`]).
pub(crate) fn register_properties(engine: &mut Engine, names: &PropertyNames) {
    for name in &names.components {
        let (get, set) = (name.clone(), name.clone());
        engine
            .register_get(name, move |entity: &mut Entity| {
                component_ref(*entity, &get)
            })
            .register_set(name, move |entity: &mut Entity, value: Dynamic| {
                set_component(*entity, &set, value)
            });
    }
    for field in &names.fields {
        register_field::<ComponentRef>(engine, field);
        register_field::<ResourceRef>(engine, field);
    }
}

/// Finds `name` among the types scripts may reach.
fn lookup(world: &World, kind: Kind, name: &str) -> ScriptResult<Arc<Resolved>> {
    world
        .resource::<ReflectedTypes>()
        .lookup(kind, name)
        .map_err(Into::into)
}

fn gone(entity: Entity) -> Box<rhai::EvalAltResult> {
    format!("entity {entity} no longer exists (it was despawned)").into()
}

fn check_writable(resolved: &Resolved) -> ScriptResult<()> {
    if resolved.writable {
        Ok(())
    } else {
        Err(format!("{} is read-only for scripts", resolved.target.name).into())
    }
}

fn component_ref(entity: Entity, name: &str) -> ScriptResult<ComponentRef> {
    read_world(|world, _| {
        let resolved = lookup(world, Kind::Component, name)?;
        let entity_ref = world.get_entity(entity).map_err(|_| gone(entity))?;
        if !resolved.reflect.contains(entity_ref) {
            return Err(format!("entity {entity} has no {}", resolved.target.name).into());
        }
        Ok(ComponentRef { entity, resolved })
    })?
}

/// `me.Health = value`: writes the fields `value` gives. Rhai also writes a
/// handle back after `me.Health.hp = ..`; a handle to the same component
/// is then nothing to do.
fn set_component(entity: Entity, name: &str, value: Dynamic) -> ScriptResult<()> {
    if let Some(handle) = value.read_lock::<ComponentRef>()
        && handle.entity == entity
        && handle.resolved.target.name == name
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
    write_handle(&handle, None, &value)
}

/// A value with any handles in it replaced by the values they point at.
fn resolve_handles(world: &World, value: &Dynamic) -> ScriptResult<Dynamic> {
    resolve_with(value, &mut |handle| match handle {
        LiveRef::Component(handle) => handle.read(world, None),
        LiveRef::Resource(handle) => handle.read(world, None),
    })
}

/// [`resolve_handles`] in the parallel phase.
fn resolve_handles_in_phase(
    world: &World,
    own: Entity,
    changes: &mut PhaseChanges,
    value: &Dynamic,
) -> ScriptResult<Dynamic> {
    resolve_with(value, &mut |handle| match handle {
        LiveRef::Component(handle) => handle.read_in_phase(world, own, changes, None),
        LiveRef::Resource(handle) => handle.read_in_phase(world, own, changes, None),
    })
}

enum LiveRef<'a> {
    Component(&'a ComponentRef),
    Resource(&'a ResourceRef),
}

/// `value` with each handle in it replaced by what `read` gives for it.
fn resolve_with(
    value: &Dynamic,
    read: &mut dyn FnMut(LiveRef<'_>) -> ScriptResult<Dynamic>,
) -> ScriptResult<Dynamic> {
    if let Some(handle) = value.read_lock::<ComponentRef>() {
        return read(LiveRef::Component(&handle));
    }
    if let Some(handle) = value.read_lock::<ResourceRef>() {
        return read(LiveRef::Resource(&handle));
    }
    if let Some(map) = value.read_lock::<Map>() {
        let mut resolved = Map::new();
        for (key, item) in map.iter() {
            resolved.insert(key.clone(), resolve_with(item, read)?);
        }
        return Ok(resolved.into());
    }
    if let Some(items) = value.read_lock::<Array>() {
        return items
            .iter()
            .map(|item| resolve_with(item, read))
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
        ReflectMut::Struct(fields) => fields.field_mut(name),
        ReflectMut::TupleStruct(fields) => fields.field_mut(name.parse().ok()?),
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

fn read_on(
    world: &World,
    entity: Entity,
    resolved: &Resolved,
    field_name: Option<&str>,
) -> ScriptResult<Dynamic> {
    let name = resolved.target.name;
    let entity_ref = world.get_entity(entity).map_err(|_| gone(entity))?;
    let value = resolved
        .reflect
        .reflect(entity_ref)
        .ok_or_else(|| format!("entity {entity} has no {name}"))?;
    read_value(value.as_partial_reflect(), name, field_name)
}

/// Component `name`'s `value`, whole or one field, as a Rhai value.
fn read_value(
    value: &dyn PartialReflect,
    name: &str,
    field_name: Option<&str>,
) -> ScriptResult<Dynamic> {
    match field_name {
        None => Ok(convert::to_dynamic(value)),
        Some(field_name) => field(value, field_name)
            .map(convert::to_dynamic)
            .ok_or_else(|| no_field(value, name, field_name)),
    }
}

fn write_on(
    world: &mut World,
    entity: Entity,
    resolved: &Resolved,
    field_name: Option<&str>,
    new: &Dynamic,
) -> ScriptResult<()> {
    check_writable(resolved)?;
    let name = resolved.target.name;
    let entity_mut = world.get_entity_mut(entity).map_err(|_| gone(entity))?;
    let mut value = resolved
        .reflect
        .reflect_mut(entity_mut)
        .ok_or_else(|| format!("entity {entity} has no {name}"))?;
    write_value(
        value.as_partial_reflect_mut(),
        resolved,
        entity,
        field_name,
        new,
    )
}

/// Writes `new` into `value`, entity `entity`'s component, whole or one
/// field.
fn write_value(
    value: &mut dyn PartialReflect,
    resolved: &Resolved,
    entity: Entity,
    field_name: Option<&str>,
    new: &Dynamic,
) -> ScriptResult<()> {
    let name = resolved.target.name;
    let (slot, what) = match field_name {
        None => (value, name.to_owned()),
        Some(field_name) => {
            if field(value, field_name).is_none() {
                return Err(no_field(value, name, field_name));
            }
            let slot = field_mut(value, field_name).expect("checked");
            (slot, format!("{name}.{field_name}"))
        }
    };
    convert::apply(slot, new, &Registry::new(&resolved.registry))
        .map_err(|error| format!("cannot write {what} of entity {entity}: {error}").into())
}

/// The entity a resource lives on (resources are entities in Bevy 0.19).
fn resource_entity(world: &World, resolved: &Resolved) -> ScriptResult<Entity> {
    world
        .components()
        .get_id(resolved.target.type_id)
        .and_then(|id| world.resource_entities().get(id))
        .ok_or_else(|| format!("the resource {} does not exist", resolved.target.name).into())
}

fn has(entity: Entity, name: &str) -> ScriptResult<bool> {
    read_world(|world, _| {
        let resolved = lookup(world, Kind::Component, name)?;
        let entity_ref = world.get_entity(entity).map_err(|_| gone(entity))?;
        Ok(resolved.reflect.contains(entity_ref))
    })?
}

/// Builds component `name` from `value` (its `Default` with `value`'s fields
/// written over it).
fn build_component(
    world: &World,
    name: &str,
    value: &Dynamic,
) -> ScriptResult<(Arc<Resolved>, Box<dyn PartialReflect>)> {
    let resolved = lookup(world, Kind::Component, name)?;
    check_writable(&resolved)?;
    let value = resolve_handles(world, value)?;
    let name = resolved.target.name;
    let built = {
        let registry = Registry::new(&resolved.registry);
        convert::build_type(resolved.target.type_id, &value, &registry)
            .map_err(|error| format!("cannot build {name}: {error}"))?
    };
    Ok((resolved, built))
}

/// `me.insert(name, value)`: at once, or in the parallel phase after it
/// (what can fail is checked at the call either way).
fn insert(entity: Entity, name: &str, value: &Dynamic) -> ScriptResult<()> {
    let (resolved, built) = read_world(|world, _| {
        world.get_entity(entity).map_err(|_| gone(entity))?;
        build_component(world, name, value)
    })??;
    apply_or_defer(move |world| {
        if let Ok(mut entity) = world.get_entity_mut(entity) {
            let registry = resolved.registry.read();
            resolved
                .reflect
                .insert(&mut entity, built.as_ref(), &registry);
        }
    })
}

/// `me.remove(name)`: at once, or in the parallel phase after it.
fn remove(entity: Entity, name: &str) -> ScriptResult<()> {
    let resolved = read_world(|world, _| {
        let resolved = lookup(world, Kind::Component, name)?;
        check_writable(&resolved)?;
        world.get_entity(entity).map_err(|_| gone(entity))?;
        Ok::<_, Box<rhai::EvalAltResult>>(resolved)
    })??;
    apply_or_defer(move |world| {
        if let Ok(mut entity) = world.get_entity_mut(entity) {
            resolved.reflect.remove(&mut entity);
        }
    })
}

/// What `spawn_with` and `spawn_entity` spawn, built and counted against
/// the spawn limits before anything is spawned, so a bad one spawns nothing.
struct Spawn {
    script: Option<Handle<RhaiScript>>,
    components: Vec<(Arc<Resolved>, Box<dyn PartialReflect>)>,
}

impl Spawn {
    fn build(world: &World, path: Option<&str>, components: &Map) -> ScriptResult<Self> {
        let script = match path {
            Some(path) => {
                let extensions = world.resource::<ScriptExtensions>().0;
                let path = script_path(path, extensions)?;
                Some(world.resource::<AssetServer>().load::<RhaiScript>(path))
            }
            None => None,
        };
        let mut built = Vec::with_capacity(components.len());
        for (name, value) in components {
            built.push(build_component(world, name, value)?);
        }
        take_spawn(world)?;
        Ok(Self {
            script,
            components: built,
        })
    }

    /// Puts the components and the script on `entity`.
    fn apply(self, mut entity: EntityWorldMut<'_>) {
        let registry = entity
            .world()
            .resource::<ReflectedTypes>()
            .registry()
            .clone();
        let registry = registry.read();
        for (resolved, value) in &self.components {
            resolved
                .reflect
                .insert(&mut entity, value.as_ref(), &registry);
        }
        if let Some(script) = self.script {
            entity.insert(Script::new(script));
        }
    }
}

/// Spawns an entity with the components in `components` (and the script at
/// `path`, if given): at once, or in the parallel phase after it (the id
/// is reserved at the call).
fn spawn(path: Option<&str>, components: &Map) -> ScriptResult<Entity> {
    if let Some(result) = with_phase(|world, _, changes| -> ScriptResult<Entity> {
        let spawn = Spawn::build(world, path, components)?;
        let mut commands = Commands::new(&mut changes.commands, world);
        let entity = commands.spawn(SpawnedByScript).id();
        commands.queue(move |world: &mut World| {
            if let Ok(entity) = world.get_entity_mut(entity) {
                spawn.apply(entity);
            }
        });
        Ok(entity)
    }) {
        return result?;
    }
    with_script_world(|world, _| {
        let spawn = Spawn::build(world, path, components)?;
        let entity = world.spawn(SpawnedByScript);
        let id = entity.id();
        spawn.apply(entity);
        Ok(id)
    })?
}

/// Shared with the query module.
fn shared_queries(world: &World) -> Arc<std::sync::Mutex<query::Cache>> {
    world.resource::<ScriptQueries>().0.clone()
}
