//! [`RhaiPlugin`]: its configuration and the systems it adds.

use std::fmt;
use std::sync::Arc;

use bevy::asset::AssetLoadFailedEvent;
use bevy::ecs::intern::Interned;
use bevy::ecs::message::MessageCursor;
use bevy::ecs::schedule::ScheduleLabel;
use bevy::prelude::*;
use rhai::Engine;

use crate::api::{
    PropertyNames, ReflectedTypes, ScriptAccess, ScriptApi, ScriptMessageRoutes, ScriptQueries,
    ScriptSpawns, register_properties, start_spawn_frame,
};
use crate::asset::{
    ModuleCache, RhaiScript, RhaiScriptLoader, ScriptExtensions, WaitingForModules,
    reload_when_modules_appear, scripts_wait_for_modules,
};
use crate::engine::{EngineSetup, EngineSetups, ScriptLimits, build_engine};
use crate::events::route_script_events;
use crate::runtime::dispatch::LoggedErrors;
use crate::runtime::lifecycle::{apply_changed_props, lifecycle_plugin, start_pending};
use crate::runtime::reload::{LiveScripts, apply_script_changes};
use crate::runtime::update::{ParallelUpdate, UpdatePolicy, run_on_update};
use crate::runtime::{CurrentScriptErrors, Script, ScriptEvent, ScriptReloaded, ScriptState};
use crate::script::ScriptError;

/// Runs entity behaviour from `.rhai` script assets and reloads it live.
///
/// Add it after Bevy's `AssetPlugin` (part of `DefaultPlugins`). Scripts load
/// as [`RhaiScript`] assets and run on entities with a
/// [`Script`](crate::Script) component.
///
/// ```
/// # use bevy::prelude::*;
/// # use bevy_rhai_hot::prelude::*;
/// // Scripts run in FixedUpdate, with `dt` the fixed step, and get every
/// // script function but `send`.
/// let plugin = RhaiPlugin::default()
///     .in_schedule(FixedUpdate)
///     .with_api([ScriptApi::Entity, ScriptApi::Transform, ScriptApi::Time]);
/// ```
///
/// ## Systems
///
/// All in the schedule chosen with [`RhaiPlugin::in_schedule`] ([`Update`]
/// by default), in this order (the sets are chained):
///
/// 1. [`RhaiSystems::Reload`]: new script versions go live for every entity
///    using them (`on_reload(changes)` runs), and entities whose scripts have just
///    compiled start (`init()` runs).
/// 2. [`RhaiSystems::Events`]: [`ScriptEvent`] messages are routed to
///    scripts.
/// 3. [`RhaiSystems::Update`]: `on_update(dt)` runs for every entity whose
///    script defines it; `dt` is the schedule's `Time` delta (the fixed
///    step in `FixedUpdate`).
///
/// Typed entity events (see
/// [`RhaiAppExt::add_script_event`](crate::RhaiAppExt::add_script_event)) run
/// their handlers when the event is triggered, through observers. Commands
/// queued by scripts (spawn, despawn) apply at the end of each set, so
/// systems ordered after [`RhaiSystems::Update`] see them, and the transforms
/// scripts wrote.
pub struct RhaiPlugin {
    setups: Vec<EngineSetup>,
    limits: ScriptLimits,
    api: Vec<ScriptApi>,
    schedule: Interned<dyn ScheduleLabel>,
    extensions: &'static [&'static str],
    access: ScriptAccess,
    #[cfg(feature = "definitions")]
    definitions: Option<std::path::PathBuf>,
}

impl fmt::Debug for RhaiPlugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RhaiPlugin")
            .field("engine_setups", &self.setups.len())
            .field("limits", &self.limits)
            .field("api", &self.api)
            .field("schedule", &self.schedule)
            .field("extensions", &self.extensions)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

impl Default for RhaiPlugin {
    fn default() -> Self {
        Self {
            setups: Vec::new(),
            limits: ScriptLimits::default(),
            api: ScriptApi::ALL.to_vec(),
            schedule: Update.intern(),
            extensions: &["rhai"],
            access: ScriptAccess::default(),
            #[cfg(feature = "definitions")]
            definitions: None,
        }
    }
}

impl RhaiPlugin {
    /// Writes a Rhai definitions file (`.d.rhai`) for the engine the plugin
    /// builds, when the app finishes building: every function and type
    /// scripts can use, the app's own included, for completion and
    /// signatures in an editor with Rhai's language support. Call it in
    /// debug builds, for example
    /// `.write_definitions("assets/scripts/api.d.rhai")`; a file that cannot
    /// be written is an error in the log, never a panic.
    #[cfg(feature = "definitions")]
    #[must_use]
    pub fn write_definitions(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.definitions = Some(path.into());
        self
    }

    /// Configures the script engine: register functions, types and modules
    /// that scripts use. Runs before any script compiles, after the script
    /// API groups.
    #[must_use]
    pub fn with_engine(mut self, setup: impl Fn(&mut Engine) + Send + Sync + 'static) -> Self {
        self.setups.push(Arc::new(setup));
        self
    }

    /// Sets the limits that stop runaway scripts.
    #[must_use]
    pub fn with_limits(mut self, limits: ScriptLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Chooses the groups of script functions the plugin registers (every
    /// group of [`ScriptApi::ALL`] by default). Leave a group out to keep
    /// scripts from it, or to register your own functions in its place
    /// with [`RhaiPlugin::with_engine`].
    #[must_use]
    pub fn with_api(mut self, groups: impl IntoIterator<Item = ScriptApi>) -> Self {
        self.api = groups.into_iter().collect();
        self
    }

    /// Runs the plugin's systems in `schedule` instead of [`Update`], for
    /// example `FixedUpdate` for gameplay on a fixed step.
    #[must_use]
    pub fn in_schedule(mut self, schedule: impl ScheduleLabel) -> Self {
        self.schedule = schedule.intern();
        self
    }

    /// Loads scripts from files with these extensions instead of `rhai`
    /// (without the dot, as in Bevy's `AssetLoader::extensions`).
    #[must_use]
    pub fn with_extensions(mut self, extensions: &'static [&'static str]) -> Self {
        self.extensions = extensions;
        self
    }

    /// Limits which reflected components and resources scripts may reach
    /// (every registered one by default).
    #[must_use]
    pub fn with_access(mut self, access: ScriptAccess) -> Self {
        self.access = access;
        self
    }

    /// The chosen API groups as engine set-ups, each group once.
    fn api_setups(&self) -> impl Iterator<Item = EngineSetup> {
        let mut groups = Vec::new();
        for group in &self.api {
            if !groups.contains(group) {
                groups.push(*group);
            }
        }
        groups.into_iter().map(|group| -> EngineSetup {
            Arc::new(move |engine: &mut Engine| group.register(engine))
        })
    }
}

/// The plugin's system sets, chained in this order, in the schedule chosen
/// with [`RhaiPlugin::in_schedule`] ([`Update`] by default).
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RhaiSystems {
    /// Script versions go live; waiting entities start.
    Reload,
    /// [`ScriptEvent`] messages run their handlers.
    Events,
    /// `on_update(dt)` runs.
    Update,
}

impl Plugin for RhaiPlugin {
    fn build(&self, app: &mut App) {
        assert!(
            app.world().contains_resource::<AssetServer>(),
            "RhaiPlugin needs Bevy's AssetPlugin: add DefaultPlugins (or AssetPlugin) before RhaiPlugin"
        );
        // The loader needs the finished engine, which exists only once every
        // plugin had the chance to configure it (in `finish`); loads wait.
        app.init_asset::<RhaiScript>()
            .preregister_asset_loader::<RhaiScriptLoader>(self.extensions)
            .insert_resource(ScriptExtensions(self.extensions))
            .register_type::<Script>()
            .register_type::<ScriptState>()
            // Scripts reach transforms by name, whatever plugins the app has.
            .register_type::<Transform>()
            .init_resource::<ScriptQueries>()
            .add_message::<ScriptError>()
            .add_message::<ScriptReloaded>()
            .add_message::<ScriptEvent>()
            .init_resource::<LiveScripts>()
            .init_resource::<LoggedErrors>()
            .init_resource::<CurrentScriptErrors>()
            .init_resource::<WaitingForModules>()
            .add_systems(
                PreUpdate,
                // Bevy's multi-threaded executor costs a system run even
                // when it has nothing to do: most frames, it has not.
                reload_when_modules_appear
                    .run_if(on_message::<AssetEvent<RhaiScript>>.or_else(scripts_wait_for_modules)),
            )
            .init_resource::<ScriptMessageRoutes>()
            .init_resource::<ScriptSpawns>()
            .init_resource::<ParallelUpdate>()
            .insert_resource(self.limits.clone())
            .add_plugins(lifecycle_plugin)
            .configure_sets(
                self.schedule,
                (
                    RhaiSystems::Reload,
                    RhaiSystems::Events,
                    RhaiSystems::Update,
                )
                    .chain(),
            )
            .add_systems(
                self.schedule,
                (
                    reload_scripts.in_set(RhaiSystems::Reload),
                    route_script_events
                        .run_if(on_message::<ScriptEvent>)
                        .in_set(RhaiSystems::Events),
                    run_on_update.in_set(RhaiSystems::Update),
                ),
            );
        let registry = app.world().resource::<AppTypeRegistry>().clone();
        app.insert_resource(ReflectedTypes::new(registry, self.access.clone()));
        let mut setups = app.world_mut().get_resource_or_init::<EngineSetups>();
        // The API groups come first, then the plugin's own set-ups, then
        // those of other plugins.
        let others = std::mem::take(&mut setups.0);
        setups.0 = self
            .api_setups()
            .chain(self.setups.iter().cloned())
            .chain(others)
            .collect();
    }

    fn finish(&self, app: &mut App) {
        let mut setups = app
            .world_mut()
            .remove_resource::<EngineSetups>()
            .unwrap_or_default();
        let mut components = Vec::new();
        if self.api.contains(&ScriptApi::Ecs) {
            // The types the app registered by now get fast property access.
            let names = PropertyNames::of(app.world().resource::<ReflectedTypes>());
            components = names.components().to_vec();
            setups.0.push(Arc::new(move |engine: &mut Engine| {
                register_properties(engine, &names)
            }));
        }
        let engine = build_engine(&self.limits, &setups.0);
        let policy = UpdatePolicy::new(engine.engine(), &self.api, components);
        app.insert_resource(policy);
        #[cfg(feature = "definitions")]
        if let Some(path) = &self.definitions {
            // Rhai's metadata cannot name the value inside a fallible
            // function's `Result` (it keeps `EvalAltResult>>`): such
            // functions are written as returning any value.
            let definitions = engine
                .engine()
                .definitions()
                .single_file()
                .replace("-> EvalAltResult>>;", "-> ?;");
            match std::fs::write(path, definitions) {
                Ok(()) => info!("wrote the scripts' definitions to {}", path.display()),
                Err(error) => error!(
                    "could not write the scripts' definitions to {}: {error}",
                    path.display()
                ),
            }
        }
        let live = app.world().resource::<LiveScripts>().by_path();
        app.register_asset_loader(RhaiScriptLoader {
            engine: engine.arc(),
            live,
            extensions: self.extensions,
            modules: ModuleCache::default(),
        });
        app.insert_resource(engine);
    }
}

/// The steps of [`RhaiSystems::Reload`], in order, as one exclusive system:
/// Bevy's multi-threaded executor costs tens of microseconds a frame per
/// system, whatever the system does.
fn reload_scripts(
    world: &mut World,
    asset_events: Local<MessageCursor<AssetEvent<RhaiScript>>>,
    load_failures: Local<MessageCursor<AssetLoadFailedEvent<RhaiScript>>>,
    scripted: &mut QueryState<(Entity, &ScriptState)>,
    changed_props: &mut QueryState<Entity, (Changed<Script>, With<ScriptState>)>,
) {
    start_spawn_frame(world);
    apply_script_changes(world, asset_events, load_failures, scripted);
    apply_changed_props(world, changed_props);
    start_pending(world);
}
