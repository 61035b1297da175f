//! The per-frame `on_update` pass and the timers that fire in it: first the
//! parallel phase, for entities whose scripts can run there (see
//! `script::parallel`), on Bevy's compute task pool; then the sequential
//! phase, for the rest, as one loop over the world.
//!
//! In the parallel phase every call reads the world as it was when the
//! phase began and keeps its changes to itself (its own entity's script
//! state and `Transform`; commands for anything else). After the phase the
//! changes are applied in the order of the entities, whatever the threads
//! did: the same frame gives the same world on one thread or sixteen.

use bevy::ecs::world::CommandQueue;
use bevy::platform::time::Instant;
use bevy::prelude::*;
use bevy::tasks::ComputeTaskPool;
use core::time::Duration;
use rhai::Engine;
use std::sync::{Arc, OnceLock};

use super::current_errors::ErrorPlace;
use super::dispatch::{CallSite, call_with_arity, put_slots};
use super::state::{Script, ScriptSlot, ScriptState, Slots};
use crate::api::ScriptApi;
use crate::engine::{
    PhaseCall, PhaseChanges, RhaiEngine, ScriptLimits, WrittenComponent, run_in_phase,
};
use crate::script::hooks::ON_UPDATE;
use crate::script::parallel::ParallelPolicy;
use crate::script::timers::Timers;
use crate::script::{CompiledScript, ScriptError, ScriptLocation, UpdatePhase};

/// How `on_update` uses the threads of Bevy's compute task pool.
///
/// On a machine with more than one core and with enough entities whose
/// scripts can run in parallel, their `on_update` (and the timers that
/// fire with it) runs first on the threads of Bevy's compute task pool
/// (which `TaskPoolPlugin` sizes, in `MinimalPlugins` and `DefaultPlugins`,
/// whichever schedule executor the app chose) and on the thread that runs
/// the schedule; the other entities follow on the schedule's thread.
/// Whether a script can run in parallel is found from its code, once per
/// version: [`CompiledScript::update_phase`] says where and why.
///
/// In the parallel phase a script reads and writes its own state and its
/// own `Transform`, reads other entities and resources as they were when
/// the phase began, and spawns, despawns and sends events and messages
/// through commands applied after the phase in entity order. Scripts that
/// call functions the app registered, query with names computed at run
/// time, write another entity's transform or trigger events at once run in
/// the sequential phase, as without this; so do scripts that reach
/// components through reflection (`me.Health`, `has`, `resource`, `query`),
/// unless listed in [`ParallelUpdate::parallel_scripts`].
#[derive(Resource, Clone, Debug)]
pub struct ParallelUpdate {
    /// Whether `on_update` may run in parallel at all.
    pub enabled: bool,
    /// Below this many entities that can run in parallel, all run in the
    /// sequential phase: handing out tasks costs more than it saves.
    pub min_entities: usize,
    /// How many batches the entities are cut into: by default (`None`)
    /// four per thread that runs them (the compute task pool's, and the
    /// schedule's own), and no parallel phase on a one-core machine.
    /// `Some(n)` cuts them into `n` batches even there (which shows that
    /// results do not depend on the cut).
    pub batches: Option<usize>,
    /// Scripts (asset paths) whose `on_update` always runs in the
    /// sequential phase.
    pub sequential_scripts: Vec<String>,
    /// Scripts (asset paths) whose `on_update` runs in the parallel phase
    /// although it reaches components through reflection
    /// ([`UpdatePhase::ParallelIfListed`]). There such a script reads
    /// other entities' components and resources as they were when the
    /// phase began (and queries them: the queries its code names with
    /// literals are built before the phase), reads its own entity's as its
    /// calls wrote them, spawns (`spawn_with`, `spawn_entity`) after the
    /// phase, and writes only its own entity's: writing another entity's
    /// component or a resource is an error at the script's line. Its
    /// writes are applied after the phase, in entity order.
    pub parallel_scripts: Vec<String>,
}

impl Default for ParallelUpdate {
    fn default() -> Self {
        Self {
            enabled: true,
            min_entities: 512,
            batches: None,
            sequential_scripts: Vec::new(),
            parallel_scripts: Vec::new(),
        }
    }
}

/// What the scripts' code is checked against to place their `on_update`.
#[derive(Resource, Clone)]
pub(crate) struct UpdatePolicy(pub(crate) Arc<ParallelPolicy>);

impl UpdatePolicy {
    /// The policy for `engine` with the API groups `api`: the functions the
    /// app registered and the crate's own that change the world at once
    /// need the sequential phase, and so do the `components` reached by
    /// reflection.
    pub(crate) fn new(engine: &Engine, api: &[ScriptApi], components: Vec<String>) -> Self {
        let owned = |functions: &[(&str, usize)]| -> Vec<(String, usize)> {
            (functions.iter())
                .map(|(name, arity)| ((*name).to_owned(), *arity))
                .collect()
        };
        let mut functions = crate::api::app_functions(engine);
        let (mut reads, mut queries) = (Vec::new(), Vec::new());
        for group in api {
            functions.extend(owned(group.sequential_functions()));
            reads.extend(owned(group.reflection_reads()));
            queries.extend(owned(group.queries()));
        }
        let policy = ParallelPolicy::new(functions, components)
            .with_reflection_reads(reads)
            .with_queries(queries);
        Self(Arc::new(policy))
    }
}

/// Fires the slot's timers that came due in `dt` seconds, earliest first.
/// A timer whose function the script no longer defines is reported once and
/// dropped; one cancelled by an earlier callback this frame does not fire.
fn fire_timers(
    site: &mut impl CallSite,
    engine: &Engine,
    entity: Entity,
    slot: &mut ScriptSlot,
    dt: f64,
) {
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
                    site,
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
                site.report(error);
            }
        }
    }
}

/// One entity's `on_update` and due timers, in the order of its scripts.
fn update_entity(
    site: &mut impl CallSite,
    engine: &Engine,
    entity: Entity,
    slots: &mut Slots,
    dt: f64,
) {
    for slot in slots.iter_mut() {
        let arity = slot
            .compiled
            .as_ref()
            .and_then(|compiled| compiled.on_update_arity());
        if let Some(arity) = arity {
            call_with_arity(site, engine, entity, slot, ON_UPDATE, arity, dt.into());
        }
        if !slot.timers.is_empty() {
            fire_timers(site, engine, entity, slot, dt);
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
#[allow(clippy::too_many_arguments, reason = "a system's parameters")]
pub(crate) fn run_on_update(
    world: &mut World,
    entities: &mut QueryState<(Entity, &mut ScriptState, Has<Script>)>,
    mut taken: Local<Vec<(Entity, Slots)>>,
    mut in_phase: Local<Vec<bool>>,
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
    let deadline = Instant::now().checked_add(budget);
    // After a frame that ran out of time, the entities it skipped go first.
    let over_budget_before = std::mem::take(&mut *was_over_budget);
    if let Some(first) = resume_from
        .take()
        .and_then(|resume| taken.iter().position(|(entity, _)| *entity == resume))
    {
        taken.rotate_left(first);
    }
    let mut skipped = parallel_phase(world, &engine, &mut taken, &mut in_phase, dt, deadline);
    let count = taken.len();
    for index in 0..count {
        if skipped.is_none()
            && index % BUDGET_CHECK_EVERY == 0
            && index > 0
            && deadline.is_some_and(|deadline| Instant::now() > deadline)
        {
            skipped = Some(index);
        }
        let (entity, slots) = &mut taken[index];
        // Ran in the parallel phase, skipped for time, or despawned by a
        // native function meanwhile.
        if in_phase.get(index).is_some_and(|in_phase| *in_phase)
            || skipped.is_some()
            || !world.entities().contains(*entity)
        {
            continue;
        }
        update_entity(world, &engine, *entity, slots, dt);
    }
    in_phase.clear();
    if let Some(first_skipped) = skipped {
        // Said once per run of frames over budget, not every frame.
        if !over_budget_before {
            warn!(
                "scripts' on_update ran over ScriptLimits::max_update_time ({budget:?}): \
                 some entities skipped it this frame and go first in the next"
            );
        }
        *was_over_budget = true;
        *resume_from = taken.get(first_skipped).map(|(entity, _)| *entity);
    }
    put_back(world, entities, &mut taken);
}

/// Puts the slots back in one pass in the order they were taken, which
/// holds unless a native function changed the world's structure (or the
/// list was rotated after a frame over budget); any entity out of order is
/// put back by a lookup of its own.
fn put_back(
    world: &mut World,
    entities: &mut QueryState<(Entity, &mut ScriptState, Has<Script>)>,
    taken: &mut Vec<(Entity, Slots)>,
) {
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

/// What one task of the parallel phase hands back to the world.
#[derive(Default)]
struct TaskOutcome {
    /// Entities' `Transform`s as their calls left them, in entity order.
    transforms: Vec<(Entity, Transform)>,
    /// Components they wrote through reflection, in entity order.
    components: Vec<(Entity, WrittenComponent)>,
    /// Their commands, in entity order.
    commands: CommandQueue,
    /// What the calls reported, in the order it happened.
    reports: Vec<Report>,
    /// The first entity (index into the task's batch) the task did not run
    /// for lack of time.
    skipped: Option<usize>,
}

enum Report {
    Recovered {
        path: String,
        entity: Entity,
        function: String,
    },
    Failed(ErrorPlace, ScriptError),
    Other(ScriptError),
}

/// A task of the parallel phase as a [`CallSite`].
struct PhaseTask<'w> {
    world: &'w World,
    changes: PhaseChanges,
    reports: Vec<Report>,
}

impl CallSite for PhaseTask<'_> {
    fn run<R>(
        &mut self,
        entity: Entity,
        compiled: &CompiledScript,
        timers: &mut Timers,
        f: impl FnOnce() -> R,
    ) -> R {
        let mut phase = PhaseCall {
            world: self.world,
            changes: &mut self.changes,
        };
        let constants = Some(compiled.constants());
        run_in_phase(
            &mut phase,
            entity,
            compiled.path(),
            constants,
            Some(timers),
            f,
        )
    }

    fn recovered(&mut self, path: &str, entity: Entity, function: &str) {
        self.reports.push(Report::Recovered {
            path: path.to_owned(),
            entity,
            function: function.to_owned(),
        });
    }

    fn failed(&mut self, place: ErrorPlace, error: ScriptError) {
        self.reports.push(Report::Failed(place, error));
    }

    fn report(&mut self, error: ScriptError) {
        self.reports.push(Report::Other(error));
    }
}

/// Whether all of an entity's scripts that update can run in parallel.
fn runs_in_parallel(slots: &Slots, policy: &ParallelPolicy, settings: &ParallelUpdate) -> bool {
    slots.iter().all(|slot| {
        let Some(compiled) = &slot.compiled else {
            return true;
        };
        if compiled.on_update_arity().is_none() && slot.timers.is_empty() {
            return true;
        }
        let listed = |paths: &[String]| paths.iter().any(|path| path == compiled.path());
        let allowed = match compiled.update_phase_under(policy) {
            UpdatePhase::Parallel => true,
            UpdatePhase::ParallelIfListed(_) => listed(&settings.parallel_scripts),
            UpdatePhase::Sequential(_) => false,
        };
        allowed && !listed(&settings.sequential_scripts)
    })
}

/// Runs the entities of `taken` whose scripts can run in parallel on the
/// compute task pool, if that is worth it, then applies what their calls
/// changed and reported, in entity order. `in_phase` tells afterwards
/// which entities ran (empty when none did). Returns the index in `taken`
/// of the first entity skipped for lack of time.
fn parallel_phase(
    world: &mut World,
    engine: &Engine,
    taken: &mut [(Entity, Slots)],
    in_phase: &mut Vec<bool>,
    dt: f64,
    deadline: Option<Instant>,
) -> Option<usize> {
    let settings = world.get_resource::<ParallelUpdate>()?;
    if !settings.enabled || taken.len() < settings.min_entities {
        return None;
    }
    // The thread that runs the schedule works through the batches too (Bevy's
    // `scope` ticks the pool on it): on 2 cores Bevy gives the compute pool
    // one thread, and the phase still runs on both.
    let threads = ComputeTaskPool::try_get().map_or(0, |pool| pool.thread_num()) + 1;
    let batches = match settings.batches {
        Some(batches) => batches.max(1),
        None if cores() > 1 => threads * 4,
        None => return None,
    };
    let policy = world.get_resource::<UpdatePolicy>()?.0.clone();
    in_phase.extend((taken.iter()).map(|(_, slots)| runs_in_parallel(slots, &policy, settings)));
    let count = in_phase.iter().filter(|in_phase| **in_phase).count();
    if count == 0 || count < settings.min_entities {
        in_phase.clear();
        return None;
    }
    let any_listed = !settings.parallel_scripts.is_empty();
    prepare_phase_queries(world, &policy, taken, in_phase, any_listed);
    // The entities stay where they are, in `taken`: each task runs those
    // of its batch that can run in parallel and skips the others.
    let batch_size = taken.len().div_ceil(batches);
    let shared: &World = world;
    let pool = ComputeTaskPool::get_or_init(Default::default);
    let outcomes = pool.scope(|scope| {
        for (batch, in_phase) in taken
            .chunks_mut(batch_size)
            .zip(in_phase.chunks(batch_size))
        {
            scope.spawn(async move { run_batch(shared, engine, batch, in_phase, dt, deadline) });
        }
    });
    let mut skipped = None;
    for (index, outcome) in outcomes.into_iter().enumerate() {
        if skipped.is_none()
            && let Some(first) = outcome.skipped
        {
            skipped = Some(index * batch_size + first);
        }
        apply_outcome(world, outcome);
    }
    skipped
}

/// Builds the queries that listed scripts make in the parallel phase
/// (literal in their code, see `UpdatePhase::ParallelIfListed`), while the
/// world can still change: in the phase it is read-only.
fn prepare_phase_queries(
    world: &mut World,
    policy: &ParallelPolicy,
    taken: &[(Entity, Slots)],
    in_phase: &[bool],
    any_listed: bool,
) {
    // A script that queries runs in the phase only when listed.
    if !any_listed {
        return;
    }
    let mut prepared: Vec<&CompiledScript> = Vec::new();
    for ((_, slots), _) in taken
        .iter()
        .zip(in_phase)
        .filter(|(_, in_phase)| **in_phase)
    {
        for compiled in slots.iter().filter_map(|slot| slot.compiled.as_deref()) {
            let queries = compiled.phase_queries(policy);
            if queries.is_empty() || prepared.iter().any(|done| std::ptr::eq(*done, compiled)) {
                continue;
            }
            crate::api::prepare_queries(world, queries);
            prepared.push(compiled);
        }
    }
}

/// The machine's cores, looked up once: the lookup reads the cgroup's
/// files on Linux, tens of microseconds.
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// One task of the parallel phase: each entity's calls in turn.
fn run_batch(
    world: &World,
    engine: &Engine,
    batch: &mut [(Entity, Slots)],
    in_phase: &[bool],
    dt: f64,
    deadline: Option<Instant>,
) -> TaskOutcome {
    let mut task = PhaseTask {
        world,
        changes: PhaseChanges::default(),
        reports: Vec::new(),
    };
    let mut transforms = Vec::new();
    let mut components = Vec::new();
    let mut skipped = None;
    let mut ran = 0;
    for (index, ((entity, slots), in_phase)) in batch.iter_mut().zip(in_phase).enumerate() {
        if !in_phase {
            continue;
        }
        if ran % BUDGET_CHECK_EVERY == 0
            && ran > 0
            && deadline.is_some_and(|deadline| Instant::now() > deadline)
        {
            skipped = Some(index);
            break;
        }
        ran += 1;
        update_entity(&mut task, engine, *entity, slots, dt);
        if let Some(transform) = task.changes.transform.take() {
            transforms.push((*entity, transform));
        }
        components.extend((task.changes.components.drain(..)).map(|written| (*entity, written)));
    }
    TaskOutcome {
        transforms,
        components,
        commands: std::mem::take(&mut task.changes.commands),
        reports: task.reports,
        skipped,
    }
}

/// Applies one task's outcome as the sequential phase would have: the
/// transforms at once, errors reported, commands queued for the end of the
/// pass.
fn apply_outcome(world: &mut World, mut outcome: TaskOutcome) {
    for (entity, transform) in outcome.transforms {
        if let Some(mut current) = world.get_mut::<Transform>(entity) {
            *current = transform;
        }
    }
    for (entity, written) in outcome.components {
        // Nothing removes components during the phase: this is a guard.
        if let Ok(entity) = world.get_entity_mut(entity)
            && written.reflect.contains(entity.as_readonly())
        {
            written.reflect.apply(entity, written.value.as_ref());
        }
    }
    for report in outcome.reports {
        match report {
            Report::Recovered {
                path,
                entity,
                function,
            } => world.recovered(&path, entity, &function),
            Report::Failed(place, error) => world.failed(place, error),
            Report::Other(error) => CallSite::report(world, error),
        }
    }
    world.commands().append(&mut outcome.commands);
}
