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
