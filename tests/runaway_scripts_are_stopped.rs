//! Default limits stop runaway scripts: an endless loop or endless recursion
//! ends that call with an error, and the frame and the other entities go on.

mod common;

use bevy_rhai_hot::prelude::*;
use common::Harness;

#[test]
fn endless_loop_is_stopped_by_the_operation_limit() {
    let mut h = Harness::new();
    h.write(
        "scripts/loop.rhai",
        "let entered = 0;\nfn on_update() {\n    entered += 1;\n    loop { let spin = 1; }\n}\n",
    );
    h.write(
        "scripts/fine.rhai",
        "let n = 0;\nfn on_update() { n += 1; }\n",
    );
    let looping = h.spawn("scripts/loop.rhai");
    let fine = h.spawn("scripts/fine.rhai");
    h.run_until_ready(looping);
    h.run_until_ready(fine);
    let before: i64 = h.state(fine, "n").unwrap();
    h.update();

    assert_eq!(
        h.state::<i64>(fine, "n"),
        Some(before + 1),
        "the frame went on"
    );
    let error = h
        .errors()
        .iter()
        .find(|e| matches!(e, ScriptError::Runtime { entity, .. } if *entity == looping))
        .expect("the loop was stopped with an error");
    assert!(error.message().contains("operation limit"), "{error}");
    // Rhai gives this error no position: it points at the running handler.
    assert_eq!(error.location().line, Some(2), "{error}");
    assert!(
        h.state::<i64>(looping, "entered").unwrap() >= 1,
        "state kept"
    );
}

#[test]
fn endless_recursion_is_stopped_by_the_call_depth_limit() {
    let mut h = Harness::new();
    h.write(
        "scripts/recurse.rhai",
        "fn down(n) { down(n + 1) }\nfn init() { down(0); }\n",
    );
    let entity = h.spawn("scripts/recurse.rhai");
    h.run_until_ready(entity);
    let error = &h.errors()[0];
    assert!(error.message().contains("call depth"), "{error}");
}

#[test]
fn recursion_within_the_limit_works() {
    let mut h = Harness::new();
    h.write(
        "scripts/fib.rhai",
        "let result = 0;\nfn depth(n) { if n == 0 { 0 } else { 1 + depth(n - 1) } }\nfn init() { result = depth(40); }\n",
    );
    let entity = h.spawn("scripts/fib.rhai");
    h.run_until_ready(entity);
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    assert_eq!(h.state::<i64>(entity, "result"), Some(40));
}

#[test]
fn limits_are_configurable() {
    let limits = ScriptLimits {
        max_operations: 50,
        ..Default::default()
    };
    let mut h = Harness::with(RhaiPlugin::default().with_limits(limits), |_| {});
    h.write(
        "scripts/busy.rhai",
        "fn init() { let s = 0; for i in 0..100 { s += i; } }\n",
    );
    let entity = h.spawn("scripts/busy.rhai");
    h.run_until_ready(entity);
    assert!(
        h.errors()[0].message().contains("operation limit"),
        "{:?}",
        h.errors()
    );
}

/// The sum of state variable `name` over `entities`.
fn total(h: &Harness, entities: &[bevy::prelude::Entity], name: &str) -> i64 {
    entities
        .iter()
        .map(|entity| h.state::<i64>(*entity, name).unwrap())
        .sum()
}

#[test]
fn a_handler_that_hits_a_limit_is_suspended_for_its_script_until_saved() {
    let limits = ScriptLimits {
        max_operations: 10_000,
        ..Default::default()
    };
    let mut h = Harness::with(RhaiPlugin::default().with_limits(limits), |_| {});
    h.write(
        "scripts/spin.rhai",
        "let entered = 0;\nfn on_update() {\n    entered += 1;\n    loop { let spin = 1; }\n}\n",
    );
    h.write(
        "scripts/fine.rhai",
        "let n = 0;\nfn on_update() { n += 1; }\n",
    );
    let spinners: Vec<_> = (0..10).map(|_| h.spawn("scripts/spin.rhai")).collect();
    let fine = h.spawn("scripts/fine.rhai");
    for entity in spinners.iter().chain([&fine]) {
        h.run_until_ready(*entity);
    }
    let n = h.state::<i64>(fine, "n").unwrap();
    h.updates(5);

    assert_eq!(
        total(&h, &spinners, "entered"),
        1,
        "after the first call hit the limit, no entity ran the handler again"
    );
    assert_eq!(
        h.state::<i64>(fine, "n"),
        Some(n + 5),
        "the rest of the game ran"
    );
    assert_eq!(h.errors().len(), 1, "one error: {:?}", h.errors());
    let error = h.errors()[0].to_string();
    assert!(
        error.contains("operation limit")
            && error.contains("ScriptLimits::max_operations")
            && error.contains("on_update is suspended for this version of the script"),
        "{error}"
    );

    // A save is a new version: every entity runs the handler again, with
    // the state it had.
    h.edit(
        "scripts/spin.rhai",
        "let entered = 0;\nfn on_update() {\n    entered += 1;\n}\n",
    );
    h.run_until("every spinner runs again", |world| {
        let mut states = world.query::<&ScriptState>();
        states
            .iter(world)
            .filter_map(|state| state.get_as::<i64>("entered"))
            .all(|entered| entered >= 2)
    });
}

#[test]
fn a_suspended_handler_resumes_on_request() {
    let limits = ScriptLimits {
        max_operations: 10_000,
        ..Default::default()
    };
    let mut h = Harness::with(RhaiPlugin::default().with_limits(limits), |_| {});
    // Spins only on its first call.
    h.write(
        "scripts/once.rhai",
        "let calls = 0;\nfn on_update() {\n    calls += 1;\n    if calls == 1 { loop { } }\n}\n",
    );
    let entity = h.spawn("scripts/once.rhai");
    h.run_until_ready(entity);
    h.updates(3);
    assert_eq!(h.state::<i64>(entity, "calls"), Some(1));
    let handle = h.app.world().get::<Script>(entity).unwrap().handles()[0].clone();
    let scripts = h
        .app
        .world()
        .resource::<bevy::prelude::Assets<RhaiScript>>();
    let compiled = scripts.get(&handle).unwrap().compiled().unwrap().clone();
    assert_eq!(compiled.suspended_handlers(), ["on_update"]);

    compiled.resume_handlers();
    h.updates(2);
    assert_eq!(h.state::<i64>(entity, "calls"), Some(3));
    assert!(compiled.suspended_handlers().is_empty());
}
