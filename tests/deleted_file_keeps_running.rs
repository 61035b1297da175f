//! Deleting a script file while it runs loses nothing: the last good version
//! keeps running, a failed read is reported, and writing the file back
//! reloads it.

mod common;

use bevy::asset::io::AssetSourceEvent;
use bevy_rhai_hot::prelude::*;
use common::Harness;

#[test]
fn deleting_and_restoring_the_file() {
    let mut h = Harness::new();
    h.write("scripts/a.rhai", "let n = 0;\nfn on_update() { n += 1; }\n");
    let entity = h.spawn("scripts/a.rhai");
    h.run_until_ready(entity);

    std::fs::remove_file(h.path("scripts/a.rhai")).unwrap();
    h.send_event(AssetSourceEvent::RemovedAsset("scripts/a.rhai".into()));
    // Some watchers report a deletion as a modification: the read fails.
    h.notify_modified("scripts/a.rhai");
    h.run_until_errors(1);
    let error = &h.errors()[0];
    assert!(matches!(error, ScriptError::Load { .. }), "{error:?}");
    assert_eq!(error.location().path, "scripts/a.rhai");

    let before: i64 = h.state(entity, "n").unwrap();
    h.updates(3);
    assert_eq!(
        h.state::<i64>(entity, "n"),
        Some(before + 3),
        "the live version runs on"
    );

    // The new version counts in a variable of its own: however many old
    // frames run while it loads, a kept `n` is at least `before + 3` and
    // stops growing, a reset one is 0.
    h.write(
        "scripts/a.rhai",
        "let n = 0;\nlet m = 0;\nfn on_update() { m += 1; }\n",
    );
    h.send_event(AssetSourceEvent::AddedAsset("scripts/a.rhai".into()));
    h.run_until_reloads(1);
    let at_reload: i64 = h.state(entity, "n").unwrap();
    assert!(
        at_reload >= before + 3,
        "state reset: {before} then {at_reload}"
    );
    let m: i64 = h.state(entity, "m").unwrap();
    h.update();
    assert_eq!(
        h.state::<i64>(entity, "n"),
        Some(at_reload),
        "new code runs"
    );
    assert_eq!(h.state::<i64>(entity, "m"), Some(m + 1));
}

#[test]
fn a_folder_in_place_of_the_file_is_reported_and_the_script_runs_on() {
    let mut h = Harness::new();
    h.write("scripts/b.rhai", "let n = 0;\nfn on_update() { n += 1; }\n");
    let entity = h.spawn("scripts/b.rhai");
    h.run_until_ready(entity);

    std::fs::remove_file(h.path("scripts/b.rhai")).unwrap();
    std::fs::create_dir(h.path("scripts/b.rhai")).unwrap();
    h.send_event(AssetSourceEvent::AddedFolder("scripts/b.rhai".into()));
    h.notify_modified("scripts/b.rhai");
    h.run_until_errors(1);
    assert_eq!(h.errors()[0].location().path, "scripts/b.rhai");
    let before: i64 = h.state(entity, "n").unwrap();
    h.updates(2);
    assert_eq!(h.state::<i64>(entity, "n"), Some(before + 2));
}
