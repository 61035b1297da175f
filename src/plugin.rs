//! [`RhaiPlugin`]: its configuration and the systems it adds.

use std::sync::Arc;

use bevy::prelude::*;
use rhai::Engine;

use crate::asset::{RhaiScript, RhaiScriptLoader};
use crate::component::{PendingScripts, detach_slots, sync_slots};
use crate::dispatch::{LoggedErrors, run_on_update};
use crate::engine::{EngineSetups, ScriptLimits, build_engine};
use crate::error::ScriptError;
use crate::events::{ScriptEvent, ScriptMessageRoutes, route_script_events};
use crate::reload::{LiveScripts, ScriptReloaded, apply_script_changes};

/// Runs entity behaviour from `.rhai` script assets and reloads it live.
///
/// Add it after Bevy's `AssetPlugin` (part of `DefaultPlugins`). Scripts load
/// as [`RhaiScript`] assets and run on entities with a
/// [`Script`](crate::Script) component.
///
/// ## Systems
///
/// All in the [`Update`] schedule, in this order (the sets are chained):
///
/// 1. [`RhaiSystems::Reload`]: new script versions go live for every entity
///    using them (`on_reload(changes)` runs), and entities whose scripts have just
///    compiled start (`init()` runs).
/// 2. [`RhaiSystems::Events`]: [`ScriptEvent`] messages are routed to
///    scripts.
/// 3. [`RhaiSystems::Update`]: `on_update(dt)` runs for every entity whose
///    script defines it.
///
/// Typed entity events (see
/// [`RhaiAppExt::add_script_event`](crate::RhaiAppExt::add_script_event)) run
/// their handlers when the event is triggered, through observers. Commands
/// queued by scripts (spawn, despawn) apply at the end of each set, so
/// systems ordered after [`RhaiSystems::Update`] see them, and the transforms
/// scripts wrote.
#[derive(Default)]
pub struct RhaiPlugin {
    setups: Vec<crate::EngineSetup>,
    limits: ScriptLimits,
}

impl RhaiPlugin {
    /// Configures the script engine: register functions, types and modules
    /// that scripts use. Runs before any script compiles.
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
}

/// The plugin's system sets, in the [`Update`] schedule, chained in this order.
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
            .preregister_asset_loader::<RhaiScriptLoader>(&["rhai"])
            .add_message::<ScriptError>()
            .add_message::<ScriptReloaded>()
            .add_message::<ScriptEvent>()
            .init_resource::<LiveScripts>()
            .init_resource::<PendingScripts>()
            .init_resource::<LoggedErrors>()
            .init_resource::<ScriptMessageRoutes>()
            .add_observer(sync_slots)
            .add_observer(detach_slots)
            .configure_sets(
                Update,
                (
                    RhaiSystems::Reload,
                    RhaiSystems::Events,
                    RhaiSystems::Update,
                )
                    .chain(),
            )
            .add_systems(
                Update,
                (
                    apply_script_changes.in_set(RhaiSystems::Reload),
                    route_script_events.in_set(RhaiSystems::Events),
                    run_on_update.in_set(RhaiSystems::Update),
                ),
            );
        let mut setups = app.world_mut().get_resource_or_init::<EngineSetups>();
        // The plugin's own set-ups come first, then those of other plugins.
        let others = std::mem::take(&mut setups.0);
        setups.0 = self.setups.iter().cloned().chain(others).collect();
    }

    fn finish(&self, app: &mut App) {
        let setups = app
            .world_mut()
            .remove_resource::<EngineSetups>()
            .unwrap_or_default();
        let engine = build_engine(&self.limits, &setups.0);
        let live = app.world().resource::<LiveScripts>().by_path();
        app.register_asset_loader(RhaiScriptLoader {
            engine: engine.arc(),
            live,
        });
        app.insert_resource(engine);
    }
}
