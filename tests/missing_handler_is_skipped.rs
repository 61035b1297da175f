//! A script that does not define a handler is skipped silently; a handler
//! that calls a function that does not exist is an error.

mod common;

use bevy_rhai_hot::prelude::*;
use common::Harness;

#[test]
fn scripts_without_handlers_are_skipped() {
    let mut h = Harness::new();
    // Were the plugin to call `anything` or `helper` for the events
    // `anything` and `helper` (instead of `on_anything` / `on_helper`), they
    // would see the state and change `n`.
    h.write(
        "scripts/empty.rhai",
        "let n = 1;\nfn anything() { n = 98; }\nfn helper() { n = 99; }\nfn update() { n = 97; }\n",
    );
    let entity = h.spawn("scripts/empty.rhai");
    h.run_until_ready(entity);
    h.app
        .world_mut()
        .write_message(ScriptEvent::to(entity, "anything"));
    h.app
        .world_mut()
        .write_message(ScriptEvent::broadcast("helper"));
    h.updates(3);
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    assert_eq!(h.state::<i64>(entity, "n"), Some(1));
}

#[test]
fn calling_a_missing_function_inside_a_handler_is_an_error() {
    let mut h = Harness::new();
    h.write("scripts/typo.rhai", "fn on_update() {\n    mvoe(1);\n}\n");
    let entity = h.spawn("scripts/typo.rhai");
    h.run_until_ready(entity);
    h.update();
    let error = &h.errors()[0];
    assert!(matches!(error, ScriptError::Runtime { .. }), "{error:?}");
    assert!(error.message().contains("mvoe"), "{error}");
    assert_eq!(error.location().line, Some(2), "{error}");
}
