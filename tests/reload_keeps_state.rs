//! Saving a script makes the new version live for every entity using it;
//! state survives, new variables start at their defaults, and a save with
//! identical content does nothing.

mod common;

use common::Harness;

const V1: &str = "let count = 0;\nfn on_update() { count += 1; }\n";
const V2: &str = "let count = 0;\nlet bonus = 5;\nfn on_update() { count += 1000000; }\n";

#[test]
fn reload_changes_behaviour_and_keeps_state() {
    let mut h = Harness::new();
    h.write("scripts/counter.rhai", V1);
    let a = h.spawn("scripts/counter.rhai");
    let b = h.spawn("scripts/counter.rhai");
    h.run_until_ready(a);
    h.run_until_ready(b);
    h.updates(3);
    let before: i64 = h.state(a, "count").unwrap();
    assert!(before >= 4);

    h.edit("scripts/counter.rhai", V2);
    h.run_until_reloads(1);
    let at_reload: i64 = h.state(a, "count").unwrap();
    // Old frames add 1, new ones a million (the reload frame's own
    // `on_update` may already run the new version): a reset state would be
    // a multiple of a million, a kept one keeps what the old frames added
    // (fewer than a million however slowly the reload loads).
    assert!(
        at_reload % 1_000_000 >= before,
        "state was reset: {before} before, {at_reload} after"
    );
    assert_eq!(
        h.state::<i64>(a, "bonus"),
        Some(5),
        "a new variable gets its default"
    );

    h.update();
    assert_eq!(h.state::<i64>(a, "count"), Some(at_reload + 1_000_000));
    let b_count: i64 = h.state(b, "count").unwrap();
    h.update();
    assert_eq!(
        h.state::<i64>(b, "count"),
        Some(b_count + 1_000_000),
        "every entity runs the new version"
    );

    let reloaded = &h.reloads()[0];
    assert_eq!(reloaded.path, "scripts/counter.rhai");
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}

#[test]
fn identical_content_reloads_nothing() {
    let mut h = Harness::new();
    h.write("scripts/counter.rhai", V1);
    let entity = h.spawn("scripts/counter.rhai");
    h.run_until_ready(entity);

    // A duplicate watcher event: the asset server reloads the same bytes.
    h.notify_modified("scripts/counter.rhai");
    h.run_until_versions(1);
    assert!(h.reloads().is_empty(), "identical content must not reload");

    // A real change still reloads after that.
    h.edit("scripts/counter.rhai", V2);
    h.run_until_versions(2);
    assert_eq!(h.reloads().len(), 1);
}
