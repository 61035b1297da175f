//! The ECS context of a running script call: which entity it runs for and
//! what of the ECS native functions may reach, lent for the call.
//!
//! Native functions reach the ECS through these doors, narrowest first:
//! - [`script_entity`]: which entity is running, and nothing else;
//! - [`with_script_entity`]: the components of the running entity only;
//! - [`with_script_commands`]: deferred structural changes (spawn, despawn,
//!   insert), applied after the script system;
//! - [`with_script_world`]: the whole `World`, for what needs other entities
//!   or resources.
//!
//! Handlers run from exclusive systems that lend their `&mut World`, so
//! every door opens onto it; except in the parallel `on_update` phase
//! (`runtime::update`), where a call gets the world as it was when the
//! phase began, read-only, and a [`PhaseChanges`] of its own: the running
//! entity's `Transform` as the call wrote it, and a command queue applied
//! after the phase in entity order. There [`script_entity`] and
//! [`with_script_commands`] work unchanged, and the crate's own functions
//! read through `read_world` and write through `own_transform` and
//! `apply_or_defer`; [`with_script_world`] and [`with_script_entity`]
//! refuse, with an error saying why (scripts that call functions the app
//! registered run in the sequential phase, so this is a last guard).
//!
//! Only one borrow exists at a time: while a native function holds the
//! world, the slot is empty, so a nested call cannot alias it.

// The one place in the crate that needs `unsafe`: the world is lent through
// a thread-local pointer for the duration of a call.
#![allow(unsafe_code)]

use std::any::TypeId;
use std::cell::Cell;
use std::ptr::NonNull;

use bevy::ecs::world::CommandQueue;
use bevy::prelude::*;
use bevy::reflect::PartialReflect;
use rhai::{Dynamic, EvalAltResult, EvalContext};

use crate::script::constants::ScriptConstants;
use crate::script::timers::Timers;

#[derive(Clone, Copy)]
struct CallEnv {
    world: Option<NonNull<World>>,
    /// In the parallel phase: the world as it was when the phase began and
    /// the running entity's changes.
    phase: Option<NonNull<PhaseCall<'static>>>,
    entity: Option<Entity>,
    /// The running script's path, for log lines from `print`.
    path: Option<NonNull<str>>,
    /// The running script's top-level constants.
    constants: Option<NonNull<ScriptConstants>>,
    /// The running script's timers on its entity.
    timers: Option<NonNull<Timers>>,
}

impl CallEnv {
    const EMPTY: Self = Self {
        world: None,
        phase: None,
        entity: None,
        path: None,
        constants: None,
        timers: None,
    };
}

thread_local! {
    static CALL_ENV: Cell<CallEnv> = const { Cell::new(CallEnv::EMPTY) };
}

/// Puts the previous environment back, also when a call panics.
struct Restore(CallEnv);

impl Drop for Restore {
    fn drop(&mut self) {
        CALL_ENV.set(self.0);
    }
}

/// Runs `f` (a script call) with `world` lent to native functions, on behalf
/// of `entity`, for the script at `path` whose constants are `constants`.
///
/// The borrows last for the whole of `f`, so nothing but the functions of
/// this module can reach the world while `f` runs.
pub(crate) fn run_in_context<R>(
    world: Option<&mut World>,
    entity: Option<Entity>,
    path: &str,
    constants: Option<&ScriptConstants>,
    f: impl FnOnce() -> R,
) -> R {
    run_with_timers(world, entity, path, constants, None, f)
}

/// [`run_in_context`], with the running script's timers on its entity lent
/// to `after`, `every` and `cancel`.
pub(crate) fn run_with_timers<R>(
    world: Option<&mut World>,
    entity: Option<Entity>,
    path: &str,
    constants: Option<&ScriptConstants>,
    timers: Option<&mut Timers>,
    f: impl FnOnce() -> R,
) -> R {
    let env = CallEnv {
        world: world.map(NonNull::from),
        phase: None,
        entity,
        path: Some(NonNull::from(path)),
        constants: constants.map(NonNull::from),
        timers: timers.map(NonNull::from),
    };
    run_with_env(env, f)
}

/// Runs `f` with `env` as the call's environment, restored afterwards.
fn run_with_env<R>(env: CallEnv, f: impl FnOnce() -> R) -> R {
    let _restore = Restore(CALL_ENV.replace(env));
    let _entered = super::stack_guard::enter();
    f()
}

/// The world a call in the parallel phase reads, and where its changes go.
pub(crate) struct PhaseCall<'w> {
    /// The world as it was when the phase began.
    pub(crate) world: &'w World,
    /// What the running entity's calls changed.
    pub(crate) changes: &'w mut PhaseChanges,
}

/// What one entity's calls changed in the parallel phase, applied after
/// the phase in entity order (see `runtime::update`).
#[derive(Default)]
pub(crate) struct PhaseChanges {
    /// The running entity's `Transform`, as its calls last wrote it.
    pub(crate) transform: Option<Transform>,
    /// The running entity's other components that its calls wrote through
    /// reflection, as they last wrote them.
    pub(crate) components: Vec<WrittenComponent>,
    /// Everything else, in the order the calls asked for it.
    pub(crate) commands: CommandQueue,
}

/// A component a call in the parallel phase wrote through reflection: a
/// copy of the running entity's, applied over it after the phase.
pub(crate) struct WrittenComponent {
    pub(crate) type_id: TypeId,
    pub(crate) reflect: ReflectComponent,
    pub(crate) value: Box<dyn PartialReflect>,
}

impl PhaseChanges {
    /// The running entity's component `type_id` as its calls wrote it.
    pub(crate) fn written(&mut self, type_id: TypeId) -> Option<&mut dyn PartialReflect> {
        (self.components.iter_mut())
            .find(|written| written.type_id == type_id)
            .map(|written| written.value.as_mut())
    }
}

/// [`run_with_timers`] for a call in the parallel phase: native functions
/// read `phase.world` and write into `phase.changes`.
pub(crate) fn run_in_phase<R>(
    phase: &mut PhaseCall<'_>,
    entity: Entity,
    path: &str,
    constants: Option<&ScriptConstants>,
    timers: Option<&mut Timers>,
    f: impl FnOnce() -> R,
) -> R {
    let env = CallEnv {
        world: None,
        // Lifetimes erased: the pointer is only used while `f` runs, and
        // `phase` outlives it.
        phase: Some(NonNull::from(phase).cast()),
        entity: Some(entity),
        path: Some(NonNull::from(path)),
        constants: constants.map(NonNull::from),
        timers: timers.map(NonNull::from),
    };
    run_with_env(env, f)
}

fn not_in_phase() -> Box<EvalAltResult> {
    "this function needs the whole world, which on_update does not have in \
     the parallel phase (scripts whose code calls such functions run in the \
     sequential phase; this call came through a value kept in state or a \
     function pointer): add the script's path to \
     ParallelUpdate::sequential_scripts to run it sequentially"
        .into()
}

/// Lends the parallel phase's call to `f`, emptying the slot while `f`
/// runs; `None` outside the parallel phase.
fn lend_phase<R>(
    f: impl FnOnce(&mut PhaseCall<'_>, Entity) -> R,
) -> Option<Result<R, Box<EvalAltResult>>> {
    let env = CALL_ENV.get();
    let mut phase = env.phase?;
    let Some(entity) = env.entity else {
        return Some(Err(no_entity()));
    };
    let _restore = Restore(env);
    CALL_ENV.set(CallEnv { phase: None, ..env });
    // SAFETY: the pointer comes from the `&mut PhaseCall` that
    // `run_in_phase` holds borrowed for the whole call; the slot is empty
    // until `_restore` drops, so no second `&mut` exists.
    let phase = unsafe { phase.as_mut() };
    Some(Ok(f(phase, entity)))
}

/// In the parallel phase, lends `f` the world as it was when the phase
/// began, the running entity and what its calls changed; `None` outside
/// the phase.
pub(crate) fn with_phase<R>(
    f: impl FnOnce(&World, Entity, &mut PhaseChanges) -> R,
) -> Option<Result<R, Box<EvalAltResult>>> {
    lend_phase(|phase, entity| f(phase.world, entity, phase.changes))
}

/// Reads the world on behalf of the running entity: the world as it is,
/// or in the parallel phase as it was when the phase began.
pub(crate) fn read_world<R>(f: impl FnOnce(&World, Entity) -> R) -> Result<R, Box<EvalAltResult>> {
    let mut f = Some(f);
    if let Some(result) = lend_phase(|phase, entity| (f.take().expect("once"))(phase.world, entity))
    {
        return result;
    }
    lend_world(|world, entity| (f.take().expect("once"))(world, entity))
}

/// Changes the world: at once, or in the parallel phase after the phase,
/// in entity order. Check what can fail before, with [`read_world`], so
/// that the error reaches the script at its call.
pub(crate) fn apply_or_defer(
    apply: impl FnOnce(&mut World) + Send + 'static,
) -> Result<(), Box<EvalAltResult>> {
    let mut apply = Some(apply);
    if let Some(result) = lend_phase(|phase, _| {
        let apply = apply.take().expect("once");
        phase
            .changes
            .commands
            .push(move |world: &mut World| apply(world));
    }) {
        return result;
    }
    lend_world(|world, _| (apply.take().expect("once"))(world))
}

/// The running entity's `Transform`, with what this call wrote to it.
pub(crate) fn own_transform() -> Result<Option<Transform>, Box<EvalAltResult>> {
    if let Some(result) = lend_phase(|phase, entity| {
        (phase.changes.transform).or_else(|| phase.world.get::<Transform>(entity).copied())
    }) {
        return result;
    }
    lend_world(|world, entity| match world.get_entity(entity) {
        Ok(entity) => Ok(entity.get::<Transform>().copied()),
        Err(_) => Err(gone(entity)),
    })?
}

/// Writes the running entity's `Transform`; `Ok(false)` if it has none.
pub(crate) fn set_own_transform(transform: Transform) -> Result<bool, Box<EvalAltResult>> {
    if let Some(result) = lend_phase(|phase, entity| {
        let has = phase.world.get::<Transform>(entity).is_some();
        if has {
            phase.changes.transform = Some(transform);
        }
        has
    }) {
        return result;
    }
    lend_world(|world, entity| match world.get_entity_mut(entity) {
        Ok(mut entity) => Ok(entity
            .get_mut::<Transform>()
            .map(|mut current| {
                *current = transform;
            })
            .is_some()),
        Err(_) => Err(gone(entity)),
    })?
}

fn gone(entity: Entity) -> Box<EvalAltResult> {
    format!("entity {entity} no longer exists").into()
}

fn no_entity() -> Box<EvalAltResult> {
    "this function needs an entity: call it from a handler such as init() or \
     on_update(), not from top-level code"
        .into()
}

fn already_lent() -> Box<EvalAltResult> {
    "the world is already lent to a native function further up this call: \
     with_script_world, with_script_entity and with_script_commands cannot be \
     nested (a Rhai function called from inside one cannot reach the ECS)"
        .into()
}

/// The entity whose script is running on this thread: the cheapest door,
/// for native functions that only need to know who called them.
///
/// Returns an error when no entity's script is running, for example in a
/// script's top-level code.
pub fn script_entity() -> Result<Entity, Box<EvalAltResult>> {
    CALL_ENV.get().entity.ok_or_else(no_entity)
}

/// Lends the world to `f`, emptying the slot while `f` runs.
fn lend_world<R>(f: impl FnOnce(&mut World, Entity) -> R) -> Result<R, Box<EvalAltResult>> {
    let env = CALL_ENV.get();
    let Some(entity) = env.entity else {
        return Err(no_entity());
    };
    let Some(mut world) = env.world else {
        return Err(if env.phase.is_some() {
            not_in_phase()
        } else {
            already_lent()
        });
    };
    let _restore = Restore(env);
    CALL_ENV.set(CallEnv { world: None, ..env });
    // SAFETY: the pointer comes from the `&mut World` that `run_in_context`
    // holds borrowed for the whole call, so it is valid and nothing else uses
    // it; the slot is empty until `_restore` drops, so no second `&mut` exists.
    let world = unsafe { world.as_mut() };
    Ok(f(world, entity))
}

/// Gives a native function the whole `World` and the entity whose script is
/// running.
///
/// Use it in functions you register on the engine (with
/// [`RhaiPlugin::with_engine`](crate::RhaiPlugin::with_engine)) that need
/// other entities or resources. For the running entity's own components,
/// prefer [`with_script_entity`]; for spawning and despawning,
/// [`with_script_commands`]: those keep working where only the entity is lent.
///
/// ```
/// # use bevy::prelude::*;
/// # use bevy_rhai_hot::prelude::*;
/// #[derive(Resource)]
/// struct Score(i64);
///
/// let plugin = RhaiPlugin::default().with_engine(|engine| {
///     engine.register_fn("score", || {
///         with_script_world(|world, _entity| world.resource::<Score>().0)
///     });
/// });
/// ```
///
/// Returns an error (which the script sees as a runtime error at the call
/// site) when no entity's script is running, for example in a script's
/// top-level code, or when called again from inside `f`.
pub fn with_script_world<R>(
    f: impl FnOnce(&mut World, Entity) -> R,
) -> Result<R, Box<EvalAltResult>> {
    lend_world(f)
}

/// Gives a native function the components of the entity whose script is
/// running, and nothing else of the world.
///
/// ```
/// # use bevy::prelude::*;
/// # use bevy_rhai_hot::prelude::*;
/// #[derive(Component)]
/// struct Health(f64);
///
/// let plugin = RhaiPlugin::default().with_engine(|engine| {
///     engine.register_fn("health", || {
///         with_script_entity(|entity| entity.get::<Health>().map_or(0.0, |h| h.0))
///     });
/// });
/// ```
///
/// Returns an error when no entity's script is running, when the entity was
/// despawned during the call, or when called again from inside `f`.
pub fn with_script_entity<R>(f: impl FnOnce(EntityMut) -> R) -> Result<R, Box<EvalAltResult>> {
    lend_world(|world, entity| match world.get_entity_mut(entity) {
        Ok(entity) => Ok(f(entity.into())),
        Err(_) => Err(gone(entity)),
    })?
}

/// Gives a native function a command queue, applied after the script
/// system, and the entity whose script is running.
///
/// ```
/// # use bevy::prelude::*;
/// # use bevy_rhai_hot::prelude::*;
/// #[derive(Component)]
/// struct Frozen;
///
/// let plugin = RhaiPlugin::default().with_engine(|engine| {
///     engine.register_fn("freeze", || {
///         with_script_commands(|commands, entity| {
///             commands.entity(entity).insert(Frozen);
///         })
///     });
/// });
/// ```
///
/// Returns an error when no entity's script is running, or when called
/// again from inside `f`.
pub fn with_script_commands<R>(
    f: impl FnOnce(&mut Commands, Entity) -> R,
) -> Result<R, Box<EvalAltResult>> {
    let mut f = Some(f);
    if let Some(result) = lend_phase(|phase, entity| {
        let mut commands = Commands::new(&mut phase.changes.commands, phase.world);
        (f.take().expect("once"))(&mut commands, entity)
    }) {
        return result;
    }
    lend_world(|world, entity| (f.take().expect("once"))(&mut world.commands(), entity))
}

/// Lends the running script's timers on its entity to `f`.
pub(crate) fn with_script_timers<R>(
    f: impl FnOnce(&mut Timers) -> R,
) -> Result<R, Box<EvalAltResult>> {
    let env = CALL_ENV.get();
    let Some(mut timers) = env.timers else {
        return Err(no_entity());
    };
    let _restore = Restore(env);
    CALL_ENV.set(CallEnv {
        timers: None,
        ..env
    });
    // SAFETY: the pointer comes from the `&mut Timers` that
    // `run_with_timers` holds borrowed for the whole call; the slot is
    // empty until `_restore` drops, so no second `&mut` exists.
    let timers = unsafe { timers.as_mut() };
    Ok(f(timers))
}

/// The constants of the script running on this thread, if any.
fn with_current_constants<R>(f: impl FnOnce(Option<&ScriptConstants>) -> R) -> R {
    let env = CALL_ENV.get();
    // SAFETY: the pointer comes from a shared borrow that `run_in_context`
    // holds until the environment is restored.
    let constants = env.constants.map(|constants| unsafe { constants.as_ref() });
    f(constants)
}

/// The path of the script running on this thread, if any.
pub(crate) fn with_current_path<R>(f: impl FnOnce(Option<&str>) -> R) -> R {
    let env = CALL_ENV.get();
    // SAFETY: the pointer comes from a `&str` that `run_in_context` keeps
    // borrowed until the environment is restored.
    let path = env.path.map(|path| unsafe { path.as_ref() });
    f(path)
}

/// The engine's variable resolver: Rhai calls it before searching the scope.
/// `index > 0` means the parser already bound the name to a local variable.
/// It finds the top-level constants that folding could not reach (see
/// `script::constants`), and, inside a module's functions, the module's
/// own top-level constants, so that modules read like scripts.
pub(crate) fn resolve_constant(
    name: &str,
    index: usize,
    context: EvalContext,
) -> Result<Option<Dynamic>, Box<EvalAltResult>> {
    if index > 0 {
        return Ok(None);
    }
    // Rhai gives a module's functions the module's top-level constants as
    // its "global" constants; a script's handlers run without any.
    if let Some(constants) = &context.global_runtime_state().constants
        && let Some(value) = (constants.read())
            .ok()
            .and_then(|constants| constants.get(name).cloned())
    {
        return Ok(Some(value));
    }
    // Most names are no constant: this lookup turns them away first.
    let Some(value) = with_current_constants(|constants| constants?.get(name).cloned()) else {
        return Ok(None);
    };
    // In a module's function, the running script's constants are not in
    // view: the module is another file.
    let source = context.source();
    if source.is_some() && with_current_path(|path| source != path) {
        return Ok(None);
    }
    // Names Rhai finds only at run time, in the scope: a variable a closure
    // captured, one `eval` defined. They hide the constant, as in Rhai.
    if context.scope().contains(name) {
        return Ok(None);
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use super::*;

    #[derive(Component)]
    struct Marker(u32);

    fn message(error: &EvalAltResult) -> String {
        error.to_string()
    }

    #[test]
    fn a_nested_borrow_is_refused_with_its_reason() {
        let mut world = World::new();
        let entity = world.spawn(Marker(7)).id();
        let nested = run_in_context(Some(&mut world), Some(entity), "x.rhai", None, || {
            with_script_world(|_, _| with_script_entity(|entity| entity.get::<Marker>().is_some()))
        });
        let error = nested.expect("the outer borrow works").unwrap_err();
        assert!(message(&error).contains("already lent"), "{error}");
        // After the nested attempt, the world is lent again for the next call.
        let again = run_in_context(Some(&mut world), Some(entity), "x.rhai", None, || {
            with_script_entity(|entity| entity.get::<Marker>().map(|m| m.0))
        });
        assert_eq!(again.unwrap(), Some(7));
    }

    #[test]
    fn outside_a_handler_the_error_says_so() {
        let error = with_script_world(|_, entity| entity).unwrap_err();
        assert!(message(&error).contains("needs an entity"), "{error}");
        let error = script_entity().unwrap_err();
        assert!(message(&error).contains("needs an entity"), "{error}");
    }

    #[test]
    fn a_panic_inside_a_call_restores_the_context() {
        let mut world = World::new();
        let entity = world.spawn(Marker(1)).id();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            run_in_context(Some(&mut world), Some(entity), "x.rhai", None, || {
                let _ = with_script_world(|_, _| panic!("a native function panicked"));
            });
        }));
        assert!(outcome.is_err());
        // Nothing is left lent: the world pointer is gone with the call.
        assert!(script_entity().is_err());
        assert!(with_current_path(|path| path.is_none()));
        let error = with_script_world(|_, entity| entity).unwrap_err();
        assert!(message(&error).contains("needs an entity"), "{error}");
    }

    #[test]
    fn a_panic_in_a_nested_borrow_gives_the_world_back_to_the_call() {
        let mut world = World::new();
        let entity = world.spawn(Marker(3)).id();
        let value = run_in_context(Some(&mut world), Some(entity), "x.rhai", None, || {
            let caught = catch_unwind(AssertUnwindSafe(|| {
                let _ = with_script_world(|_, _| panic!("inside"));
            }));
            assert!(caught.is_err());
            with_script_entity(|entity| entity.get::<Marker>().map(|m| m.0))
        });
        assert_eq!(value.unwrap(), Some(3));
    }
}
