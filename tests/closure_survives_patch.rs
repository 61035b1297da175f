//! A closure an entity keeps in its state still works after an edit of an
//! unrelated function, even one that moves the closure's code in the file
//! (Rhai names closures after their position).

mod common;

use bevy_rhai_hot::prelude::*;
use common::Harness;

const V1: &str = "let double = ();
let out = 0;
fn unrelated() { 1 }
fn init() { double = |x| x * 2; }
fn on_update() { out = double.call(21) + unrelated(); }
";

const V2: &str = "let double = ();
let out = 0;
fn unrelated() {
    let more = 2;
    more
}
fn init() { double = |x| x * 2; }
fn on_update() { out = double.call(21) + unrelated(); }
";

#[test]
fn a_closure_in_state_survives_an_unrelated_patch() {
    let mut h = Harness::new();
    h.write("scripts/a.rhai", V1);
    let entity = h.spawn("scripts/a.rhai");
    h.run_until_ready(entity);
    h.update();
    assert_eq!(h.state::<i64>(entity, "out"), Some(43));

    h.edit("scripts/a.rhai", V2);
    h.run_until_reloads(1);
    assert_eq!(h.reloads()[0].kind, ReloadKind::Patched);
    assert_eq!(h.reloads()[0].changed, ["unrelated"]);
    h.update();
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    assert_eq!(h.state::<i64>(entity, "out"), Some(44));
}
