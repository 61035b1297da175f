//! Changing top-level code (here a constant) replaces the whole script: the
//! new value is used everywhere and the entity's state is kept.

mod common;

use bevy_rhai_hot::prelude::*;
use common::Harness;

const V1: &str =
    "const STEP = 1;\nlet x = 0;\nfn step() { STEP }\nfn on_update() { x += step(); }\n";

#[test]
fn a_changed_constant_replaces_the_script() {
    let mut h = Harness::new();
    h.write("scripts/a.rhai", V1);
    let entity = h.spawn("scripts/a.rhai");
    h.run_until_ready(entity);
    h.updates(2);
    let before = h.compiled("scripts/a.rhai");

    h.edit("scripts/a.rhai", &V1.replace("STEP = 1", "STEP = 1000"));
    h.run_until_reloads(1);
    let reload = &h.reloads()[0];
    assert_eq!(reload.kind, ReloadKind::Replaced);
    assert!(reload.changed.is_empty() && reload.added.is_empty() && reload.removed.is_empty());
    assert!(
        reload
            .to_string()
            .ends_with("replaced (top-level code changed)"),
        "{reload}"
    );
    assert!(
        !h.compiled("scripts/a.rhai")
            .is_patch_of(before.content_hash())
    );

    let x: i64 = h.state(entity, "x").unwrap();
    assert!(x >= 2, "state kept: {x}");
    h.update();
    assert_eq!(h.state::<i64>(entity, "x"), Some(x + 1000));
}
