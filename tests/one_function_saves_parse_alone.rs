//! A save that changes one function's text and nothing else is parsed by
//! that function alone (a big script's whole parse would hold the edit
//! up), and means exactly what the whole file means: the functions below it
//! keep running, their errors and their closures' errors name the lines
//! where the code is now, save after save; anything else takes the whole
//! parse.

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use bevy_rhai_hot::{CompiledScript, ParsedScript};
use common::Harness;

const PATH: &str = "scripts/many.rhai";

/// `extra` blank lines inside `speed`, which is above everything that fails.
fn script(speed: &str, extra: usize) -> String {
    format!(
        "let x = 0;\nlet held = ();\n\
         fn on_update() {{ x += speed(); }}\n\
         fn speed() {{\n{}    {speed}\n}}\n\
         fn init() {{ held = maker(); }}\n\
         fn maker() {{\n    |v| v / 0\n}}\n\
         fn on_check() {{\n    throw \"checked\";\n}}\n\
         fn on_held() {{ held.call(1) }}\n",
        "\n".repeat(extra)
    )
}

fn engine(h: &Harness) -> std::sync::Arc<bevy_rhai_hot::rhai::Engine> {
    h.app.world().resource::<RhaiEngine>().arc()
}

/// Whether `text`, saved over the live version, is parsed by one function.
fn parsed_alone(h: &Harness, text: &str) -> bool {
    let live = h.compiled(PATH);
    let parsed = ParsedScript::parse_against(&engine(h), PATH, text, Some(&live));
    parsed.is_ok_and(|parsed| parsed.is_function_edit())
}

#[test]
fn saves_of_one_function_keep_every_line_right() {
    let mut h = Harness::new();
    h.write(PATH, &script("1", 0));
    let entity = h.spawn(PATH);
    h.run_until_ready(entity);
    h.update();
    assert_eq!(h.error_at(entity, "check"), (12, 5));
    assert_eq!(h.error_at(entity, "held"), (9, 11));

    // Three lines more in `speed`: parsed alone, patched, the rest moved.
    let v2 = script("100", 3);
    assert!(parsed_alone(&h, &v2));
    let before = h.compiled(PATH);
    h.edit(PATH, &v2);
    h.run_until_reloads(1);
    assert_eq!(h.reloads()[0].kind, ReloadKind::Patched);
    assert_eq!(h.reloads()[0].changed, ["speed"]);
    let after = h.compiled(PATH);
    assert!(after.is_patch_of(before.content_hash()));
    let x: i64 = h.state(entity, "x").unwrap();
    h.update();
    assert_eq!(
        h.state::<i64>(entity, "x"),
        Some(x + 100),
        "the new speed runs"
    );
    assert_eq!(h.error_at(entity, "check"), (15, 5));
    assert_eq!(h.error_at(entity, "held"), (12, 11));

    // Two lines fewer: the moves add up.
    let v3 = script("7", 1);
    assert!(parsed_alone(&h, &v3));
    h.edit(PATH, &v3);
    h.run_until_reloads(2);
    assert_eq!(h.error_at(entity, "check"), (13, 5));
    assert_eq!(h.error_at(entity, "held"), (10, 11));

    // An entity that starts now runs the same and fails at the same places.
    let fresh = h.spawn(PATH);
    h.run_until_ready(fresh);
    assert_eq!(h.error_at(fresh, "check"), (13, 5));
    assert_eq!(h.error_at(fresh, "held"), (10, 11));

    // And an app that loads the file from scratch agrees.
    let mut scratch = Harness::new();
    scratch.write(PATH, &v3);
    let other = scratch.spawn(PATH);
    scratch.run_until_ready(other);
    assert_eq!(scratch.error_at(other, "check"), (13, 5));
    assert_eq!(scratch.error_at(other, "held"), (10, 11));
}

#[test]
fn other_saves_take_the_whole_parse() {
    let mut h = Harness::new();
    h.write(PATH, &script("1", 0));
    let entity = h.spawn(PATH);
    h.run_until_ready(entity);

    // Top-level code, two functions, a new function after the last.
    assert!(!parsed_alone(
        &h,
        &script("1", 0).replace("let x = 0;", "let x = 5;")
    ));
    assert!(!parsed_alone(
        &h,
        &script("2", 0).replace("throw \"checked\";", "throw \"other\";")
    ));
    assert!(!parsed_alone(&h, &(script("1", 0) + "fn added() { 1 }\n")));
    // An overload below a function that grows: errors name a function, so
    // moving one of two `check`s would be ambiguous.
    let overloaded = script("1", 0) + "fn check(a) { a }\nfn check() { 0 }\n";
    h.edit(PATH, &overloaded);
    h.run_until_reloads(1);
    assert!(!parsed_alone(
        &h,
        &script("1", 2).replace(
            "fn on_held",
            "fn check(a) { a }\nfn check() { 0 }\nfn on_held"
        )
    ));
    // A syntax error inside the function: the whole parse names it.
    let broken = script("1 +", 0) + "fn check(a) { a }\nfn check() { 0 }\n";
    assert!(!parsed_alone(&h, &broken));
    let errors = h.errors().len();
    h.edit(PATH, &broken);
    h.run_until_errors(errors + 1);
    let error = h.errors().last().unwrap();
    assert_eq!(
        (error.location().line, error.location().column),
        (Some(6), Some(1)),
        "{error}"
    );
}

#[test]
fn the_compile_api_takes_the_same_path() {
    let engine = bevy_rhai_hot::rhai::Engine::new();
    let v1 = CompiledScript::compile(&engine, PATH, &script("1", 0), None).unwrap();
    let v2 = CompiledScript::compile(&engine, PATH, &script("2", 5), Some(&v1)).unwrap();
    assert!(v2.is_patch_of(v1.content_hash()));
    let parsed = ParsedScript::parse_against(&engine, PATH, &script("3", 0), Some(&v2)).unwrap();
    assert!(parsed.is_function_edit());
}
