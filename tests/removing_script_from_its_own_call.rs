//! A native function that removes the running entity's `Script` stops its
//! scripts: `on_detach()` runs and nothing more is called.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bevy_rhai_hot::prelude::*;
use bevy_rhai_hot::with_script_world;
use common::Harness;

#[test]
fn removing_the_script_during_its_own_call_detaches_it() {
    let detached = Arc::new(AtomicUsize::new(0));
    let counter = detached.clone();
    let plugin = RhaiPlugin::default().with_engine(move |engine| {
        engine.register_fn("unscript", || {
            with_script_world(|world, entity| {
                world.entity_mut(entity).remove::<Script>();
            })
        });
        let counter = counter.clone();
        engine.register_fn("detached", move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
    });
    let mut h = Harness::with(plugin, |_| {});
    h.write(
        "scripts/leaver.rhai",
        "let calls = 0;\nfn on_update() { calls += 1; if calls == 2 { unscript(); } }\nfn on_detach() { detached(); }\n",
    );
    let entity = h.spawn("scripts/leaver.rhai");
    h.run_until_ready(entity);
    h.updates(5);
    assert_eq!(detached.load(Ordering::SeqCst), 1, "on_detach ran once");
    let calls =
        (h.app.world().get::<ScriptState>(entity)).and_then(|state| state.get_as::<i64>("calls"));
    assert!(
        calls.is_none_or(|calls| calls == 2),
        "no call after the removal: {calls:?}"
    );
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}
