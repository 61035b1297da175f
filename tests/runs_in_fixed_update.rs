//! Scripts can run in a schedule the app chooses: in `FixedUpdate`,
//! `on_update(dt)` runs once per fixed step with `dt` the fixed step, and
//! hot reload works there too.

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use common::Harness;

/// Each test frame lasts 100 ms (`common::FRAME`): two steps of 50 ms.
const STEP: f64 = 0.05;

const COUNTER: &str = r#"
let calls = 0;
let total = 0.0;
let last_dt = 0.0;
let time_dt = 0.0;
fn on_update(dt) {
    calls += 1;
    total += dt;
    last_dt = dt;
    time_dt = delta_secs();
}
"#;

/// An app running scripts in `FixedUpdate`, with one entity whose counter
/// script has run at least once.
fn counting_in_fixed_update() -> (Harness, Entity) {
    let mut h = Harness::with(RhaiPlugin::default().in_schedule(FixedUpdate), |app| {
        app.insert_resource(Time::<Fixed>::from_seconds(STEP));
    });
    h.write("scripts/counter.rhai", COUNTER);
    let entity = h.spawn("scripts/counter.rhai");
    h.run_until("the script to run", |world| {
        world
            .get::<ScriptState>(entity)
            .and_then(|state| state.get_as::<i64>("calls"))
            .is_some_and(|calls| calls > 0)
    });
    (h, entity)
}

#[test]
fn on_update_runs_once_per_fixed_step_with_the_fixed_dt() {
    let (mut h, entity) = counting_in_fixed_update();
    let before: i64 = h.state(entity, "calls").unwrap();
    h.updates(10);
    let after: i64 = h.state(entity, "calls").unwrap();
    assert_eq!(after - before, 20, "two fixed steps per 100 ms frame");
    assert_eq!(h.state::<f64>(entity, "last_dt"), Some(STEP));
    assert_eq!(h.state::<f64>(entity, "time_dt"), Some(STEP));
    let total: f64 = h.state(entity, "total").unwrap();
    assert!(
        (total - after as f64 * STEP).abs() < 1e-9,
        "total = {total}"
    );
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}

#[test]
fn hot_reload_works_in_fixed_update() {
    let (mut h, entity) = counting_in_fixed_update();
    let old: i64 = h.state(entity, "calls").unwrap();
    h.edit(
        "scripts/counter.rhai",
        &COUNTER.replace("calls += 1;", "calls += 1000000;"),
    );
    h.run_until_reloads(1);
    let before: i64 = h.state(entity, "calls").unwrap();
    // The count went on from where it was: the old steps' ones are still
    // there under the new millions (a reset would leave only millions).
    assert!(
        before > 1_000_000 && before % 1_000_000 >= old,
        "{old} then {before}"
    );
    h.update();
    let after: i64 = h.state(entity, "calls").unwrap();
    assert_eq!(
        after - before,
        2_000_000,
        "two steps of the new code per frame"
    );
}
