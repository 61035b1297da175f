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
use crate::engine::{with_phase, with_script_world};
use crate::script::QueryNames;

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

/// A built query's key: the component ids it requires and excludes.
type Key = (Vec<ComponentId>, Vec<ComponentId>);

/// The key of the query for `with` and `without`; `None` when a required
/// component was never registered, so that nothing matches.
fn key_of(world: &World, with: &[String], without: &[String]) -> ScriptResult<Option<Key>> {
    let mut required = Vec::with_capacity(with.len());
    for name in with {
        let resolved = lookup(world, Kind::Component, name)?;
        match world.components().get_id(resolved.target.type_id) {
            Some(id) => required.push(id),
            None => return Ok(None),
        }
    }
    let mut excluded = Vec::with_capacity(without.len());
    for name in without {
        let resolved = lookup(world, Kind::Component, name)?;
        if let Some(id) = world.components().get_id(resolved.target.type_id) {
            excluded.push(id);
        }
    }
    Ok(Some((required, excluded)))
}

/// Builds the query for `key`, unless it was built before.
fn prepare(world: &mut World, key: &Key) {
    let cache = shared_queries(world);
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if !cache.contains_key(key) {
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
}

/// The entities the query for `key` matches, if it was built.
fn run_prepared(world: &World, key: &Key) -> Option<Vec<Entity>> {
    let cache = shared_queries(world);
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    Some(cache.get_mut(key)?.iter(world).collect())
}

/// Builds the queries `queries` (by component names) for the parallel
/// phase, where the world cannot change; names that do not resolve are
/// left for the call to report.
pub(crate) fn prepare_queries(world: &mut World, queries: &[QueryNames]) {
    if !world.contains_resource::<ScriptQueries>() {
        return;
    }
    for (with, without) in queries {
        if let Ok(Some(key)) = key_of(world, with, without) {
            prepare(world, &key);
        }
    }
}

/// The entities that have every component named in `with` and none named
/// in `without`. In the parallel phase, as they were when it began.
fn matching(with: &Dynamic, without: &Dynamic) -> ScriptResult<Vec<Entity>> {
    let with = names(with)?;
    if with.is_empty() {
        return Err("query needs at least one component name".into());
    }
    let without = names(without)?;
    if let Some(result) = with_phase(|world, _, _| -> ScriptResult<Vec<Entity>> {
        let Some(key) = key_of(world, &with, &without)? else {
            return Ok(Vec::new());
        };
        run_prepared(world, &key).ok_or_else(|| {
            "this query was not prepared for the parallel phase (its component names are \
             computed at run time): add the script's path to \
             ParallelUpdate::sequential_scripts to run it sequentially"
                .into()
        })
    }) {
        return result?;
    }
    with_script_world(|world, _| -> ScriptResult<Vec<Entity>> {
        let Some(key) = key_of(world, &with, &without)? else {
            return Ok(Vec::new());
        };
        prepare(world, &key);
        Ok(run_prepared(world, &key).unwrap_or_default())
    })?
}

/// `query(with, without)`: an array of entities.
pub(super) fn query(with: &Dynamic, without: &Dynamic) -> ScriptResult<Array> {
    matching(with, without).map(|entities| entities.into_iter().map(Dynamic::from).collect())
}

/// `query_one(with, without)`: the one matching entity.
pub(super) fn query_one(with: &Dynamic, without: &Dynamic) -> ScriptResult<Entity> {
    match matching(with, without)?.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!("query_one({with}): no entity matches").into()),
        many => Err(format!(
            "query_one({with}): {} entities match, expected exactly one",
            many.len()
        )
        .into()),
    }
}
