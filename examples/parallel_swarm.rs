//! Parallel `on_update`: thousands of scripted entities on every core.
//!
//! 10,000 entities run `assets/scripts/swarm/boid.rhai`, whose code needs
//! nothing but its own state and `Transform`, so its `on_update` runs on
//! every thread of Bevy's compute task pool; 1,000 entities run
//! `battery.rhai`, which writes its own entity's `Battery` component
//! through reflection and runs in parallel because the app lists it in
//! `ParallelUpdate::parallel_scripts`; one entity runs `counter.rhai`,
//! which calls a function the app registered and so runs in the
//! sequential phase. Once a second the example prints where each
//! script runs (`CompiledScript::update_phase`), the frame time with the
//! parallel phase and, for a second, without it (`ParallelUpdate::enabled`).
//!
//! ```sh
//! cargo run --release --example parallel_swarm
//! ```
//!
//! Edit `boid.rhai` while it runs (set `RADIUS` to `20.0`): every boid
//! follows at once, keeping its angle. Set `SWARM_EXIT_AFTER=<seconds>` to
//! stop it by itself.

use std::time::{Duration, Instant};

use bevy::app::ScheduleRunnerPlugin;
use bevy::diagnostic::FrameCount;
use bevy::log::LogPlugin;
use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use bevy_rhai_hot::{RhaiScript, UpdatePhase};

const BOIDS: i64 = 10_000;
const BATTERIES: usize = 1_000;

/// Charged by `battery.rhai`, through reflection.
#[derive(Component, Reflect, Default)]
#[reflect(Component, Default)]
struct Battery {
    charge: f32,
    rate: f32,
}

fn main() {
    let mut app = App::new();
    app.add_plugins((
        FastScriptReload::default(),
        MinimalPlugins.set(ScheduleRunnerPlugin::run_loop(Duration::ZERO)),
        LogPlugin::default(),
        AssetPlugin::default(),
        RhaiPlugin::default().with_engine(|engine| {
            engine.register_fn("frame_count", || {
                with_script_world(|world, _| i64::from(world.resource::<FrameCount>().0))
            });
        }),
    ))
    .register_type::<Battery>()
    .insert_resource(ParallelUpdate {
        parallel_scripts: vec!["scripts/swarm/battery.rhai".to_owned()],
        ..default()
    })
    .add_systems(Startup, spawn_swarm)
    .add_systems(Update, report);
    if let Some(seconds) = std::env::var("SWARM_EXIT_AFTER")
        .ok()
        .and_then(|value| value.parse::<f64>().ok())
    {
        app.insert_resource(ExitAfter(Duration::from_secs_f64(seconds)));
    }
    app.run();
}

#[derive(Resource)]
struct ExitAfter(Duration);

#[derive(Resource)]
struct Scripts {
    boid: Handle<RhaiScript>,
    battery: Handle<RhaiScript>,
    counter: Handle<RhaiScript>,
}

fn spawn_swarm(mut commands: Commands, assets: Res<AssetServer>) {
    let boid = assets.load("scripts/swarm/boid.rhai");
    let battery = assets.load("scripts/swarm/battery.rhai");
    let counter = assets.load("scripts/swarm/counter.rhai");
    for seed in 0..BOIDS {
        commands.spawn((
            Script::new(boid.clone()).with_prop("seed", seed),
            Transform::default(),
        ));
    }
    for index in 0..BATTERIES {
        commands.spawn((
            Script::new(battery.clone()),
            Battery {
                charge: 0.0,
                rate: 1.0 + (index % 7) as f32,
            },
        ));
    }
    commands.spawn(Script::new(counter.clone()));
    commands.insert_resource(Scripts {
        boid,
        battery,
        counter,
    });
}

/// Once a second: where each script runs and the frame time; every other
/// second with the parallel phase turned off, to compare.
fn report(
    mut last: Local<Option<(Instant, u32)>>,
    mut seconds: Local<u32>,
    mut started: Local<Option<Instant>>,
    frames: Res<FrameCount>,
    scripts: Res<Scripts>,
    compiled: Res<Assets<RhaiScript>>,
    mut parallel: ResMut<ParallelUpdate>,
    exit_after: Option<Res<ExitAfter>>,
    mut exit: MessageWriter<AppExit>,
) {
    let now = Instant::now();
    let started = *started.get_or_insert(now);
    let (since, frame) = *last.get_or_insert((now, frames.0));
    if now - since < Duration::from_secs(1) {
        return;
    }
    let per_frame = (now - since) / (frames.0 - frame).max(1);
    let phase = |handle: &Handle<RhaiScript>| match compiled
        .get(handle)
        .and_then(|script| script.compiled())
        .and_then(|compiled| compiled.update_phase().cloned())
    {
        Some(UpdatePhase::Parallel) => "parallel".to_owned(),
        Some(UpdatePhase::Sequential(why)) => format!("sequential: it {why}"),
        Some(UpdatePhase::ParallelIfListed(why)) => {
            format!("parallel when listed in ParallelUpdate::parallel_scripts (it is): it {why}")
        }
        Some(_) | None => "not started yet".to_owned(),
    };
    info!(
        "{:.1} ms a frame with the parallel phase {}; boid.rhai: {}; battery.rhai: {}; \
         counter.rhai: {}",
        per_frame.as_secs_f64() * 1000.0,
        if parallel.enabled { "on" } else { "off" },
        phase(&scripts.boid),
        phase(&scripts.battery),
        phase(&scripts.counter),
    );
    *seconds += 1;
    parallel.enabled = seconds.is_multiple_of(2);
    *last = Some((now, frames.0));
    if exit_after.is_some_and(|after| now - started > after.0) {
        exit.write(AppExit::Success);
    }
}
