//! Saves that overlap (a version still loading when the next arrives) end
//! on the last save whatever order their loads finish in; each report
//! describes the change from the version that was really live, and a
//! closure an entity holds never dangles.
//!
//! Reads are held open by the test harness and released in a chosen order,
//! so the race is the same on every run.

mod common;

use bevy_rhai_hot::prelude::*;
use common::Harness;

const V1: &str = "let kept = 0;\nlet f = ();\nfn on_update() { kept += 1; }\n";
/// Adds `on_reload`, which stores a closure made by this version.
const V2: &str = "let kept = 0;\nlet f = ();\nfn on_update() { kept += 1; }\nfn on_reload() { f = |x| x + 100; }\n";
/// Calls the closure that V2 stored, and no longer makes a new one.
const V3: &str =
    "let kept = 0;\nlet f = ();\nfn on_update() { kept += f.call(1); }\nfn on_reload() { }\n";

/// Saves `second` and then `third` while reads are held, so that both
/// loads are in flight at once.
fn two_overlapping_saves(h: &mut Harness, path: &str, second: &str, third: &str) {
    h.holds.hold();
    h.edit(path, second);
    update_until_held(h, 1);
    h.edit(path, third);
    update_until_held(h, 2);
    // Reads from now on (the plugin's own) go through.
    h.holds.stop_holding();
}

fn update_until_held(h: &mut Harness, count: usize) {
    for _ in 0..common::MAX_UPDATES {
        if h.holds.held() >= count {
            return;
        }
        h.update();
    }
    panic!("gave up waiting for {count} held reads");
}

fn kept(h: &Harness, entity: bevy::prelude::Entity) -> i64 {
    h.state(entity, "kept").unwrap()
}

#[test]
fn loads_finishing_in_save_order_end_on_the_last_patched_from_the_live_one() {
    let mut h = Harness::new();
    h.write("scripts/overlap.rhai", V1);
    let entity = h.spawn("scripts/overlap.rhai");
    h.run_until_ready(entity);
    two_overlapping_saves(&mut h, "scripts/overlap.rhai", V2, V3);

    h.holds.release(0);
    h.run_until_reloads(1);
    h.holds.release(1);
    h.run_until_reloads(2);
    h.updates(5);

    let reloads: Vec<_> = h
        .reloads()
        .iter()
        .filter(|reload| !matches!(reload.kind, ReloadKind::Failed(_)))
        .collect();
    assert_eq!(reloads.len(), 2, "{reloads:?}");
    assert_eq!(reloads[0].kind, ReloadKind::Patched);
    assert_eq!(reloads[0].added, ["on_reload"]);
    // The third save is described against the second, which was live.
    assert_eq!(reloads[1].kind, ReloadKind::Patched, "{}", reloads[1]);
    let mut changed = reloads[1].changed.clone();
    changed.sort();
    assert_eq!(changed, ["on_reload", "on_update"], "{}", reloads[1]);
    assert!(reloads[1].added.is_empty() && reloads[1].removed.is_empty());

    // The closure the second version stored still runs under the third.
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    let before = kept(&h, entity);
    h.update();
    assert_eq!(kept(&h, entity) - before, 101);
}

#[test]
fn loads_finishing_out_of_order_still_end_on_the_last_save() {
    let mut h = Harness::new();
    let script = |value: i64| format!("let seen = 1;\nfn on_update() {{ seen = {value}; }}\n");
    h.write("scripts/order.rhai", &script(1));
    let entity = h.spawn("scripts/order.rhai");
    h.run_until_ready(entity);
    two_overlapping_saves(&mut h, "scripts/order.rhai", &script(2), &script(3));

    // The last save finishes first, then the older one.
    h.holds.release(1);
    h.run_until_reloads(1);
    assert_eq!(h.state::<i64>(entity, "seen"), Some(3));
    h.holds.release(0);
    h.updates(20);

    assert_eq!(h.state::<i64>(entity, "seen"), Some(3), "the last save won");
    let live: Vec<_> = h
        .reloads()
        .iter()
        .filter(|reload| !matches!(reload.kind, ReloadKind::Failed(_)))
        .collect();
    assert_eq!(live.len(), 1, "the older save never went live: {live:?}");
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}
