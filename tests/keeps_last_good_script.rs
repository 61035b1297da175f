//! An edit that does not compile leaves the last good version running,
//! reports one error naming file, line and column, and the fix goes live.

mod common;

use bevy_rhai_hot::prelude::*;
use common::Harness;

const GOOD: &str = "let n = 0;\nfn on_update() { n += 1; }\n";
const BROKEN: &str = "let n = 0;\nfn on_update() {\n    n += ;\n}\n";
const FIXED: &str = "let n = 0;\nfn on_update() { n += 10; }\n";

#[test]
fn syntax_error_keeps_old_version_and_fix_recovers() {
    let mut h = Harness::new();
    h.write("scripts/a.rhai", GOOD);
    let entity = h.spawn("scripts/a.rhai");
    h.run_until_ready(entity);

    h.edit("scripts/a.rhai", BROKEN);
    h.run_until_errors(1);
    let error = h.errors()[0].clone();
    let ScriptError::Compile { location, message } = &error else {
        panic!("expected a compile error, got {error:?}");
    };
    assert_eq!(location.path, "scripts/a.rhai");
    assert_eq!(location.line, Some(3));
    assert!(location.column.is_some());
    assert!(
        error.to_string().starts_with("scripts/a.rhai:3:"),
        "the message leads with file:line:column: {error}"
    );
    assert!(message.contains("syntax error"), "{message}");

    // The old version keeps running, and the state is intact.
    let before: i64 = h.state(entity, "n").unwrap();
    h.updates(3);
    assert_eq!(h.state::<i64>(entity, "n"), Some(before + 3));

    // A duplicate event for the same broken file reports nothing new.
    h.notify_modified("scripts/a.rhai");
    h.updates(20);
    assert_eq!(h.errors().len(), 1, "{:?}", h.errors());

    h.edit("scripts/a.rhai", FIXED);
    h.run_until_reloads(1);
    let at_fix: i64 = h.state(entity, "n").unwrap();
    h.update();
    assert_eq!(h.state::<i64>(entity, "n"), Some(at_fix + 10));
    assert_eq!(h.errors().len(), 1);
}

#[test]
fn failing_top_level_code_is_a_compile_error() {
    let mut h = Harness::new();
    h.write("scripts/a.rhai", GOOD);
    let entity = h.spawn("scripts/a.rhai");
    h.run_until_ready(entity);
    h.edit(
        "scripts/a.rhai",
        "let n = 0;\nlet m = 1 / 0;\nfn on_update() { n += 5; }\n",
    );
    h.run_until_errors(1);
    let error = &h.errors()[0];
    assert!(matches!(error, ScriptError::Compile { .. }), "{error:?}");
    assert_eq!(error.location().line, Some(2), "{error}");
    let before: i64 = h.state(entity, "n").unwrap();
    h.update();
    assert_eq!(
        h.state::<i64>(entity, "n"),
        Some(before + 1),
        "the old version still runs"
    );
}
