//! A function added by an edit is patched in and runs; a function removed by
//! a later edit is taken out and no longer runs.

mod common;

use bevy_rhai_hot::prelude::*;
use common::Harness;

const V1: &str = "let hits = 0;\nfn on_update() {}\n";
const V2: &str = "let hits = 0;\nfn on_update() {}\nfn on_hit() { hits += 1; }\n";

#[test]
fn added_functions_run_and_removed_ones_stop() {
    let mut h = Harness::new();
    h.write("scripts/a.rhai", V1);
    let entity = h.spawn("scripts/a.rhai");
    h.run_until_ready(entity);
    h.send_script_event(entity, "hit");
    assert_eq!(h.state::<i64>(entity, "hits"), Some(0));

    h.edit("scripts/a.rhai", V2);
    h.run_until_reloads(1);
    let added = &h.reloads()[0];
    assert_eq!(added.kind, ReloadKind::Patched);
    assert_eq!(added.added, ["on_hit"]);
    assert!(added.changed.is_empty() && added.removed.is_empty());
    h.send_script_event(entity, "hit");
    assert_eq!(h.state::<i64>(entity, "hits"), Some(1));

    h.edit("scripts/a.rhai", V1);
    h.run_until_reloads(2);
    let removed = &h.reloads()[1];
    assert_eq!(removed.kind, ReloadKind::Patched);
    assert_eq!(removed.removed, ["on_hit"]);
    assert!(removed.changed.is_empty() && removed.added.is_empty());
    assert!(!h.compiled("scripts/a.rhai").defines("on_hit", 0));
    h.send_script_event(entity, "hit");
    assert_eq!(h.state::<i64>(entity, "hits"), Some(1), "on_hit still ran");
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}
