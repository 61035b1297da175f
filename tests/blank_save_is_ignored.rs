//! A blank file (what an editor leaves between truncating a script and
//! writing it) never replaces the running version: nothing is reloaded and
//! the entity keeps running; the written file then goes live.

mod common;

use common::Harness;

const V1: &str = "let n = 0;\nfn on_update() { n += 1; }\n";
const V2: &str = "let n = 0;\nfn on_update() { n += 100; }\n";

#[test]
fn a_blank_save_keeps_the_running_version() {
    let mut h = Harness::new();
    h.write("scripts/a.rhai", V1);
    let entity = h.spawn("scripts/a.rhai");
    h.run_until_ready(entity);

    h.edit("scripts/a.rhai", "  \n");
    h.run_until_versions(1);
    assert!(h.reloads().is_empty(), "{:?}", h.reloads());
    let n: i64 = h.state(entity, "n").unwrap();
    h.update();
    assert_eq!(
        h.state::<i64>(entity, "n"),
        Some(n + 1),
        "the old version runs on"
    );

    h.edit("scripts/a.rhai", V2);
    h.run_until_reloads(1);
    let n: i64 = h.state(entity, "n").unwrap();
    h.update();
    assert_eq!(h.state::<i64>(entity, "n"), Some(n + 100));
}
