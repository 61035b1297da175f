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
