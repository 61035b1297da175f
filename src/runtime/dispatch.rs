//! Calling script functions for entities: the per-frame `on_update`, named
//! events, lifecycle hooks, and reporting the errors they raise.

use std::collections::HashSet;

use bevy::platform::time::Instant;
use bevy::prelude::*;
use core::time::Duration;
use rhai::{CallFnOptions, Dynamic, Engine, EvalAltResult, FuncArgs};

use super::ScriptEvent;
use super::current_errors::{ErrorPlace, clear_entity, clear_handler, record};
use super::state::{Script, ScriptSlot, ScriptState, Slots};
use crate::engine::{RhaiEngine, ScriptLimits, run_with_timers};
use crate::script::hooks::{ON_DETACH, ON_UPDATE};
use crate::script::modules::with_importable;
use crate::script::{CompiledScript, ScriptError, ScriptLocation, is_stack_exhausted};

/// Runtime errors already logged, so that a handler failing every frame logs
/// once (every failure is still sent as a [`ScriptError`] message).
#[derive(Resource, Default)]
pub(crate) struct LoggedErrors(HashSet<String>);

/// How many distinct errors [`LoggedErrors`] remembers.
const MAX_LOGGED_ERRORS: usize = 10_000;

impl LoggedErrors {
    /// Lets the errors of a script log again, for example after it changed.
    pub(crate) fn forget_script(&mut self, path: &str) {
        self.0.retain(|key| !key.starts_with(path));
    }
}

/// Logs `error` (once per distinct error) and sends it as a message.
///
/// A runtime error is the same error when it comes from the same place
/// (script, line, column, handler), whatever its text: an error whose text
/// changes every frame (an index, a counter in a `throw`) logs once. A
/// compile or load error comes from a save, and each failing save logs
/// (a save of the same bytes again is not a new version: it never gets
/// here), so that broken save A, then B, then A again logs A twice.
pub(crate) fn report(world: &mut World, error: ScriptError) {
    let key = match &error {
        ScriptError::Runtime {
            location,
            function,
            message,
            ..
        } if location.line.is_none() => format!("{location} {function} {message}"),
        ScriptError::Runtime {
            location, function, ..
        } => format!("{location} {function}"),
        ScriptError::Compile { .. } | ScriptError::Load { .. } => {
            error!("{error:#}");
            world.write_message(error);
            return;
        }
    };
    let mut logged = world.resource_mut::<LoggedErrors>();
    if logged.0.len() >= MAX_LOGGED_ERRORS {
        // Bounded memory over caught repeats: after this many distinct
        // places, errors may log again.
        logged.0.clear();
    }
    if logged.0.insert(key) {
        error!("{error:#}");
    }
    world.write_message(error);
}

/// Calls `function` of the slot's script for `entity`, with `world` lent to
/// the native functions. A failure is reported; the state is kept either way.
pub(crate) fn call(
    world: &mut World,
    engine: &Engine,
    entity: Entity,
    slot: &mut ScriptSlot,
    function: &str,
    args: impl FuncArgs,
) {
    let Some(compiled) = &slot.compiled else {
        return;
    };
    if compiled.is_suspended(function) {
        return;
    }
    // A script that imports modules runs its imports before each call:
    // Rhai forgets them between calls.
    let (ast, imports) = compiled.calls_ast();
    let options = CallFnOptions::new().eval_ast(imports).rewind_scope(true);
    let constants = Some(compiled.constants());
    let result = run_with_timers(
        Some(&mut *world),
        Some(entity),
        compiled.path(),
        constants,
        Some(&mut slot.timers),
        || {
            let call = || {
                engine.call_fn_with_options::<Dynamic>(options, &mut slot.vars, ast, function, args)
            };
            match compiled.modules() {
                Some(modules) => with_importable(modules, call),
                None => call(),
            }
        },
    );
    let Err(error) = result else {
        if !slot.failing.is_empty()
            && let Some(index) = slot.failing.iter().position(|name| name == function)
        {
            slot.failing.swap_remove(index);
            clear_handler(world, compiled.path(), entity, function);
        }
        return;
    };
    let limit = limit_hit(&error);
    let mut error = compiled.runtime_error(entity, function, &error);
    if let Some(limit) = limit
        && compiled.suspend(function)
        && let ScriptError::Runtime { message, .. } = &mut error
    {
        message.push_str(&format!(
            " ({limit}); {function} is suspended for this version of the script, on every \
             entity: save the script to run it again"
        ));
    }
    if !slot.failing.iter().any(|name| name == function) {
        slot.failing.push(function.to_owned());
    }
    record(
        world,
        ErrorPlace::handler(compiled.path(), entity, function),
        &error,
    );
    report(world, error);
}

/// Which of the [`ScriptLimits`](crate::ScriptLimits) `error` hit, if any.
fn limit_hit(error: &EvalAltResult) -> Option<&'static str> {
    match error {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
        | EvalAltResult::ErrorInModule(_, inner, _) => limit_hit(inner),
        EvalAltResult::ErrorTooManyOperations(_) => Some("ScriptLimits::max_operations"),
        EvalAltResult::ErrorStackOverflow(_) => Some("ScriptLimits::max_call_levels"),
        EvalAltResult::ErrorTerminated(token, _) if is_stack_exhausted(token) => {
            Some("ScriptLimits::max_call_levels")
        }
        EvalAltResult::ErrorDataTooLarge(..) => Some("a ScriptLimits size limit"),
        _ => None,
    }
}

/// Calls `function`, which the slot's script defines with `arity`
/// parameters: with `argument` if it takes one, without if it takes none.
pub(crate) fn call_with_arity(
    world: &mut World,
    engine: &Engine,
    entity: Entity,
    slot: &mut ScriptSlot,
    function: &str,
    arity: usize,
    argument: Dynamic,
) {
    if arity == 0 {
        call(world, engine, entity, slot, function, ());
    } else {
        call(world, engine, entity, slot, function, (argument,));
    }
}

/// Entities with a script for which `wants` holds, into `targets`.
fn collect_targets(
    world: &World,
    entities: &mut QueryState<(Entity, &ScriptState)>,
    targets: &mut Vec<Entity>,
    wants: impl Fn(&CompiledScript) -> bool,
) {
    targets.clear();
    targets.extend(
        entities
            .iter(world)
            .filter(|(_, state)| {
                state
                    .slots
                    .iter()
                    .any(|slot| slot.compiled.as_deref().is_some_and(&wants))
            })
            .map(|(entity, _)| entity),
    );
}

/// Takes an entity's script slots out of the world for the duration of its
/// calls, so that scripts can reach the world without aliasing them.
pub(crate) fn take_slots(world: &mut World, entity: Entity) -> Option<Slots> {
    let mut state = world.get_mut::<ScriptState>(entity)?;
    Some(std::mem::take(&mut state.slots))
}

/// Puts slots back after [`take_slots`]. If the entity went away meanwhile
/// (a native function despawned it directly) or lost its `Script`, the
/// scripts are detached.
pub(crate) fn put_slots(world: &mut World, entity: Entity, slots: Slots) {
    // A native function may have removed the entity's `Script` while its
    // scripts ran (its hook found no slots to detach): they leave now.
    let script_removed =
        (world.get_entity(entity)).is_ok_and(|entity| !entity.contains::<Script>());
    if script_removed && slots.iter().any(|slot| slot.compiled.is_some()) {
        detach(world, entity, slots);
        return;
    }
    match world.get_mut::<ScriptState>(entity) {
        Some(mut state) => state.slots = slots,
        None => detach(world, entity, slots),
    }
}

/// Runs `on_detach()` for scripts that left `entity`.
pub(crate) fn detach(world: &mut World, entity: Entity, mut slots: Slots) {
    clear_entity(world, entity);
    let engine = RhaiEngine::of(world);
    for slot in slots.iter_mut().filter(|slot| slot.started) {
        if slot
            .compiled
            .as_ref()
            .is_some_and(|compiled| compiled.defines(ON_DETACH, 0))
        {
            call(world, &engine, entity, slot, ON_DETACH, ());
        }
    }
}

/// Calls handler `function` with `payload` in every script of `entity`.
pub(crate) fn dispatch_to_entity(
    world: &mut World,
    entity: Entity,
    function: &str,
    payload: &Dynamic,
) {
    let engine = RhaiEngine::of(world);
    let Some(mut slots) = take_slots(world, entity) else {
        return;
    };
    let scripts_attached = |world: &World| {
        (world.get::<Script>(entity)).is_some_and(|script| !script.handles().is_empty())
    };
    if slots.is_empty() && scripts_attached(world) {
        // The entity's scripts are running (a handler triggered an event
        // on its own entity): it runs next frame, as a `ScriptEvent`.
        let name = function.strip_prefix("on_").unwrap_or(function);
        world.write_message(ScriptEvent::to(entity, name).with_payload(payload.clone()));
        return;
    }
    for slot in &mut slots {
        if !slot.started {
            // Its script has not compiled yet: the event waits for it.
            if slot.early_events.len() < MAX_EARLY_EVENTS {
                slot.early_events
                    .push((function.to_owned(), payload.clone()));
            } else if slot.early_events.len() == MAX_EARLY_EVENTS {
                warn!(
                    "entity {entity}: more than {MAX_EARLY_EVENTS} events arrived before its \
                     script started; later ones are dropped until it starts"
                );
                // A blank entry (no handler has that name) marks the warning
                // as given.
                slot.early_events.push((String::new(), Dynamic::UNIT));
            }
            continue;
        }
        let arity = slot
            .compiled
            .as_ref()
            .and_then(|compiled| compiled.handler_arity(function, 1));
        if let Some(arity) = arity {
            call_with_arity(
                world,
                &engine,
                entity,
                slot,
                function,
                arity,
                payload.clone(),
            );
        }
    }
    put_slots(world, entity, slots);
}

/// How many events an entity's script keeps for when it starts.
const MAX_EARLY_EVENTS: usize = 1_000;

/// Runs the events that reached `slot` before its script started, in the
/// order they came, once `init()` has run.
pub(crate) fn run_early_events(
    world: &mut World,
    engine: &Engine,
    entity: Entity,
    slot: &mut ScriptSlot,
) {
    for (function, payload) in std::mem::take(&mut slot.early_events) {
        let arity = slot
            .compiled
            .as_ref()
            .and_then(|compiled| compiled.handler_arity(&function, 1));
        if let Some(arity) = arity {
            call_with_arity(world, engine, entity, slot, &function, arity, payload);
        }
    }
}

/// Calls handler `function` with `payload` in every scripted entity that
/// defines it.
pub(crate) fn dispatch_to_all(
    world: &mut World,
    entities: &mut QueryState<(Entity, &ScriptState)>,
    function: &str,
    payload: &Dynamic,
) {
    let mut targets = Vec::new();
    collect_targets(world, entities, &mut targets, |compiled| {
        compiled.handler_arity(function, 1).is_some()
    });
    for entity in targets {
        dispatch_to_entity(world, entity, function, payload);
    }
}

/// Fires the slot's timers that came due in `dt` seconds, earliest first.
/// A timer whose function the script no longer defines is reported once and
/// dropped; one cancelled by an earlier callback this frame does not fire.
fn fire_timers(world: &mut World, engine: &Engine, entity: Entity, slot: &mut ScriptSlot, dt: f64) {
    for due in slot.timers.advance(dt) {
        if !slot.timers.contains(due.id) {
            continue;
        }
        let arity = slot
            .compiled
            .as_ref()
            .and_then(|compiled| compiled.handler_arity(&due.function, 1));
        match arity {
            Some(arity) => {
                let function = due.function.clone();
                call_with_arity(
                    world,
                    engine,
                    entity,
                    slot,
                    &function,
                    arity,
                    due.payload.clone(),
                );
                slot.timers.finish(&due);
            }
            None => {
                slot.timers.cancel(due.id);
                let Some(compiled) = &slot.compiled else {
                    continue;
                };
                let error = ScriptError::Runtime {
                    location: ScriptLocation::new(compiled.path(), rhai::Position::NONE),
                    entity,
                    function: due.function.clone(),
                    message: format!(
                        "a timer calls {}(), which this script does not define (or not with \
                         0 or 1 parameters); the timer is dropped",
                        due.function
                    ),
                    calls: Vec::new(),
                };
                report(world, error);
            }
        }
    }
}

/// How many entities' calls run between two looks at the clock.
const BUDGET_CHECK_EVERY: usize = 8;

/// Calls `on_update(dt)` for every entity whose scripts define it, then
/// fires the timers that came due (right after that entity's
/// `on_update`). Scripts without `on_update` or timers cost one flag check
/// per frame.
///
/// The slots of every entity to call are taken out in one pass over the
/// entities, then put back one by one after their calls: while an entity's
/// scripts run, its own `ScriptState` (and that of entities whose turn has
/// not come yet) is empty.
pub(crate) fn run_on_update(
    world: &mut World,
    entities: &mut QueryState<(Entity, &mut ScriptState, Has<Script>)>,
    mut taken: Local<Vec<(Entity, Slots)>>,
    mut resume_from: Local<Option<Entity>>,
    mut was_over_budget: Local<bool>,
) {
    let engine = RhaiEngine::of(world);
    let dt = world.resource::<Time>().delta_secs_f64();
    // Timers of a slot that has not started (restored from a save, its
    // script still loading) wait with it.
    let wants_update = |slot: &ScriptSlot| {
        slot.compiled
            .as_ref()
            .is_some_and(|compiled| compiled.on_update_arity().is_some() || !slot.timers.is_empty())
    };
    taken.extend(
        entities
            .iter_mut(world)
            .filter(|(_, state, _)| state.slots.iter().any(wants_update))
            .map(|(entity, mut state, _)| (entity, std::mem::take(&mut state.slots))),
    );
    let budget = world
        .get_resource::<ScriptLimits>()
        .map_or(Duration::MAX, |limits| limits.max_update_time);
    let started = Instant::now();
    let count = taken.len();
    // After a frame that ran out of time, the entities it skipped go first.
    let over_budget_before = std::mem::take(&mut *was_over_budget);
    let first = resume_from
        .take()
        .and_then(|resume| taken.iter().position(|(entity, _)| *entity == resume))
        .unwrap_or(0);
    for step in 0..count {
        let index = (first + step) % count;
        if step % BUDGET_CHECK_EVERY == 0 && step > 0 && started.elapsed() > budget {
            // Said once per run of frames over budget, not every frame.
            if !over_budget_before {
                warn!(
                    "scripts' on_update ran over ScriptLimits::max_update_time ({budget:?}): \
                     {} entities skipped it this frame and go first in the next",
                    count - step
                );
            }
            *was_over_budget = true;
            *resume_from = Some(taken[index].0);
            break;
        }
        let (entity, slots) = &mut taken[index];
        // A native function may have despawned the entity meanwhile.
        if !world.entities().contains(*entity) {
            continue;
        }
        for slot in slots.iter_mut() {
            let arity = slot
                .compiled
                .as_ref()
                .and_then(|compiled| compiled.on_update_arity());
            if let Some(arity) = arity {
                call_with_arity(world, &engine, *entity, slot, ON_UPDATE, arity, dt.into());
            }
            if !slot.timers.is_empty() {
                fire_timers(world, &engine, *entity, slot, dt);
            }
        }
    }
    // Put the slots back in one pass in the same order, which holds unless
    // a native function changed the world's structure; any entity out of
    // order is put back by a lookup of its own.
    let mut returning = taken.drain(..).peekable();
    let mut unscripted = Vec::new();
    for (entity, mut state, has_script) in entities.iter_mut(world) {
        if returning.peek().is_some_and(|(next, _)| *next == entity) {
            let (_, slots) = returning.next().expect("peeked");
            if has_script {
                state.slots = slots;
            } else {
                // A native function removed its `Script` meanwhile.
                unscripted.push((entity, slots));
            }
        }
    }
    let mut rest: Vec<_> = returning.collect();
    rest.append(&mut unscripted);
    for (entity, slots) in rest {
        put_slots(world, entity, slots);
    }
    world.flush();
}
