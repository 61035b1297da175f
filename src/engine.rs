//! The one Rhai [`Engine`] that compiles and runs every script: its limits,
//! its log routing and the app's own registrations.

use std::sync::Arc;

use bevy::prelude::*;
use rhai::Engine;
use rhai::module_resolvers::DummyModuleResolver;

use crate::constants::resolve_constant;
use crate::context::with_current_path;
use crate::error::ScriptLocation;

/// A function that configures the script engine: registers functions, types
/// and modules before any script compiles.
pub type EngineSetup = Arc<dyn Fn(&mut Engine) + Send + Sync>;

/// The script engine, available once the app has finished building.
///
/// Scripts compile and run on it, so everything registered on it (through
/// [`RhaiPlugin::with_engine`](crate::RhaiPlugin::with_engine) or
/// [`RhaiAppExt::configure_rhai_engine`](crate::RhaiAppExt::configure_rhai_engine))
/// is known to every script.
#[derive(Resource, Clone)]
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

/// Limits that stop runaway scripts. Each limit that is hit ends the call
/// with a [`ScriptError`](crate::ScriptError); the app goes on.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptLimits {
    /// Operations one call may run: an endless loop ends here.
    pub max_operations: u64,
    /// Depth of nested function calls.
    pub max_call_levels: usize,
    /// Nesting depth of expressions at the top level.
    pub max_expr_depth: usize,
    /// Nesting depth of expressions inside functions.
    pub max_function_expr_depth: usize,
    /// Length of a string, in bytes.
    pub max_string_size: usize,
    /// Length of an array.
    pub max_array_size: usize,
    /// Number of entries in an object map.
    pub max_map_size: usize,
}

impl Default for ScriptLimits {
    /// About 50 ms of work per call in a release build; Rhai's own defaults
    /// differ between debug and release builds, these do not.
    fn default() -> Self {
        Self {
            max_operations: 1_000_000,
            max_call_levels: 48,
            max_expr_depth: 64,
            max_function_expr_depth: 64,
            max_string_size: 1 << 20,
            max_array_size: 100_000,
            max_map_size: 100_000,
        }
    }
}

impl ScriptLimits {
    fn apply(&self, engine: &mut Engine) {
        engine
            .set_max_operations(self.max_operations)
            .set_max_call_levels(self.max_call_levels)
            .set_max_expr_depths(self.max_expr_depth, self.max_function_expr_depth)
            .set_max_string_size(self.max_string_size)
            .set_max_array_size(self.max_array_size)
            .set_max_map_size(self.max_map_size);
    }
}

/// Builds the engine: limits, logging, the ECS functions, then the app's
/// own set-up functions in the order they were added.
pub(crate) fn build_engine(limits: &ScriptLimits, setups: &[EngineSetup]) -> RhaiEngine {
    let mut engine = Engine::new();
    // Rhai's default resolver reads module files behind the asset server's
    // back and caches them forever, so edits would never reload.
    engine.set_module_resolver(DummyModuleResolver::new());
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
    crate::ecs_api::register(&mut engine);
    for setup in setups {
        setup(&mut engine);
    }
    RhaiEngine(Arc::new(engine))
}
