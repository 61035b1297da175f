//! `on_update` in the parallel phase against the single-thread raw-Rhai
//! floor, raw Rhai cut over the same threads by hand, and the plugin's own
//! sequential phase, at 100 to 10,000 entities.
//!
//! The compute task pool is one per process: run the bench once per thread
//! count, `PARALLEL_THREADS=1 cargo bench --bench parallel` and
//! `PARALLEL_THREADS=2 ...` (by default, one thread per core). The thread
//! that runs the schedule works through the batches too. Bevy's task pools
//! are multi-threaded in every build of this crate (its asset server turns
//! them on); the `multi_threaded` feature changes only the schedule
//! executor. See `benches/README.md`.

#[path = "support/mod.rs"]
mod support;

use std::time::Instant;

use bevy::prelude::*;
use bevy::tasks::{ComputeTaskPool, TaskPoolBuilder};
use bevy_rhai_hot::{ParallelUpdate, RhaiPlugin};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use support::{BenchApp, MOVER, MOVER_TRANSFORM, RawRhai};

const SIZES: [usize; 4] = [100, 300, 1_000, 10_000];

fn threads() -> usize {
    let threads = std::env::var("PARALLEL_THREADS")
        .ok()
        .and_then(|threads| threads.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    // Before any app: Bevy's TaskPoolPlugin keeps a pool that exists.
    ComputeTaskPool::get_or_init(|| TaskPoolBuilder::new().num_threads(threads).build())
        .thread_num()
}

fn plugin_app(source: &str, count: usize, parallel: ParallelUpdate) -> BenchApp {
    let configure = |app: &mut App| {
        app.insert_resource(parallel);
    };
    BenchApp::movers(RhaiPlugin::default(), configure, source, count)
}

fn parallel(c: &mut Criterion) {
    let threads = threads();
    for (variant, source) in [("state", MOVER), ("state + Transform", MOVER_TRANSFORM)] {
        let mut group = c.benchmark_group(format!(
            "parallel on_update, {variant}, {threads} thread(s)"
        ));
        group.sample_size(20);
        for count in SIZES {
            group.throughput(Throughput::Elements(count as u64));
            if variant == "state" {
                let mut raw = RawRhai::new(MOVER, count);
                group.bench_function(
                    BenchmarkId::new("raw Rhai, one thread (floor)", count),
                    |b| {
                        b.iter(|| raw.frame());
                    },
                );
                // The same calls cut over the threads by hand: what Rhai
                // itself allows.
                let mut raw = RawRhai::new(MOVER, count);
                group.bench_function(BenchmarkId::new("raw Rhai, all threads", count), |b| {
                    b.iter(|| raw.frame_on(threads));
                });
            }
            let sequential = ParallelUpdate {
                enabled: false,
                ..default()
            };
            let mut plugin = plugin_app(source, count, sequential);
            group.bench_function(BenchmarkId::new("bevy_rhai_hot, sequential", count), |b| {
                b.iter(|| plugin.app.update());
            });
            // Every size in the parallel phase, whatever the default
            // threshold: the numbers that choose it.
            let forced = ParallelUpdate {
                min_entities: 0,
                batches: Some(threads * 4),
                ..default()
            };
            let mut plugin = plugin_app(source, count, forced);
            group.bench_function(BenchmarkId::new("bevy_rhai_hot, parallel", count), |b| {
                b.iter(|| plugin.app.update());
            });
            let mut plugin = plugin_app(source, count, ParallelUpdate::default());
            group.bench_function(BenchmarkId::new("bevy_rhai_hot, default", count), |b| {
                b.iter(|| plugin.app.update());
            });
        }
        group.finish();
    }
}

/// What the phase costs besides the calls: an empty phase (scripts
/// without `on_update` work) cut into batches, per frame.
fn overhead(c: &mut Criterion) {
    let threads = threads();
    let mut group = c.benchmark_group(format!("parallel phase overhead, {threads} thread(s)"));
    for batches in [1, threads * 4, 64] {
        let settings = ParallelUpdate {
            min_entities: 0,
            batches: Some(batches),
            ..default()
        };
        let mut plugin = plugin_app(
            "let x = 0.0;\nfn on_update(dt) { x += dt; }\n",
            64,
            settings,
        );
        group.bench_function(BenchmarkId::new("64 trivial entities", batches), |b| {
            b.iter(|| plugin.app.update());
        });
    }
    group.finish();
    // A one-line summary for the README: how long one frame of the
    // 10,000-entity workload takes, parallel against sequential.
    if support::measuring() {
        let mut sequential = plugin_app(
            MOVER,
            10_000,
            ParallelUpdate {
                enabled: false,
                ..default()
            },
        );
        let mut parallel = plugin_app(
            MOVER,
            10_000,
            ParallelUpdate {
                min_entities: 0,
                batches: Some(threads * 4),
                ..default()
            },
        );
        let time = |app: &mut App| {
            let start = Instant::now();
            for _ in 0..50 {
                app.update();
            }
            start.elapsed() / 50
        };
        let (sequential, parallel) = (time(&mut sequential.app), time(&mut parallel.app));
        println!(
            "10,000 entities on {threads} thread(s): sequential {sequential:?}, parallel {parallel:?} \
             per frame ({:.2}x)",
            sequential.as_secs_f64() / parallel.as_secs_f64()
        );
    }
}

criterion_group!(benches, parallel, overhead);
criterion_main!(benches);
