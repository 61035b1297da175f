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

#[derive(Component)]
struct Frozen;

/// The narrow doors: the running entity's components, and commands.
fn expose_through_entity_and_commands(engine: &mut bevy_rhai_hot::rhai::Engine) {
    engine
        .register_fn("hp", || {
            with_script_entity(|entity| entity.get::<Health>().map_or(0.0, |h| h.0))
        })
        .register_fn("set_hp", |value: f64| {
            with_script_entity(|mut entity| {
                if let Some(mut health) = entity.get_mut::<Health>() {
                    health.0 = value;
                }
            })
        })
        .register_fn("freeze", || {
            with_script_commands(|commands, entity| {
                commands.entity(entity).insert(Frozen);
            })
        });
}

#[test]
fn scripts_reach_their_entity_and_commands_through_the_narrow_doors() {
    let plugin = RhaiPlugin::default().with_engine(expose_through_entity_and_commands);
    let mut h = Harness::with(plugin, |_| {});
    h.write(
        "scripts/freeze.rhai",
        "fn on_update(dt) { set_hp(hp() - 5.0); if hp() <= 40.0 { freeze(); } }\n",
    );
    let script = h.load("scripts/freeze.rhai");
    let entity = h
        .app
        .world_mut()
        .spawn((Script::new(script), Health(50.0)))
        .id();
    // The frame the script starts in runs on_update once too.
    h.run_until_ready(entity);
    assert_eq!(h.app.world().get::<Health>(entity).unwrap().0, 45.0);
    assert!(h.app.world().get::<Frozen>(entity).is_none());
    h.update();
    // The second frame reached 40 and froze it; the command applied
    // within that frame.
    assert_eq!(h.app.world().get::<Health>(entity).unwrap().0, 40.0);
    assert!(h.app.world().get::<Frozen>(entity).is_some());
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}
