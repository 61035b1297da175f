//! Changing a function's number of parameters removes the old function and
//! adds the new one: handlers then get the argument they now ask for.

mod common;

use bevy_rhai_hot::prelude::*;
use common::Harness;

const V1: &str = "let hits = 0;\nfn on_hit() { hits += 1; }\n";
const V2: &str = "let hits = 0;\nfn on_hit(power) { hits += power; }\n";

#[test]
fn the_new_arity_replaces_the_old() {
    let mut h = Harness::new();
    h.write("scripts/a.rhai", V1);
    let entity = h.spawn("scripts/a.rhai");
    h.run_until_ready(entity);
    let hit = |h: &mut Harness| {
        h.app
            .world_mut()
            .write_message(ScriptEvent::to(entity, "hit").with_payload(10_i64));
        h.update();
    };
    hit(&mut h);
    assert_eq!(h.state::<i64>(entity, "hits"), Some(1));

    h.edit("scripts/a.rhai", V2);
    h.run_until_reloads(1);
    let reload = &h.reloads()[0];
    assert_eq!(reload.kind, ReloadKind::Patched);
    assert_eq!(reload.removed, ["on_hit/0"]);
    assert_eq!(reload.added, ["on_hit/1"]);
    assert!(reload.changed.is_empty());
    let compiled = h.compiled("scripts/a.rhai");
    assert!(!compiled.defines("on_hit", 0), "the old arity is gone");
    assert!(compiled.defines("on_hit", 1));

    hit(&mut h);
    assert_eq!(h.state::<i64>(entity, "hits"), Some(11));
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}
