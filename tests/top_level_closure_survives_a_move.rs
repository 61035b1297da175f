//! A closure kept in a state variable (`let cl = |x| x + 1;`) works after
//! a save that only moves it, on running entities and on entities spawned
//! afterwards.

mod common;

use common::Harness;

const V1: &str = "let cl = |x| x + 1;\nlet got = 0;\nfn on_update() { got = cl.call(41); }\n";
const V2: &str = "\n\nfn helper() { 0 }\nlet cl = |x| x + 1;\nlet got = 0;\nfn on_update() { got = cl.call(41); }\n";

#[test]
fn a_moved_top_level_closure_runs_on_old_and_new_entities() {
    let mut h = Harness::new();
    h.write("scripts/closure.rhai", V1);
    let old = h.spawn("scripts/closure.rhai");
    h.run_until_ready(old);
    h.update();
    assert_eq!(h.state::<i64>(old, "got"), Some(42));

    h.edit("scripts/closure.rhai", V2);
    h.run_until_reloads(1);
    let new = h.spawn("scripts/closure.rhai");
    h.run_until_ready(new);
    h.updates(2);
    assert_eq!(h.state::<i64>(old, "got"), Some(42));
    assert_eq!(h.state::<i64>(new, "got"), Some(42));
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}
