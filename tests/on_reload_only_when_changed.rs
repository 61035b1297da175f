//! `on_reload(changes)` runs only for entities whose script an edit actually
//! changed, and tells them what changed.

mod common;

use bevy_rhai_hot::rhai::Array;
use common::Harness;

const A: &str = "let reloads = 0;
let kind = \"\";
let changed = [];
fn on_reload(changes) { reloads += 1; kind = changes.kind; changed = changes.changed; }
fn on_update() { 1 }
";

const B: &str = "let reloads = 0;\nfn on_reload() { reloads += 1; }\n";

#[test]
fn on_reload_runs_for_changed_scripts_only() {
    let mut h = Harness::new();
    h.write("scripts/a.rhai", A);
    h.write("scripts/b.rhai", B);
    let a = h.spawn("scripts/a.rhai");
    let b = h.spawn("scripts/b.rhai");
    h.run_until_ready(a);
    h.run_until_ready(b);

    // A comment is no change: nobody is called.
    h.edit("scripts/a.rhai", &format!("// tuned\n{A}"));
    h.run_until_versions(1);
    assert_eq!(h.state::<i64>(a, "reloads"), Some(0));

    h.edit("scripts/a.rhai", &A.replace("{ 1 }", "{ 2 }"));
    h.run_until_reloads(1);
    assert_eq!(h.state::<i64>(a, "reloads"), Some(1));
    assert_eq!(h.state::<String>(a, "kind").as_deref(), Some("patched"));
    let changed: Array = h.state(a, "changed").unwrap();
    let changed: Vec<String> = changed.into_iter().map(|name| name.to_string()).collect();
    assert_eq!(changed, ["on_update"]);
    assert_eq!(
        h.state::<i64>(b, "reloads"),
        Some(0),
        "b's script did not change"
    );
}
