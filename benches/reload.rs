//! Patch against replace: the cost of making an edited version of a large
//! script runnable, after parsing, and of the first call that follows.
//!
//! The script has N small functions that use a top-level constant, so a
//! whole build folds that constant into every function; the edit changes
//! one body. `parse` (Rhai's own `Engine::compile` of the same text) is the
//! floor both paths share. See `benches/README.md`.

use std::hint::black_box;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use bevy_rhai_hot::rhai::{CallFnOptions, Engine, Scope};
use bevy_rhai_hot::{CompiledScript, ParsedScript};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};

/// A script of `functions` functions; `edit` changes the body of the middle one.
fn script(functions: usize, edit: bool) -> String {
    let mut source = String::from("const SPEED = 2.0;\nlet x = 0.0;\n");
    for index in 0..functions {
        let offset = if edit && index == functions / 2 {
            0.5
        } else {
            1.0
        };
        source += &format!(
            "fn f{index}(a, b) {{\n    let c = a * SPEED + b;\n    if c > 10.0 {{ c - {offset} }} else {{ c + {index}.0 }}\n}}\n"
        );
    }
    source
}

/// The engine the plugin builds, with its limits and native functions.
fn plugin_engine() -> RhaiEngine {
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin::default(),
        RhaiPlugin::default(),
    ));
    app.finish();
    app.world().resource::<RhaiEngine>().clone()
}

fn patch_vs_replace(c: &mut Criterion) {
    let engine = plugin_engine();
    let engine = engine.engine();
    let mut group = c.benchmark_group("reload");
    group.sample_size(20);
    for functions in [10, 100, 2_000] {
        let (old, new) = (script(functions, false), script(functions, true));
        let base = CompiledScript::compile(engine, "bench.rhai", &old, None).unwrap();
        let parse = || ParsedScript::parse(engine, "bench.rhai", &new).unwrap();

        group.bench_function(BenchmarkId::new("parse (floor)", functions), |b| {
            b.iter(|| black_box(engine.compile(&new).unwrap()));
        });
        group.bench_function(BenchmarkId::new("replace", functions), |b| {
            b.iter_batched(
                parse,
                |parsed| black_box(parsed.build(engine, None).unwrap()),
                BatchSize::SmallInput,
            );
        });
        group.bench_function(BenchmarkId::new("patch", functions), |b| {
            b.iter_batched(
                parse,
                |parsed| black_box(parsed.build(engine, Some(&base)).unwrap()),
                BatchSize::SmallInput,
            );
        });
        // The whole save: the one changed function parsed alone, then the
        // patch (against the floor's whole parse plus the patch above).
        group.bench_function(
            BenchmarkId::new("one function parsed alone, patch", functions),
            |b| {
                b.iter(|| {
                    let parsed =
                        ParsedScript::parse_against(engine, "bench.rhai", &new, Some(&base))
                            .unwrap();
                    assert!(parsed.is_function_edit());
                    black_box(parsed.build(engine, Some(&base)).unwrap())
                });
            },
        );

        // The first call of an unchanged function on a version just built,
        // against the same call on a version long in use.
        group.bench_function(BenchmarkId::new("call, steady", functions), |b| {
            b.iter(|| black_box(call_f0(engine, &base)));
        });
        for (label, base) in [
            ("first call after patch", Some(&base)),
            ("first call after replace", None),
        ] {
            group.bench_function(BenchmarkId::new(label, functions), |b| {
                b.iter_batched(
                    || parse().build(engine, base).unwrap(),
                    // Returned, so that dropping it is not timed.
                    |version| (black_box(call_f0(engine, &version)), version),
                    BatchSize::SmallInput,
                );
            });
        }
    }
    group.finish();
}

fn call_f0(engine: &Engine, version: &CompiledScript) -> f64 {
    let options = CallFnOptions::new().eval_ast(false);
    engine
        .call_fn_with_options(
            options,
            &mut Scope::new(),
            version.ast(),
            "f0",
            (1.0_f64, 2.0_f64),
        )
        .unwrap()
}

criterion_group!(benches, patch_vs_replace);
criterion_main!(benches);
