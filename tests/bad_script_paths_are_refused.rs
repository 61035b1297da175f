//! Paths a script hands to `spawn_script` are checked: anything but a
//! relative path to a script inside the assets folder is a runtime error at
//! the script's line (never a panic, never an entity waiting forever). A
//! `Script` whose handle points at nothing is reported once.

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use common::Harness;

const SPAWNER: &str =
    "let spawned = 0;\nfn on_spawn(path) {\n    spawn_script(path);\n    spawned += 1;\n}\n";

fn entity_count(app: &mut App) -> usize {
    let world = app.world_mut();
    world.query::<Entity>().iter(world).count()
}

#[test]
fn bad_paths_are_runtime_errors_at_the_call() {
    let cases = [
        ("x.rhai#", "not an asset path"),
        ("", "empty"),
        ("   ", "empty"),
        ("/etc/passwd.rhai", "absolute"),
        ("../../outside.rhai", "leaves the assets folder"),
        ("scripts/../../outside.rhai", "leaves the assets folder"),
        ("scripts/data.json", "only scripts"),
        ("scripts/no_extension", "only scripts"),
    ];
    let mut h = Harness::new();
    h.write("scripts/spawner.rhai", SPAWNER);
    let spawner = h.spawn("scripts/spawner.rhai");
    h.run_until_ready(spawner);
    let entities_before = entity_count(&mut h.app);
    for (index, (path, expected)) in cases.iter().enumerate() {
        h.app
            .world_mut()
            .write_message(ScriptEvent::to(spawner, "spawn").with_payload(path.to_string()));
        h.update();
        let errors = h.errors();
        assert_eq!(
            errors.len(),
            index + 1,
            "one error for {path:?}: {errors:?}"
        );
        let error = &errors[index];
        assert!(error.message().contains(expected), "{path:?}: {error}");
        assert_eq!(error.location().path, "scripts/spawner.rhai");
        assert_eq!(error.location().line, Some(3), "{error}");
    }
    // Nothing was spawned, the call stopped before `spawned += 1`, and the
    // game runs on.
    assert_eq!(entity_count(&mut h.app), entities_before);
    assert_eq!(h.state::<i64>(spawner, "spawned"), Some(0));
    h.updates(3);
}

#[test]
fn a_good_path_still_spawns() {
    let mut h = Harness::new();
    h.write("scripts/spawner.rhai", SPAWNER);
    h.write("scripts/child.rhai", "let alive = true;\n");
    let spawner = h.spawn("scripts/spawner.rhai");
    h.run_until_ready(spawner);
    h.app.world_mut().write_message(
        ScriptEvent::to(spawner, "spawn").with_payload("scripts/./child.rhai".to_string()),
    );
    h.update();
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    assert_eq!(h.state::<i64>(spawner, "spawned"), Some(1));
}

#[test]
fn a_script_handle_to_nothing_is_reported_once() {
    let mut h = Harness::new();
    let entity = h.app.world_mut().spawn(Script::new(Handle::default())).id();
    h.updates(10);
    let errors = h.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        matches!(errors[0], ScriptError::Load { .. }),
        "{:?}",
        errors[0]
    );
    assert!(
        errors[0].message().contains(&entity.to_string()),
        "{}",
        errors[0]
    );
}
