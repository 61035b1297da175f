//! Hot reload: putting new script versions live for every entity that runs
//! them, keeping the last good version when an edit does not compile, and
//! starting entities whose scripts have just compiled.

use std::collections::HashMap;
use std::sync::Arc;

use bevy::asset::AssetLoadFailedEvent;
use bevy::ecs::message::{MessageCursor, Messages};
use bevy::prelude::*;

use crate::asset::{CompiledScript, RhaiScript};
use crate::component::{PendingScripts, ScriptState};
use crate::dispatch::{INIT, LoggedErrors, ON_RELOAD, call, put_slots, report, take_slots};
use crate::engine::RhaiEngine;
use crate::error::{ScriptError, ScriptLocation};

/// Sent when a script that was running has been replaced by a new version.
/// Every entity using it runs the new version from the next call on.
#[derive(Message, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScriptReloaded {
    /// The script asset.
    pub id: AssetId<RhaiScript>,
    /// Its path, for example `scripts/enemy.rhai`.
    pub path: String,
}

/// The version of each script that entities run: the last that compiled.
#[derive(Resource, Default)]
pub(crate) struct LiveScripts(HashMap<AssetId<RhaiScript>, LiveScript>);

#[derive(Default)]
struct LiveScript {
    live: Option<Arc<CompiledScript>>,
    /// Hash of the last version seen, good or bad: repeated watcher events
    /// for the same content do nothing.
    last_seen: Option<u64>,
}

impl LiveScripts {
    fn live(&self, id: AssetId<RhaiScript>) -> Option<&Arc<CompiledScript>> {
        self.0.get(&id)?.live.as_ref()
    }
}

/// What a new asset version means for the running game.
enum Change {
    /// Nothing for running entities to do (duplicate, or a first version:
    /// waiting entities pick that up when they start).
    None,
    Broken(ScriptError),
    Reloaded(Arc<CompiledScript>),
}

/// Reads asset events, makes new versions live, and starts waiting entities.
pub(crate) fn apply_script_changes(
    world: &mut World,
    mut cursor: Local<MessageCursor<AssetEvent<RhaiScript>>>,
    mut failures: Local<MessageCursor<AssetLoadFailedEvent<RhaiScript>>>,
    scripted: &mut QueryState<(Entity, &ScriptState)>,
    pending: &mut QueryState<Entity, With<PendingScripts>>,
) {
    let mut changed: Vec<AssetId<RhaiScript>> = Vec::new();
    let mut removed = Vec::new();
    for event in cursor.read(world.resource::<Messages<AssetEvent<RhaiScript>>>()) {
        match event {
            AssetEvent::Added { id } | AssetEvent::Modified { id } if !changed.contains(id) => {
                changed.push(*id);
            }
            // Entities still running it keep their version alive.
            AssetEvent::Removed { id } => {
                removed.push(*id);
            }
            _ => {}
        }
    }
    let mut live_scripts = world.resource_mut::<LiveScripts>();
    for id in removed {
        live_scripts.0.remove(&id);
    }
    for id in changed {
        match classify(world, id) {
            Change::None => {}
            Change::Broken(error) => report(world, error),
            Change::Reloaded(compiled) => reload_entities(world, scripted, id, compiled),
        }
    }
    forward_load_failures(world, &mut failures);
    start_pending(world, pending);
    world.flush();
}

/// Sends a [`ScriptError::Load`] for each script file the asset server could
/// not read (Bevy has logged it already). The live version keeps running.
fn forward_load_failures(
    world: &mut World,
    failures: &mut MessageCursor<AssetLoadFailedEvent<RhaiScript>>,
) {
    let errors: Vec<ScriptError> = failures
        .read(world.resource::<Messages<AssetLoadFailedEvent<RhaiScript>>>())
        .map(|failure| ScriptError::Load {
            location: ScriptLocation {
                path: failure.path.to_string(),
                line: None,
                column: None,
            },
            message: failure.error.to_string(),
        })
        .collect();
    for error in errors {
        world.write_message(error);
    }
}

/// Compares the asset's current version with the live one and records it.
fn classify(world: &mut World, id: AssetId<RhaiScript>) -> Change {
    let Some(asset) = world.resource::<Assets<RhaiScript>>().get(id) else {
        return Change::None;
    };
    let hash = asset.content_hash();
    let version = asset.version().map(Arc::clone).map_err(Clone::clone);
    let mut live_scripts = world.resource_mut::<LiveScripts>();
    let entry = live_scripts.0.entry(id).or_default();
    if entry.last_seen == Some(hash) {
        return Change::None;
    }
    entry.last_seen = Some(hash);
    match version {
        Err(error) => Change::Broken(error),
        Ok(compiled) => {
            if entry
                .live
                .as_ref()
                .is_some_and(|live| live.content_hash() == hash)
            {
                return Change::None;
            }
            let path = compiled.path().to_owned();
            let first = entry.live.replace(compiled.clone()).is_none();
            world.resource_mut::<LoggedErrors>().forget_script(&path);
            if first {
                debug!("{path}: loaded");
                Change::None
            } else {
                info!("{path}: reloaded");
                world.write_message(ScriptReloaded { id, path });
                Change::Reloaded(compiled)
            }
        }
    }
}

/// Switches every started entity running `id` to the new version, keeping
/// its state, and runs `on_reload()`.
fn reload_entities(
    world: &mut World,
    scripted: &mut QueryState<(Entity, &ScriptState)>,
    id: AssetId<RhaiScript>,
    compiled: Arc<CompiledScript>,
) {
    let engine = RhaiEngine::of(world);
    let users: Vec<Entity> = scripted
        .iter(world)
        .filter(|(_, state)| {
            state
                .slots
                .iter()
                .any(|slot| slot.id == Some(id) && slot.compiled.is_some())
        })
        .map(|(entity, _)| entity)
        .collect();
    let has_on_reload = compiled.defines(ON_RELOAD, 0);
    for entity in users {
        let Some(mut slots) = take_slots(world, entity) else {
            continue;
        };
        for slot in slots
            .iter_mut()
            .filter(|slot| slot.id == Some(id) && slot.compiled.is_some())
        {
            slot.install(compiled.clone());
            if has_on_reload && slot.started {
                call(world, &engine, entity, slot, ON_RELOAD, ());
            }
        }
        put_slots(world, entity, slots);
    }
}

/// Starts waiting entities once all of their scripts have compiled: each
/// script gets its live version and `init()` runs, in the listed order.
fn start_pending(world: &mut World, pending: &mut QueryState<Entity, With<PendingScripts>>) {
    let waiting: Vec<Entity> = pending.iter(world).collect();
    if waiting.is_empty() {
        return;
    }
    let engine = RhaiEngine::of(world);
    for entity in waiting {
        let live_versions: Option<Vec<Option<Arc<CompiledScript>>>> = {
            let Some(state) = world.get::<ScriptState>(entity) else {
                continue;
            };
            let live_scripts = world.resource::<LiveScripts>();
            state
                .slots
                .iter()
                .map(|slot| match &slot.compiled {
                    Some(_) => Some(None),
                    None => slot
                        .id
                        .and_then(|id| live_scripts.live(id).cloned())
                        .map(Some),
                })
                .collect()
        };
        // Some script has not compiled yet: keep waiting, so that the
        // entity's scripts always start together and in order.
        let Some(live_versions) = live_versions else {
            continue;
        };
        let Some(mut slots) = take_slots(world, entity) else {
            continue;
        };
        for (slot, live) in slots.iter_mut().zip(live_versions) {
            let Some(compiled) = live else {
                continue;
            };
            let has_init = compiled.defines(INIT, 0);
            slot.install(compiled);
            if !slot.started {
                slot.started = true;
                if has_init {
                    call(world, &engine, entity, slot, INIT, ());
                }
            }
        }
        put_slots(world, entity, slots);
        if let Ok(mut entity) = world.get_entity_mut(entity) {
            entity.remove::<PendingScripts>();
        }
    }
}
