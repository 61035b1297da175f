//! Many entities on one script cost one compile, and each keeps its own state.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use common::Harness;

static COMPILES: AtomicUsize = AtomicUsize::new(0);

#[test]
fn a_thousand_entities_share_one_compile_and_keep_separate_state() {
    let plugin = RhaiPlugin::default().with_engine(|engine| {
        engine.register_fn("count_compile", || {
            COMPILES.fetch_add(1, Ordering::SeqCst);
        });
    });
    let mut h = Harness::with(plugin, |_| {});
    // Top-level code runs once per compiled version, so it counts compiles.
    h.write(
        "scripts/shared.rhai",
        "count_compile();\nlet n = 0;\nfn on_update() { n += 1; }",
    );
    let entities: Vec<Entity> = (0..1_000).map(|_| h.spawn("scripts/shared.rhai")).collect();
    h.run_until("all 1,000 entities to start", |world| {
        entities.iter().all(|&e| {
            world
                .get::<ScriptState>(e)
                .is_some_and(ScriptState::is_ready)
        })
    });
    assert_eq!(COMPILES.load(Ordering::SeqCst), 1);

    // Each entity has a state of its own: changing one leaves the others alone.
    let first = entities[0];
    let before: i64 = h.state(entities[1], "n").unwrap();
    assert!(
        h.app
            .world_mut()
            .get_mut::<ScriptState>(first)
            .unwrap()
            .set("n", 1000_i64.into())
    );
    h.update();
    assert_eq!(h.state::<i64>(first, "n"), Some(1001));
    assert_eq!(h.state::<i64>(entities[1], "n"), Some(before + 1));
    assert_eq!(COMPILES.load(Ordering::SeqCst), 1);
}

static SLOW_COMPILES: AtomicUsize = AtomicUsize::new(0);

/// A save the watcher reports twice while its first load still builds, and
/// the read after overlapping loads (which finds the live text): one build.
/// A big script's build takes seconds of a core the game needs.
#[test]
fn overlapping_loads_of_one_save_build_it_once() {
    let plugin = RhaiPlugin::default().with_engine(|engine| {
        engine.register_fn("count_slow_compile", || {
            SLOW_COMPILES.fetch_add(1, Ordering::SeqCst);
            // Top-level code runs on the build's own thread: the second
            // load starts while the first is still building.
            std::thread::sleep(std::time::Duration::from_millis(400));
        });
    });
    let mut h = Harness::with(plugin, |_| {});
    let script =
        |step: i64| format!("count_slow_compile();\nlet n = 0;\nfn on_update() {{ n += {step}; }}");
    h.write("scripts/slow.rhai", &script(1));
    let entity = h.spawn("scripts/slow.rhai");
    h.run_until_ready(entity);
    assert_eq!(SLOW_COMPILES.load(Ordering::SeqCst), 1);

    h.write("scripts/slow.rhai", &script(1_000_000));
    h.notify_modified("scripts/slow.rhai");
    h.update();
    h.notify_modified("scripts/slow.rhai");
    let before: i64 = h.state(entity, "n").unwrap();
    h.run_until("the save to go live", |world| {
        world
            .get::<ScriptState>(entity)
            .and_then(|state| state.get_as::<i64>("n"))
            .is_some_and(|n| n >= 1_000_000)
    });
    // Long enough for both loads, and a read after them, to finish.
    for _ in 0..40 {
        h.update();
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    let n: i64 = h.state(entity, "n").unwrap();
    assert!(n > before + 1_000_000, "state reset: {before} then {n}");
    assert_eq!(
        SLOW_COMPILES.load(Ordering::SeqCst),
        2,
        "one build for the first version, one for the save"
    );
}
