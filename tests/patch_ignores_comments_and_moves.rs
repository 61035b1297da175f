//! Saving a script whose only edits are comments, blank lines and the order
//! of its functions reloads nothing, calls nothing and sends nothing; errors
//! then name lines of the file as it is now.

mod common;

use common::Harness;

const V1: &str = "let reloads = 0;
let n = 0;
fn on_reload() { reloads += 1; }
fn on_update() { n += 1; }
fn on_check() { throw \"checked\"; }
";

const V2: &str = "// A comment on top.
let reloads = 0;   // how often on_reload ran
let n = 0;

/// Checks, by failing.
fn on_check() {
    throw \"checked\";   /* still the same */
}

fn on_update() {
    n += 1;
}

fn on_reload() { reloads += 1; }
";

#[test]
fn comments_blank_lines_and_moves_change_nothing() {
    let mut h = Harness::new();
    h.write("scripts/a.rhai", V1);
    let entity = h.spawn("scripts/a.rhai");
    h.run_until_ready(entity);

    h.edit("scripts/a.rhai", V2);
    h.run_until_versions(1);
    assert!(h.reloads().is_empty(), "{:?}", h.reloads());
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    assert_eq!(h.state::<i64>(entity, "reloads"), Some(0), "on_reload ran");

    let n: i64 = h.state(entity, "n").unwrap();
    h.update();
    assert_eq!(h.state::<i64>(entity, "n"), Some(n + 1), "still running");

    h.send_script_event(entity, "check");
    let error = h.errors().last().expect("on_check failed").clone();
    assert_eq!(error.location().line, Some(7), "{error}");
}
