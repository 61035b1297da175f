//! Loading a script through the asset server (read, parse, run top-level
//! code, outline and index its functions) against Rhai's own
//! `Engine::compile` of the same text, for 1,000- and 10,000-line scripts;
//! and the plugin's compile alone, to tell it from the asset pipeline.
//! See `benches/README.md`.

#[path = "support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy_rhai_hot::CompiledScript;
use bevy_rhai_hot::prelude::*;
use bevy_rhai_hot::rhai::Engine;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use support::BenchApp;

/// A script of about `lines` lines: state, a constant and 4-line functions.
fn script(lines: usize) -> String {
    let mut source = String::from("const LIMIT = 100.0;\nlet x = 0.0;\nlet v = 1.0;\n");
    for index in 0..lines / 4 {
        source += &format!(
            "fn step{index}(x, v, dt) {{\n    let next = x + v * dt;\n    if next > LIMIT {{ 0.0 }} else {{ next + {index}.0 }}\n}}\n"
        );
    }
    source
}

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    for lines in [1_000, 10_000] {
        let source = script(lines);
        let engine = Engine::new();
        group.bench_function(BenchmarkId::new("Engine::compile (floor)", lines), |b| {
            b.iter(|| black_box(engine.compile(&source).unwrap()));
        });
        let mut bench = BenchApp::new();
        // The plugin's own compile, on its engine, without the asset server.
        let plugin_engine = bench.app.world().resource::<RhaiEngine>().arc();
        group.bench_function(BenchmarkId::new("CompiledScript::compile", lines), |b| {
            b.iter(|| {
                black_box(
                    CompiledScript::compile(&plugin_engine, "big.rhai", &source, None).unwrap(),
                )
            });
        });
        let mut next = 0;
        group.bench_function(BenchmarkId::new("asset server", lines), |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    // A new path each time: a first load, not a reload.
                    next += 1;
                    let path = format!("script{next}.rhai");
                    bench.write(&path, &source);
                    let start = Instant::now();
                    let handle = bench.load(&path);
                    total += start.elapsed();
                    let scripts = bench.app.world().resource::<Assets<RhaiScript>>();
                    assert!(scripts.get(&handle).unwrap().compiled().is_some());
                }
                total
            });
        });
    }
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
