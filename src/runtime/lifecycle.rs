//! When scripts join and leave entities: the [`Script`] component's hooks
//! keep [`ScriptState`] in step with its handles and run `on_detach()`;
//! waiting entities start (`init()`) once all their scripts have compiled.

use std::sync::Arc;

use bevy::asset::LoadState;
use bevy::ecs::lifecycle::HookContext;
use bevy::ecs::world::DeferredWorld;
use bevy::platform::collections::HashMap;
use bevy::prelude::*;

use super::dispatch::{call, detach, put_slots, report, run_early_events, take_slots};
use super::reload::LiveScripts;
use super::state::{PendingScripts, PropValue, Script, ScriptSlot, ScriptState, Slots};
use crate::asset::RhaiScript;
use crate::engine::RhaiEngine;
use crate::script::hooks::INIT;
use crate::script::{CompiledScript, ScriptError, ScriptLocation};

/// Registers the [`Script`] component's hooks. Hooks, not observers: an app
/// cannot despawn them by accident.
pub(crate) fn lifecycle_plugin(app: &mut App) {
    app.init_resource::<PendingScripts>();
    app.world_mut()
        .register_component_hooks::<Script>()
        .on_insert(attach_scripts)
        .on_remove(detach_scripts);
    // A restored `ScriptState` (a save game) inserted after the `Script`
    // replaces the state the `Script` started with: it is matched to the
    // handles the same way.
    app.world_mut()
        .register_component_hooks::<ScriptState>()
        .on_insert(attach_restored_state);
}

/// [`attach_scripts`] for a `ScriptState` that holds restored slots (not
/// yet matched to a handle): the empty state a `Script` requires, inserted
/// with every spawn, needs nothing.
fn attach_restored_state(world: DeferredWorld, context: HookContext) {
    let restored = world
        .get::<ScriptState>(context.entity)
        .is_some_and(|state| state.slots.iter().any(|slot| slot.id.is_none()));
    if restored {
        attach_scripts(world, context);
    }
}

/// Keeps [`ScriptState`] in step with the handles of a (re)inserted [`Script`]
/// (or with a [`ScriptState`] inserted after it): state for scripts still
/// listed is kept, new scripts wait to compile, and scripts no longer
/// listed are detached.
fn attach_scripts(mut world: DeferredWorld, context: HookContext) {
    let entity = context.entity;
    let Ok(mut entity_mut) = world.get_entity_mut(entity) else {
        return;
    };
    let Ok((script, mut state)) = entity_mut.get_components_mut::<(&Script, &mut ScriptState)>()
    else {
        return;
    };
    let mut old = std::mem::take(&mut state.slots);
    for handle in script.handles() {
        let slot = match old.iter().position(|slot| slot.is_for(handle)) {
            Some(index) => {
                let mut slot = old.remove(index);
                slot.id = Some(handle.id());
                slot
            }
            None => ScriptSlot::new(handle),
        };
        state.slots.push(slot);
    }
    world.resource_mut::<PendingScripts>().0.push(entity);
    if !old.is_empty() {
        world
            .commands()
            .queue(move |world: &mut World| detach(world, entity, old));
    }
}

/// Runs `on_detach()` when a [`Script`] is removed or its entity despawned.
fn detach_scripts(mut world: DeferredWorld, context: HookContext) {
    let entity = context.entity;
    let Some(mut state) = world.get_mut::<ScriptState>(entity) else {
        return;
    };
    let slots = std::mem::take(&mut state.slots);
    if !slots.is_empty() {
        world
            .commands()
            .queue(move |world: &mut World| detach(world, entity, slots));
    }
}

/// Starts waiting entities once all of their scripts have compiled: each
/// script gets its live version and `init()` runs, in the listed order.
pub(crate) fn start_pending(world: &mut World) {
    let waiting = std::mem::take(&mut world.resource_mut::<PendingScripts>().0);
    if waiting.is_empty() {
        return;
    }
    let engine = RhaiEngine::of(world);
    let mut still_waiting = Vec::new();
    // An entity is listed twice when its `Script` and its `ScriptState`
    // were inserted together (both hooks list it).
    let mut seen = bevy::platform::collections::HashSet::with_capacity(waiting.len());
    for entity in waiting {
        if !seen.insert(entity) {
            continue;
        }
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
            report_unloadable(world, entity);
            still_waiting.push(entity);
            continue;
        };
        let props = world
            .get::<Script>(entity)
            .map(|script| script.props.clone())
            .unwrap_or_default();
        let Some(mut slots) = take_slots(world, entity) else {
            continue;
        };
        let mut installed = Vec::with_capacity(slots.len());
        for (index, live) in live_versions.into_iter().enumerate() {
            if let Some(compiled) = live {
                let slot = &mut slots[index];
                slot.install(compiled);
                if !slot.started {
                    // Per-instance properties go in before any `init()`.
                    slot.apply_props(&props);
                    installed.push(index);
                }
            }
        }
        report_unknown_props(world, entity, &slots, &props);
        for index in installed {
            let slot = &mut slots[index];
            slot.started = true;
            let has_init = slot
                .compiled
                .as_ref()
                .is_some_and(|compiled| compiled.defines(INIT, 0));
            if has_init {
                call(world, &engine, entity, slot, INIT, ());
            }
            run_early_events(world, &engine, entity, slot);
        }
        put_slots(world, entity, slots);
    }
    // Entities attached while these started (by `init()`) come after.
    let mut pending = world.resource_mut::<PendingScripts>();
    still_waiting.append(&mut pending.0);
    pending.0 = still_waiting;
    world.flush();
}

/// Reports, once per slot, a script handle that points at no asset while
/// nothing is loading it (`Handle::default()`, or a path Bevy could not turn
/// into a load): its entity would otherwise wait without a word.
fn report_unloadable(world: &mut World, entity: Entity) {
    let unloadable: Vec<usize> = {
        let Some(state) = world.get::<ScriptState>(entity) else {
            return;
        };
        let assets = world.resource::<Assets<RhaiScript>>();
        let server = world.resource::<AssetServer>();
        state
            .slots
            .iter()
            .enumerate()
            .filter(|(_, slot)| slot.compiled.is_none() && !slot.reported_unloadable)
            .filter(|(_, slot)| {
                slot.id.is_some_and(|id| {
                    !assets.contains(id)
                        && matches!(server.get_load_state(id), None | Some(LoadState::NotLoaded))
                })
            })
            .map(|(index, _)| index)
            .collect()
    };
    for index in unloadable {
        let Some(mut state) = world.get_mut::<ScriptState>(entity) else {
            return;
        };
        let slot = &mut state.slots[index];
        slot.reported_unloadable = true;
        let id = slot.id;
        let error = ScriptError::Load {
            location: ScriptLocation::file(&format!("{id:?}")),
            message: format!(
                "entity {entity} has a script handle that points at no asset and that nothing \
                 is loading, so its scripts cannot start; load scripts with \
                 asset_server.load(\"scripts/name.rhai\")"
            ),
        };
        report(world, error);
    }
}

/// Writes the per-instance properties an app changed (for example through
/// an inspector, by reflection) into the variables of started scripts,
/// before this frame's handlers run. Only the changed properties are
/// written, so variables the script changed itself keep their values.
pub(crate) fn apply_changed_props(
    world: &mut World,
    changed: &mut QueryState<Entity, (Changed<Script>, With<ScriptState>)>,
) {
    let entities: Vec<Entity> = changed.iter(world).collect();
    for entity in entities {
        let Some(props) = world
            .get::<Script>(entity)
            .map(|script| script.props.clone())
        else {
            continue;
        };
        if props.is_empty() {
            continue;
        }
        let Some(mut slots) = take_slots(world, entity) else {
            continue;
        };
        for slot in slots.iter_mut().filter(|slot| slot.started) {
            slot.apply_props(&props);
        }
        report_unknown_props(world, entity, &slots, &props);
        put_slots(world, entity, slots);
    }
}

/// Reports a property that no variable of the entity's scripts has, once
/// per name and entity (through the error log's dedup).
fn report_unknown_props(
    world: &mut World,
    entity: Entity,
    slots: &Slots,
    props: &HashMap<String, PropValue>,
) {
    for name in props.keys() {
        if slots
            .iter()
            .any(|slot| slot.compiled.is_none() || slot.vars.contains(name))
        {
            continue;
        }
        let Some(compiled) = slots.iter().find_map(|slot| slot.compiled.as_ref()) else {
            return;
        };
        let error = ScriptError::Runtime {
            location: ScriptLocation::new(compiled.path(), rhai::Position::NONE),
            entity,
            function: "props".to_owned(),
            message: format!(
                "the property '{name}' matches no top-level variable of this entity's scripts"
            ),
            calls: Vec::new(),
        };
        report(world, error);
    }
}
