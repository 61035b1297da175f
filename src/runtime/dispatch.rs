//! Calling script functions for entities: the per-frame `on_update`, named
//! events, lifecycle hooks, and reporting the errors they raise.

use std::collections::HashSet;

use bevy::prelude::*;
use rhai::{CallFnOptions, Dynamic, Engine, EvalAltResult, FuncArgs};

use super::ScriptEvent;
use super::current_errors::{ErrorPlace, clear_entity, clear_handler, record};
use super::state::{Script, ScriptSlot, ScriptState, Slots};
use crate::engine::{RhaiEngine, run_with_timers};
use crate::script::hooks::ON_DETACH;
use crate::script::modules::with_importable;
use crate::script::timers::Timers;
use crate::script::{CompiledScript, ScriptError, is_stack_exhausted};

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

/// What a script call runs against and where its outcome goes: the world
/// itself, or a task of the parallel `on_update` phase (`runtime::update`)
/// that hands its outcomes to the world after the phase, in entity order.
pub(crate) trait CallSite {
    /// Runs `f` (a script call for `entity`) with the ECS lent to native
    /// functions.
    fn run<R>(
        &mut self,
        entity: Entity,
        compiled: &CompiledScript,
        timers: &mut Timers,
        f: impl FnOnce() -> R,
    ) -> R;

    /// Handler `function` of the script at `path` ran fine for `entity`
    /// after failing before.
    fn recovered(&mut self, path: &str, entity: Entity, function: &str);

    /// A handler failed at `place`.
    fn failed(&mut self, place: ErrorPlace, error: ScriptError);

    /// An error that belongs to no handler's place.
    fn report(&mut self, error: ScriptError);
}

impl CallSite for World {
    fn run<R>(
        &mut self,
        entity: Entity,
        compiled: &CompiledScript,
        timers: &mut Timers,
        f: impl FnOnce() -> R,
    ) -> R {
        let constants = Some(compiled.constants());
        run_with_timers(
            Some(self),
            Some(entity),
            compiled.path(),
            constants,
            Some(timers),
            f,
        )
    }

    fn recovered(&mut self, path: &str, entity: Entity, function: &str) {
        clear_handler(self, path, entity, function);
    }

    fn failed(&mut self, place: ErrorPlace, error: ScriptError) {
        record(self, place, &error);
        report(self, error);
    }

    fn report(&mut self, error: ScriptError) {
        report(self, error);
    }
}

/// Calls `function` of the slot's script for `entity`, with the ECS of
/// `site` lent to the native functions. A failure is reported; the state
/// is kept either way.
pub(crate) fn call(
    site: &mut impl CallSite,
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
    let result = site.run(entity, compiled, &mut slot.timers, || {
        let call =
            || engine.call_fn_with_options::<Dynamic>(options, &mut slot.vars, ast, function, args);
        match compiled.modules() {
            Some(modules) => with_importable(modules, call),
            None => call(),
        }
    });
    let Err(error) = result else {
        if !slot.failing.is_empty()
            && let Some(index) = slot.failing.iter().position(|name| name == function)
        {
            slot.failing.swap_remove(index);
            site.recovered(compiled.path(), entity, function);
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
    site.failed(
        ErrorPlace::handler(compiled.path(), entity, function),
        error,
    );
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
    site: &mut impl CallSite,
    engine: &Engine,
    entity: Entity,
    slot: &mut ScriptSlot,
    function: &str,
    arity: usize,
    argument: Dynamic,
) {
    if arity == 0 {
        call(site, engine, entity, slot, function, ());
    } else {
        call(site, engine, entity, slot, function, (argument,));
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
