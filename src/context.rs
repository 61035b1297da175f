//! The ECS context of a running script call: which entity it runs for and
//! access to the `World`, for native functions registered on the engine.
//!
//! The plugin runs scripts from exclusive systems. For the duration of one
//! call it lends its `&mut World` to this thread; native functions borrow it
//! back through [`with_script_world`]. Only one borrow exists at a time: while
//! a native function holds the world, the slot is empty, so a nested call
//! cannot alias it.

use std::cell::Cell;
use std::ptr::NonNull;

use bevy::prelude::*;
use rhai::EvalAltResult;

use crate::constants::ScriptConstants;

#[derive(Clone, Copy)]
struct CallEnv {
    world: Option<NonNull<World>>,
    entity: Option<Entity>,
    /// The running script's path, for log lines from `print`.
    path: Option<NonNull<str>>,
    /// The running script's top-level constants.
    constants: Option<NonNull<ScriptConstants>>,
}

impl CallEnv {
    const EMPTY: Self = Self {
        world: None,
        entity: None,
        path: None,
        constants: None,
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
/// The borrows last for the whole of `f`, so nothing but
/// [`with_script_world`] can reach the world while `f` runs.
pub(crate) fn run_in_context<R>(
    world: Option<&mut World>,
    entity: Option<Entity>,
    path: &str,
    constants: Option<&ScriptConstants>,
    f: impl FnOnce() -> R,
) -> R {
    let env = CallEnv {
        world: world.map(NonNull::from),
        entity,
        path: Some(NonNull::from(path)),
        constants: constants.map(NonNull::from),
    };
    let _restore = Restore(CALL_ENV.replace(env));
    f()
}

/// Gives a native function the `World` and the entity whose script is running.
///
/// Use it in functions you register on the engine (with
/// [`RhaiPlugin::with_engine`](crate::RhaiPlugin::with_engine)) to expose your
/// own components to scripts:
///
/// ```
/// # use bevy::prelude::*;
/// # use bevy_rhai_hot::prelude::*;
/// #[derive(Component)]
/// struct Health(f64);
///
/// let plugin = RhaiPlugin::default().with_engine(|engine| {
///     engine.register_fn("health", || {
///         with_script_world(|world, entity| world.get::<Health>(entity).map_or(0.0, |h| h.0))
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
    let env = CALL_ENV.get();
    let (Some(mut world), Some(entity)) = (env.world, env.entity) else {
        return Err(
            "this function needs an entity: call it from a handler such as init() or \
             on_update(), not from top-level code"
                .into(),
        );
    };
    let _restore = Restore(env);
    CALL_ENV.set(CallEnv { world: None, ..env });
    // SAFETY: the pointer comes from the `&mut World` that `run_in_context`
    // holds borrowed for the whole call, so it is valid and nothing else uses
    // it; the slot is empty until `_restore` drops, so no second `&mut` exists.
    let world = unsafe { world.as_mut() };
    Ok(f(world, entity))
}

/// The constants of the script running on this thread, if any.
pub(crate) fn with_current_constants<R>(f: impl FnOnce(Option<&ScriptConstants>) -> R) -> R {
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
