//! Scripts reaching components by reflection, against the same scripts
//! using a hand-registered native getter and setter for the same field
//! (the glue the reflection API replaces), and a query over 1,000
//! entities against a native Bevy query of the same data.
//! See `benches/README.md`.

#[path = "support/mod.rs"]
mod support;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use support::BenchApp;

#[derive(Component, Reflect, Default)]
#[reflect(Component, Default)]
struct Health {
    hp: f32,
}

#[derive(Component, Reflect, Default)]
#[reflect(Component, Default)]
struct Enemy;

const REFLECTED: &str = "fn on_update() { let me = entity(); me.Health.hp -= 1.0; }\n";
const NATIVE: &str = "fn on_update() { set_hp(hp() - 1.0); }\n";

fn native_field(engine: &mut bevy_rhai_hot::rhai::Engine) {
    engine
        .register_fn("hp", || {
            with_script_entity(|entity| entity.get::<Health>().map_or(0.0, |h| h.hp as f64))
        })
        .register_fn("set_hp", |value: f64| {
            with_script_entity(|mut entity| {
                if let Some(mut health) = entity.get_mut::<Health>() {
                    health.hp = value as f32;
                }
            })
        });
}

/// An app where `count` entities run `source`; with `listed`, the script is
/// listed in `ParallelUpdate::parallel_scripts`.
fn app(source: &str, count: usize, listed: bool) -> (BenchApp, Entity) {
    let plugin = RhaiPlugin::default().with_engine(native_field);
    let mut bench = BenchApp::with(plugin, |app| {
        app.register_type::<Health>().register_type::<Enemy>();
        if listed {
            app.insert_resource(ParallelUpdate {
                parallel_scripts: vec!["health.rhai".to_owned()],
                ..default()
            });
        }
    });
    bench.write("health.rhai", source);
    let script = bench.load("health.rhai");
    let world = bench.app.world_mut();
    let entities: Vec<Entity> = (0..count)
        .map(|_| {
            world
                .spawn((Script::new(script.clone()), Health { hp: 1e6 }))
                .id()
        })
        .collect();
    bench.run_until_ready(&entities);
    // The scripts really run: the field goes down every frame.
    let hp = |bench: &BenchApp| bench.app.world().get::<Health>(entities[0]).unwrap().hp;
    let before = hp(&bench);
    bench.app.update();
    assert!(hp(&bench) < before, "on_update did not change Health");
    (bench, entities[0])
}

fn field_access(c: &mut Criterion) {
    let count = if support::measuring() { 10_000 } else { 100 };
    let mut group = c.benchmark_group("component field, read-modify-write");
    group.sample_size(20);
    group.throughput(Throughput::Elements(count as u64));
    let (mut native, _) = app(NATIVE, count, false);
    group.bench_function(
        BenchmarkId::new("native getter and setter (floor)", count),
        |b| {
            b.iter(|| native.app.update());
        },
    );
    let (mut reflected, _) = app(REFLECTED, count, false);
    group.bench_function(BenchmarkId::new("me.Health.hp -= 1.0", count), |b| {
        b.iter(|| reflected.app.update());
    });
    // Listed, it runs in the parallel phase (on a machine with more than
    // one core and past `ParallelUpdate::min_entities`).
    let (mut listed, _) = app(REFLECTED, count, true);
    group.bench_function(
        BenchmarkId::new("me.Health.hp -= 1.0, listed in parallel_scripts", count),
        |b| {
            b.iter(|| listed.app.update());
        },
    );
    group.finish();
}

const QUERY: &str = "let total = 0.0;\nfn on_update() { total = 0.0; for e in query(\"Enemy\") { total += e.Health.hp; } }\n";

fn query(c: &mut Criterion) {
    const ENEMIES: usize = 1_000;
    let mut group = c.benchmark_group("query over 1000 entities, one script");
    group.sample_size(20);
    let mut native = App::new();
    native.add_plugins(MinimalPlugins);
    native.add_systems(
        Update,
        |enemies: Query<&Health, With<Enemy>>, mut total: Local<f32>| {
            *total = enemies.iter().map(|health| health.hp).sum();
            std::hint::black_box(*total);
        },
    );
    for _ in 0..ENEMIES {
        native.world_mut().spawn((Enemy, Health { hp: 1.0 }));
    }
    native.update();
    group.bench_function("native Bevy query (floor)", |b| b.iter(|| native.update()));

    let mut bench = BenchApp::with(RhaiPlugin::default(), |app| {
        app.register_type::<Health>().register_type::<Enemy>();
    });
    for _ in 0..ENEMIES {
        bench.app.world_mut().spawn((Enemy, Health { hp: 1.0 }));
    }
    bench.write("query.rhai", QUERY);
    let script = bench.load("query.rhai");
    let entities = bench.spawn(&script, 1);
    bench.run_until_ready(&entities);
    bench.app.update();
    let total: f64 = bench
        .app
        .world()
        .get::<ScriptState>(entities[0])
        .and_then(|state| state.get_as("total"))
        .unwrap();
    assert_eq!(total, ENEMIES as f64, "the query script summed every enemy");
    group.bench_function("query(\"Enemy\") + a field each", |b| {
        b.iter(|| bench.app.update())
    });
    group.finish();
}

#[derive(Reflect, Default)]
struct Inner {
    speed: f32,
    name: String,
}

#[derive(Component, Reflect, Default)]
#[reflect(Component, Default)]
struct Sample {
    hp: f32,
    position: Vec3,
    inner: Inner,
    tags: Vec<u32>,
}

/// Reading a reflected value into Rhai: the crate's walk of the reflected
/// value against Bevy's reflect serializer into `rhai::serde::to_dynamic`.
fn conversion(c: &mut Criterion) {
    use bevy::reflect::serde::TypedReflectSerializer;
    let mut registry = bevy::reflect::TypeRegistry::default();
    registry.register::<Sample>();
    let sample = Sample {
        hp: 3.0,
        position: Vec3::ONE,
        inner: Inner {
            speed: 2.0,
            name: "orc".into(),
        },
        tags: vec![1, 2, 3],
    };
    let mut group = c.benchmark_group("reflected struct to a Rhai value");
    group.bench_function("reflect serializer + rhai::serde", |b| {
        b.iter(|| {
            bevy_rhai_hot::rhai::serde::to_dynamic(TypedReflectSerializer::new(
                sample.as_partial_reflect(),
                &registry,
            ))
            .unwrap()
        })
    });
    group.bench_function("bevy_rhai_hot walk", |b| {
        b.iter(|| bevy_rhai_hot::api::reflect_to_dynamic(sample.as_partial_reflect()))
    });
    group.finish();
}

criterion_group!(benches, field_access, query, conversion);
criterion_main!(benches);
