//! Per-frame dispatch of `on_update(dt)` to N scripted entities, against
//! the raw-Rhai floor and a native Rust system doing the same arithmetic;
//! then how long 10,000 entities take to get ready, how much memory each
//! costs, and whether memory stays flat over 10,000 frames.
//! See `benches/README.md`.

#[path = "support/mod.rs"]
mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use bevy_rhai_hot::rhai::{CallFnOptions, Engine, Scope};
use bevy_rhai_hot::{RhaiEngine, RhaiPlugin};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use support::{
    BenchApp, Counting, FRAME, MOVER, MOVER_CONSTANTS, MOVER_TRANSFORM, RawRhai, live_bytes,
};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SIZES: [usize; 3] = [100, 1_000, 10_000];

/// The native floor's state: the same two fields.
#[derive(Component)]
struct Mover {
    x: f64,
    v: f64,
}

fn native_app(count: usize, write_transform: bool) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(FRAME));
    if write_transform {
        app.add_systems(Update, move_native_transform);
    } else {
        app.add_systems(Update, move_native);
    }
    for _ in 0..count {
        app.world_mut()
            .spawn((Mover { x: 0.0, v: 1.0 }, Transform::default()));
    }
    app.update();
    app
}

fn step(mover: &mut Mover, dt: f64) {
    mover.x += mover.v * dt;
    if mover.x > 100.0 {
        mover.x = 0.0;
    }
}

fn move_native(time: Res<Time>, mut movers: Query<&mut Mover>) {
    let dt = time.delta_secs_f64();
    for mut mover in &mut movers {
        step(&mut mover, dt);
    }
}

fn move_native_transform(time: Res<Time>, mut movers: Query<(&mut Mover, &mut Transform)>) {
    let dt = time.delta_secs_f64();
    for (mut mover, mut transform) in &mut movers {
        step(&mut mover, dt);
        transform.translation.x = mover.x as f32;
    }
}

/// The engine the plugin builds.
fn plugin_engine() -> Arc<Engine> {
    let bench = BenchApp::new();
    bench.app.world().resource::<RhaiEngine>().arc()
}

fn plugin_app(source: &str, count: usize) -> BenchApp {
    BenchApp::movers(RhaiPlugin::default(), |_| {}, source, count)
}

/// The executor Bevy's schedules run on in this build: the library leaves
/// the choice to the app, so the bench runs once as built and once with
/// `--features multi_threaded` (see `benches/README.md`).
fn executor() -> &'static str {
    if cfg!(feature = "multi_threaded") {
        "multi-threaded executor"
    } else {
        "single-threaded executor"
    }
}

/// The plugin's own cost per frame: an app with it and no scripts against
/// the same app without it (`MinimalPlugins` and the asset server).
fn empty_frame(c: &mut Criterion) {
    let mut group = c.benchmark_group(format!("empty frame, {}", executor()));
    let mut without = App::new();
    without.add_plugins((MinimalPlugins, bevy::asset::AssetPlugin::default()));
    without.finish();
    without.cleanup();
    group.bench_function("without the plugin (floor)", |b| {
        b.iter(|| without.update())
    });
    let mut with = BenchApp::new();
    group.bench_function("with RhaiPlugin", |b| b.iter(|| with.app.update()));
    group.finish();
}

fn dispatch(c: &mut Criterion) {
    let executor = executor();
    // The floor runs `floor`: the same work as `source`, written for raw
    // Rhai (literals where the script reads its constants).
    for (variant, source, floor, write_transform) in [
        ("state", MOVER, MOVER, false),
        ("state, two constants", MOVER_CONSTANTS, MOVER, false),
        ("state + Transform", MOVER_TRANSFORM, MOVER_TRANSFORM, true),
    ] {
        let mut group = c.benchmark_group(format!("dispatch, {variant}, {executor}"));
        group.sample_size(20);
        for count in SIZES {
            group.throughput(Throughput::Elements(count as u64));
            if !write_transform {
                let mut raw = RawRhai::new(floor, count);
                group.bench_function(BenchmarkId::new("raw Rhai (floor)", count), |b| {
                    b.iter(|| raw.frame());
                });
                // The same loop on an engine set up as the plugin's is (its
                // safety limits and constant resolver), without the ECS.
                let mut configured = RawRhai::with_engine(plugin_engine(), floor, count);
                group.bench_function(BenchmarkId::new("raw Rhai, plugin's engine", count), |b| {
                    b.iter(|| configured.frame());
                });
            }
            let mut native = native_app(count, write_transform);
            group.bench_function(BenchmarkId::new("native Rust", count), |b| {
                b.iter(|| native.update());
            });
            let mut plugin = plugin_app(source, count);
            group.bench_function(BenchmarkId::new("bevy_rhai_hot", count), |b| {
                b.iter(|| plugin.app.update());
            });
        }
        group.finish();
    }
}

/// Spawn to first call for 10,000 entities, against raw Rhai doing its
/// equivalent: a `Scope` per entity from the defaults, and the first call.
fn ready(c: &mut Criterion) {
    const COUNT: usize = 10_000;
    let mut group = c.benchmark_group("ready, 10000 entities");
    group.sample_size(10);
    group.bench_function("raw Rhai (floor)", |b| {
        let raw = RawRhai::new(MOVER, 0);
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let start = Instant::now();
                let mut scopes: Vec<Scope> = Vec::with_capacity(COUNT);
                for _ in 0..COUNT {
                    let mut scope = Scope::new();
                    scope.push("x", 0.0_f64).push("v", 1.0_f64);
                    let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
                    raw.engine
                        .call_fn_with_options::<()>(
                            options,
                            &mut scope,
                            &raw.ast,
                            "on_update",
                            (0.016_f64,),
                        )
                        .unwrap();
                    scopes.push(scope);
                }
                total += start.elapsed();
                black_box(scopes);
            }
            total
        });
    });
    group.bench_function("bevy_rhai_hot", |b| {
        let mut bench = BenchApp::new();
        bench.write("mover.rhai", MOVER);
        let script = bench.load("mover.rhai");
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let start = Instant::now();
                let entities = bench.spawn(&script, COUNT);
                // The script has compiled: one update starts them all and
                // runs their first `on_update`.
                bench.app.update();
                total += start.elapsed();
                assert!(
                    entities.iter().all(|&entity| bench
                        .app
                        .world()
                        .get::<bevy_rhai_hot::ScriptState>(entity)
                        .is_some_and(|state| state.is_ready())),
                    "ready within one update"
                );
                for entity in entities {
                    bench.app.world_mut().despawn(entity);
                }
                bench.app.update();
            }
            total
        });
    });
    group.finish();
}

/// Bytes per entity at 10,000 entities, beside the raw floor's `Scope`
/// (the state itself), and live bytes before and after 10,000 frames.
fn memory(_: &mut Criterion) {
    if !support::selected("memory") {
        return;
    }
    let (count, frames) = if support::measuring() {
        (10_000, 10_000)
    } else {
        (100, 100)
    };
    let before = live_bytes();
    let raw = RawRhai::new(MOVER, count);
    let state_bytes = (live_bytes() - before) as f64 / count as f64;
    drop(raw);

    let mut bench = BenchApp::new();
    bench.write("mover.rhai", MOVER);
    let script = bench.load("mover.rhai");
    bench.app.update();
    let before = live_bytes();
    let entities = bench.spawn(&script, count);
    bench.run_until_ready(&entities);
    let entity_bytes = (live_bytes() - before) as f64 / count as f64;

    for _ in 0..100 {
        bench.app.update();
    }
    let warmed = live_bytes();
    for _ in 0..frames {
        bench.app.update();
    }
    let after = live_bytes();
    if !support::measuring() {
        // Test mode: the run went through; other benches' background work
        // in this process makes the byte counts meaningless.
        println!("memory: test mode, {count} entities for {frames} frames ran");
        return;
    }
    println!(
        "memory: {entity_bytes:.0} bytes per scripted entity at {count} entities \
         (the state itself, a raw-Rhai Scope with x and v: {state_bytes:.0}; \
         beyond it: {:.0})",
        entity_bytes - state_bytes
    );
    println!(
        "memory: live bytes after 100 frames {warmed}, after {frames} more frames {after} \
         ({:+} bytes)",
        after - warmed
    );
}

criterion_group!(benches, empty_frame, dispatch, ready, memory);
criterion_main!(benches);
