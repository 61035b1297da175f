//! An entity with several scripts runs them in the order the `Script`
//! component lists them, each with its own state.

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use common::{Harness, Recorded};
use serde::Deserialize;

#[derive(Message, Deserialize, Clone, Debug)]
struct Ran {
    script: String,
}

fn script(name: &str) -> String {
    format!("let n = 0;\nfn on_update() {{ n += 1; send(\"ran\", #{{ script: \"{name}\" }}); }}\n")
}

/// The scripts that sent `ran`, in the order they ran.
fn ran_order(h: &Harness) -> Vec<String> {
    h.recorded::<Ran>()
        .iter()
        .map(|ran| ran.script.clone())
        .collect()
}

/// Each script's own `n`, in run order.
fn counts_of(state: &ScriptState) -> Vec<i64> {
    state
        .scripts()
        .map(|(_, vars)| vars.get_value::<i64>("n").unwrap())
        .collect()
}

#[test]
fn scripts_run_in_listed_order_with_separate_state() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.add_message_from_script::<Ran>("ran");
    });
    h.record::<Ran>();
    h.write("scripts/first.rhai", &script("first"));
    h.write("scripts/second.rhai", &script("second"));
    let first = h.load("scripts/first.rhai");
    let second = h.load("scripts/second.rhai");
    let entity = h
        .app
        .world_mut()
        .spawn(Script::new(second).with(first))
        .id();
    h.run_until_ready(entity);
    h.app.world_mut().resource_mut::<Recorded<Ran>>().0.clear();
    h.updates(2);

    let order = ran_order(&h);
    assert_eq!(order, ["second", "first", "second", "first"]);

    let state = h.app.world().get::<ScriptState>(entity).unwrap();
    let paths: Vec<&str> = state.scripts().map(|(path, _)| path).collect();
    assert_eq!(paths, ["scripts/second.rhai", "scripts/first.rhai"]);
    let counts = counts_of(state);
    assert_eq!(counts[0], counts[1], "both started in the same frame");

    // Each script has its own `n`: `set` changes the first listed only.
    let mut state = h.app.world_mut().get_mut::<ScriptState>(entity).unwrap();
    assert!(state.set("n", 1000_i64.into()));
    h.update();
    let state = h.app.world().get::<ScriptState>(entity).unwrap();
    let counts = counts_of(state);
    assert_eq!(counts, [1001, counts[1]]);
    assert!(counts[1] < 1000);
}

#[test]
fn an_entity_starts_when_all_its_scripts_compiled() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.add_message_from_script::<Ran>("ran");
    });
    h.record::<Ran>();
    h.write("scripts/ok.rhai", &script("ok"));
    h.write("scripts/late.rhai", "fn on_update() {");
    let ok = h.load("scripts/ok.rhai");
    let late = h.load("scripts/late.rhai");
    let entity = h.app.world_mut().spawn(Script::new(ok).with(late)).id();
    h.run_until_errors(1);
    h.updates(5);
    assert!(
        h.app.world().resource::<Recorded<Ran>>().0.is_empty(),
        "no script of the entity runs while one has not compiled"
    );

    h.edit("scripts/late.rhai", &script("late"));
    h.run_until_ready(entity);
    h.app.world_mut().resource_mut::<Recorded<Ran>>().0.clear();
    h.update();
    let order = ran_order(&h);
    assert_eq!(order, ["ok", "late"]);
}
