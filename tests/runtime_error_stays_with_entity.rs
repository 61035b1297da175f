//! A runtime error in one entity's handler is reported with entity, script,
//! function, line and column; that entity keeps its state and the others,
//! and the app, go on.

mod common;

use bevy_rhai_hot::prelude::*;
use common::Harness;

const SCRIPT: &str = r#"let n = 0;
let broken = false;

fn on_update() {
    n += 1;
    if broken {
        let x = 1 + undefined_variable;
    }
}
"#;

#[test]
fn runtime_error_is_reported_and_contained() {
    let mut h = Harness::new();
    h.write("scripts/a.rhai", SCRIPT);
    let bad = h.spawn("scripts/a.rhai");
    let good = h.spawn("scripts/a.rhai");
    h.run_until_ready(bad);
    h.run_until_ready(good);
    let mut state = h.app.world_mut().get_mut::<ScriptState>(bad).unwrap();
    assert!(state.set("broken", true.into()));

    let bad_before: i64 = h.state(bad, "n").unwrap();
    let good_before: i64 = h.state(good, "n").unwrap();
    h.updates(3);

    assert_eq!(
        h.errors().len(),
        3,
        "one message per failing call: {:?}",
        h.errors()
    );
    let ScriptError::Runtime {
        location,
        entity,
        function,
        message,
        ..
    } = &h.errors()[0]
    else {
        panic!("expected a runtime error: {:?}", h.errors()[0]);
    };
    assert_eq!(*entity, bad);
    assert_eq!(function, "on_update");
    assert_eq!(location.path, "scripts/a.rhai");
    assert_eq!(location.line, Some(7));
    assert!(location.column.is_some());
    assert!(message.contains("undefined_variable"), "{message}");

    // The failing entity kept its state (the increment before the error stays).
    assert_eq!(h.state::<i64>(bad, "n"), Some(bad_before + 3));
    assert_eq!(h.state::<i64>(good, "n"), Some(good_before + 3));
}

#[test]
fn an_error_inside_a_helper_names_the_helper_line() {
    let mut h = Harness::new();
    h.write(
        "scripts/helper.rhai",
        "fn helper() {\n    throw \"boom\";\n}\nfn on_update() {\n    helper();\n}\n",
    );
    let entity = h.spawn("scripts/helper.rhai");
    h.run_until_errors(1);
    let error = &h.errors()[0];
    assert_eq!(error.location().line, Some(2), "{error}");
    assert!(error.message().contains("boom"), "{error}");
    assert!(matches!(error, ScriptError::Runtime { entity: e, .. } if *e == entity));
}
