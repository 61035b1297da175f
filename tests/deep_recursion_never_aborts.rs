//! Endless recursion whose every level is heavy (a method call, a closure
//! call, a loop and a block each time) ends with a limit error on a test
//! thread's 2 MiB stack, in debug builds too, where 48 such levels would
//! overflow the native stack and abort the whole process.

mod common;

use common::Harness;

const HEAVY: &str = r#"
let result = 0;
fn max(a, b) {
    ({ let k = (14 + "ab".tm(0)); k + 1 })
}
fn string.tm(a) {
    ({ let t = 0; for k in [1, 2] { t += k; } t + (|y| y * 2).call(max(1, 2)) })
}
fn on_dive() { result = max(3, 4); }
fn on_update() { result += 1; }
"#;

#[test]
fn heavy_endless_recursion_is_an_error_not_an_abort() {
    let mut h = Harness::new();
    h.write("scripts/heavy.rhai", HEAVY);
    let entity = h.spawn("scripts/heavy.rhai");
    h.run_until_ready(entity);
    h.update();
    let before: i64 = h.state(entity, "result").unwrap();

    h.send_script_event(entity, "dive");
    let error = h
        .errors()
        .last()
        .expect("the recursion was stopped")
        .clone();
    assert_eq!(error.location().path, "scripts/heavy.rhai");
    assert!(
        error.message().contains("call depth") || error.message().contains("native stack"),
        "{error}"
    );
    // The game goes on, with the entity's state.
    h.updates(2);
    let after: i64 = h.state(entity, "result").unwrap();
    assert!(
        after > before,
        "on_update stopped running: {before} then {after}"
    );
}
