//! Queries by component name: `query(["Enemy", "Transform"], ["Frozen"])`.
//! Each distinct query is built once and kept, as a Bevy system keeps its
//! `QueryState`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use bevy::ecs::component::ComponentId;
use bevy::ecs::query::QueryBuilder;
use bevy::prelude::*;
use rhai::{Array, Dynamic, ImmutableString};

use super::access::Kind;
use super::{ScriptResult, lookup, shared_queries};
use crate::engine::with_script_world;

/// Built queries, by the component ids they require and exclude.
pub(crate) type Cache = HashMap<(Vec<ComponentId>, Vec<ComponentId>), QueryState<Entity>>;

/// The queries scripts have run, kept between frames.
#[derive(Resource, Default)]
pub(crate) struct ScriptQueries(pub(super) Arc<Mutex<Cache>>);

/// Component names from `"Name"` or `["A", "B"]`; `()` is none.
fn names(value: &Dynamic) -> ScriptResult<Vec<String>> {
    if value.is_unit() {
        return Ok(Vec::new());
    }
    if let Some(name) = value.read_lock::<ImmutableString>() {
        return Ok(vec![name.to_string()]);
    }
    if let Some(items) = value.read_lock::<Array>() {
        return items
            .iter()
            .map(|item| {
                item.read_lock::<ImmutableString>()
                    .map(|name| name.to_string())
                    .ok_or_else(|| {
                        format!("expected component names, found {}", item.type_name()).into()
                    })
            })
            .collect();
    }
    Err(format!(
        "expected a component name or an array of names, found {}",
        value.type_name()
    )
    .into())
}

/// The entities that have every component named in `with` and none named
/// in `without`.
fn matching(world: &mut World, with: &Dynamic, without: &Dynamic) -> ScriptResult<Vec<Entity>> {
    let with = names(with)?;
    if with.is_empty() {
        return Err("query needs at least one component name".into());
    }
    let without = names(without)?;
    let mut required = Vec::with_capacity(with.len());
    for name in &with {
        let resolved = lookup(world, Kind::Component, name)?;
        match world.components().get_id(resolved.target.type_id) {
            Some(id) => required.push(id),
            // No entity has ever had it: nothing matches.
            None => return Ok(Vec::new()),
        }
    }
    let mut excluded = Vec::with_capacity(without.len());
    for name in &without {
        let resolved = lookup(world, Kind::Component, name)?;
        if let Some(id) = world.components().get_id(resolved.target.type_id) {
            excluded.push(id);
        }
    }
    let cache = shared_queries(world);
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    let key = (required, excluded);
    if !cache.contains_key(&key) {
        let mut builder = QueryBuilder::<Entity>::new(world);
        for id in &key.0 {
            builder.with_id(*id);
        }
        for id in &key.1 {
            builder.without_id(*id);
        }
        let state = builder.build();
        cache.insert(key.clone(), state);
    }
    let state = cache.get_mut(&key).expect("just inserted");
    Ok(state.iter(world).collect())
}

/// `query(with, without)`: an array of entities.
pub(super) fn query(with: &Dynamic, without: &Dynamic) -> ScriptResult<Array> {
    with_script_world(|world, _| {
        matching(world, with, without)
            .map(|entities| entities.into_iter().map(Dynamic::from).collect())
    })?
}

/// `query_one(with, without)`: the one matching entity.
pub(super) fn query_one(with: &Dynamic, without: &Dynamic) -> ScriptResult<Entity> {
    with_script_world(
        |world, _| match matching(world, with, without)?.as_slice() {
            [one] => Ok(*one),
            [] => Err(format!("query_one({with}): no entity matches").into()),
            many => Err(format!(
                "query_one({with}): {} entities match, expected exactly one",
                many.len()
            )
            .into()),
        },
    )?
}
