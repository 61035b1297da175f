//! How an app exposes its own component to scripts: register functions on
//! the engine that reach the entity through `with_script_world`.

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use common::Harness;

#[derive(Component)]
struct Health(f64);

fn expose_health(engine: &mut bevy_rhai_hot::rhai::Engine) {
    engine
        .register_fn("health", || {
            with_script_world(|world, entity| world.get::<Health>(entity).map_or(0.0, |h| h.0))
        })
        .register_fn("set_health", |value: f64| {
            with_script_world(|world, entity| {
                if let Some(mut health) = world.get_mut::<Health>(entity) {
                    health.0 = value;
                }
            })
        });
}

#[test]
fn scripts_read_and_write_an_app_component() {
    let mut h = Harness::with(RhaiPlugin::default().with_engine(expose_health), |_| {});
    h.write(
        "scripts/regen.rhai",
        "fn on_update(dt) { set_health(min(health() + 10.0 * dt, 100.0)); }\n",
    );
    let script = h.load("scripts/regen.rhai");
    let entity = h
        .app
        .world_mut()
        .spawn((Script::new(script), Health(50.0)))
        .id();
    h.run_until_ready(entity);
    h.updates(9);
    let health = h.app.world().get::<Health>(entity).unwrap().0;
    // Ten frames of 0.1 s at 10 per second.
    assert!((health - 60.0).abs() < 1e-9, "health = {health}");
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}

#[test]
fn other_plugins_can_configure_the_engine_too() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.configure_rhai_engine(|engine| {
            engine.register_fn("answer", || 42_i64);
        });
    });
    h.write(
        "scripts/ask.rhai",
        "let a = 0;\nfn init() { a = answer(); }\n",
    );
    let entity = h.spawn("scripts/ask.rhai");
    h.run_until_ready(entity);
    assert_eq!(h.state::<i64>(entity, "a"), Some(42));
}
