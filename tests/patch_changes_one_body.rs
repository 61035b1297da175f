//! Editing one function's body patches that function alone: it is the only
//! one reported, the others that stayed where they were are shared with the
//! old version, the state is kept, and errors in moved functions name the
//! right line.

mod common;

use bevy_rhai_hot::CompiledScript;
use bevy_rhai_hot::prelude::*;
use bevy_rhai_hot::rhai::Shared;
use common::Harness;

const V1: &str = "let x = 0;
let calls = 0;
fn on_update() { x += speed(); calls += 1; }
fn speed() { 1 }
fn on_check() {
    throw \"checked\";
}
";

const V2: &str = "let x = 0;
let calls = 0;
fn on_update() { x += speed(); calls += 1; }
fn speed() {
    // Three lines longer now: `on_check` moves down.
    let fast = 1000000;
    fast
}
fn on_check() {
    throw \"checked\";
}
";

#[test]
fn only_the_edited_function_is_patched() {
    let mut h = Harness::new();
    h.write("scripts/a.rhai", V1);
    let entity = h.spawn("scripts/a.rhai");
    h.run_until_ready(entity);
    h.updates(3);
    let before = h.compiled("scripts/a.rhai");
    let x_before: i64 = h.state(entity, "x").unwrap();

    h.edit("scripts/a.rhai", V2);
    h.run_until_reloads(1);
    let reload = &h.reloads()[0];
    assert_eq!(reload.kind, ReloadKind::Patched);
    assert_eq!(reload.changed, ["speed"]);
    assert!(reload.added.is_empty() && reload.removed.is_empty());
    assert_eq!(
        reload.to_string(),
        format!("{}: patched speed", reload.path)
    );

    // Unchanged functions are the very same compiled functions, `on_check`
    // too, which moved: the save changed one function, so only that one
    // was parsed (see `ParsedScript::parse_against`).
    let after = h.compiled("scripts/a.rhai");
    assert!(after.is_patch_of(before.content_hash()));
    let find = |script: &CompiledScript, name: &str| {
        let definitions = script.ast().iter_fn_def();
        let mut matching = definitions.filter(|definition| definition.name == name);
        matching.next().expect("defined").clone()
    };
    for unchanged in ["on_update", "on_check"] {
        assert!(
            Shared::ptr_eq(&find(&before, unchanged), &find(&after, unchanged)),
            "{unchanged} was rebuilt"
        );
    }
    assert!(!Shared::ptr_eq(
        &find(&before, "speed"),
        &find(&after, "speed")
    ));

    // The new body runs, the state carried on.
    let x_reloaded: i64 = h.state(entity, "x").unwrap();
    // Old frames add 1, new ones a million: a reset state would be a
    // multiple of a million, a kept one keeps what the old frames added
    // (fewer than a million however slowly the reload loads).
    assert!(x_before >= 1, "{x_before}");
    assert!(
        x_reloaded % 1_000_000 >= x_before,
        "state reset: {x_before} then {x_reloaded}"
    );
    h.update();
    assert_eq!(h.state::<i64>(entity, "x"), Some(x_reloaded + 1_000_000));

    // `on_check` kept its compiled code from when it was three lines
    // higher: the error names its line in the current file.
    h.send_script_event(entity, "check");
    let error = h.errors().last().expect("on_check failed").clone();
    assert_eq!(error.location().line, Some(10), "{error}");
}
