//! Top-level `const`s work inside every function, helpers included (Rhai
//! alone does not do this), and a changed constant takes effect on reload.

mod common;

use bevy_rhai_hot::prelude::*;
use common::{FRAME, Harness};

const V1: &str = r#"
const SPEED = 5.0;
const NAMES = ["a", "b"];
let x = 0.0;
let names = 0;
fn step(dt) { SPEED * dt }
fn count_names() { NAMES.len() }
fn first_name() { NAMES[0] }
fn init() { names = count_names(); if first_name() != "a" { throw "wrong name"; } }
fn on_update(dt) { x += step(dt); }
"#;

#[test]
fn constants_reach_handlers_and_helpers() {
    let mut h = Harness::new();
    h.write("scripts/c.rhai", V1);
    let entity = h.spawn("scripts/c.rhai");
    h.run_until_ready(entity);
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    assert_eq!(h.state::<i64>(entity, "names"), Some(2));
    let x0: f64 = h.state(entity, "x").unwrap();
    h.update();
    let x1: f64 = h.state(entity, "x").unwrap();
    assert!(
        (x1 - x0 - 5.0 * FRAME.as_secs_f64()).abs() < 1e-9,
        "{x0} -> {x1}"
    );

    // Constants are not state: a reload takes the new value.
    h.edit("scripts/c.rhai", &V1.replace("SPEED = 5.0", "SPEED = 50.0"));
    h.run_until_reloads(1);
    let x2: f64 = h.state(entity, "x").unwrap();
    h.update();
    let x3: f64 = h.state(entity, "x").unwrap();
    assert!(
        (x3 - x2 - 50.0 * FRAME.as_secs_f64()).abs() < 1e-9,
        "{x2} -> {x3}"
    );
    let state = h.app.world().get::<ScriptState>(entity).unwrap();
    assert!(
        state.get("SPEED").is_none(),
        "constants are not part of the state"
    );
}
