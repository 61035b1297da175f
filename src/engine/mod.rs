//! The one Rhai [`Engine`] that compiles and runs every script: its limits,
//! its log routing, the call context that lends the ECS to native
//! functions, and the set-ups (script API groups, the app's own
//! registrations) applied to it.

mod context;
mod limits;
mod stack_guard;

use std::sync::Arc;

use bevy::prelude::*;
use rhai::Engine;

pub(crate) use context::{
    PhaseCall, PhaseChanges, WrittenComponent, apply_or_defer, own_transform, read_world,
    run_in_context, run_in_phase, run_with_timers, set_own_transform, with_phase,
    with_script_timers,
};
pub use context::{script_entity, with_script_commands, with_script_entity, with_script_world};
pub use limits::ScriptLimits;
pub(crate) use stack_guard::COMPILE_THREAD;

use crate::script::ScriptLocation;
use crate::script::modules::ImportedModuleResolver;
use context::{resolve_constant, with_current_path};

/// A function that configures the script engine: registers functions, types
/// and modules before any script compiles.
pub type EngineSetup = Arc<dyn Fn(&mut Engine) + Send + Sync>;

/// The script engine, available once the app has finished building.
///
/// Scripts compile and run on it, so everything registered on it (through
/// [`RhaiPlugin::with_engine`](crate::RhaiPlugin::with_engine) or
/// [`RhaiAppExt::configure_rhai_engine`](crate::RhaiAppExt::configure_rhai_engine))
/// is known to every script.
#[derive(Resource, Clone, Debug)]
pub struct RhaiEngine(Arc<Engine>);

impl RhaiEngine {
    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.0
    }

    /// A shared handle to the engine, for example to compile on another
    /// thread.
    pub fn arc(&self) -> Arc<Engine> {
        self.0.clone()
    }

    /// The engine of `world`'s app, for the plugin's systems.
    pub(crate) fn of(world: &World) -> Arc<Engine> {
        world
            .get_resource::<Self>()
            .expect(
                "RhaiPlugin builds the script engine in Plugin::finish: \
                 call app.finish() and app.cleanup() before app.update() (App::run does)",
            )
            .arc()
    }
}

/// Engine set-up functions collected from the plugin and from other plugins,
/// applied when the app finishes building.
#[derive(Resource, Default)]
pub(crate) struct EngineSetups(pub(crate) Vec<EngineSetup>);

/// Builds the engine: limits, logging, then the set-up functions in order
/// (the plugin puts the chosen script API groups first, then the app's own).
pub(crate) fn build_engine(limits: &ScriptLimits, setups: &[EngineSetup]) -> RhaiEngine {
    let mut engine = Engine::new();
    // Rhai's default resolver reads module files behind the asset server's
    // back and caches them forever, so edits would never reload: modules
    // load through the asset server, and the resolver hands them out.
    engine.set_module_resolver(ImportedModuleResolver);
    limits.apply(&mut engine);
    #[allow(deprecated, reason = "Rhai marks on_var volatile, not deprecated")]
    engine.on_var(resolve_constant);
    engine.on_print(|text| {
        with_current_path(
            |path| info!(target: "bevy_rhai_hot::script", "{}: {text}", path.unwrap_or("script")),
        );
    });
    engine.on_debug(|text, source, position| {
        let location = ScriptLocation::new(source.unwrap_or("script"), position);
        debug!(target: "bevy_rhai_hot::script", "{location}: {text}");
    });
    for setup in setups {
        setup(&mut engine);
    }
    RhaiEngine(Arc::new(engine))
}
