//! After a save, every error names the line and column where the failing
//! code is in the file now: in an overload that kept its body while the
//! other changed, in a function that was only re-indented, and in a
//! closure an entity still holds from before the code moved.

mod common;

use common::Harness;

#[test]
fn overloads_report_their_own_lines() {
    const V1: &str = "fn f(a) {\n    a / 0\n}\nfn f(a, b) { a / b }\n\
                      fn on_one() { f(1) }\nfn on_two() { f(1, 0) }\n";
    // Two lines above `f(a)`, and the other overload's body changed.
    const V2: &str = "// one\n// two\nfn f(a) {\n    a / 0\n}\nfn f(a, b) { a % b }\n\
                      fn on_one() { f(1) }\nfn on_two() { f(1, 0) }\n";
    let mut h = Harness::new();
    h.write("scripts/overloads.rhai", V1);
    let entity = h.spawn("scripts/overloads.rhai");
    h.run_until_ready(entity);
    assert_eq!(h.error_at(entity, "one"), (2, 7));
    assert_eq!(h.error_at(entity, "two"), (4, 16));

    h.edit("scripts/overloads.rhai", V2);
    h.run_until_reloads(1);
    assert_eq!(h.error_at(entity, "one"), (4, 7));
    assert_eq!(h.error_at(entity, "two"), (6, 16));
}

#[test]
fn a_reindented_function_reports_its_new_column() {
    const V1: &str = "fn on_check() { 1 / 0 }\n";
    const V2: &str = "    fn on_check() { 1 / 0 }\nfn added() { 2 }\n";
    let mut h = Harness::new();
    h.write("scripts/indent.rhai", V1);
    let entity = h.spawn("scripts/indent.rhai");
    h.run_until_ready(entity);
    assert_eq!(h.error_at(entity, "check"), (1, 19));

    h.edit("scripts/indent.rhai", V2);
    h.run_until_reloads(1);
    assert_eq!(h.error_at(entity, "check"), (1, 23));
}

const HELD_V1: &str = "let top = |x| x / 0;
let made = ();
fn make() {
    |x| x % 0
}
fn init() { made = make(); }
fn on_top() { top.call(1) }
fn on_made() { made.call(1) }
";

/// Three lines above everything, `make` indented: the closures the entity
/// holds are the old ones, their code is now lower and `make`'s further
/// right.
const HELD_V2: &str = "fn helper() {
    0
}
let top = |x| x / 0;
let made = ();
  fn make() {
      |x| x % 0
  }
fn init() { made = make(); }
fn on_top() { top.call(1) }
fn on_made() { made.call(1) }
";

#[test]
fn a_held_closure_reports_where_its_code_moved() {
    let mut h = Harness::new();
    h.write("scripts/held.rhai", HELD_V1);
    let entity = h.spawn("scripts/held.rhai");
    h.run_until_ready(entity);
    assert_eq!(h.error_at(entity, "top"), (1, 17));
    assert_eq!(h.error_at(entity, "made"), (4, 11));

    h.edit("scripts/held.rhai", HELD_V2);
    h.run_until_reloads(1);
    assert_eq!(h.error_at(entity, "top"), (4, 17));
    assert_eq!(h.error_at(entity, "made"), (7, 13));

    // An entity that starts now makes the closures of the new text, and
    // they report the same places.
    let fresh = h.spawn("scripts/held.rhai");
    h.run_until_ready(fresh);
    assert_eq!(h.error_at(fresh, "top"), (4, 17));
    assert_eq!(h.error_at(fresh, "made"), (7, 13));
}
