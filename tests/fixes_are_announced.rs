//! The live-edit loop closes: when a broken script is fixed, one info line
//! and a `ScriptReloaded` with `recovered` say so (also when the fix is the
//! old text saved back, and for a first load that failed), and
//! `CurrentScriptErrors` lists exactly the errors that hold now: a file
//! that does not compile, and each handler that failed on an entity the
//! last time it ran.

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::ErrorPlace;
use bevy_rhai_hot::prelude::*;
use common::{Harness, capture_logs};

const GOOD: &str = "let n = 0;\nfn on_update() { n += 1; }\n";
const BROKEN: &str = "let n = 0;\nfn on_update() { n += 1; \n";

fn current(h: &Harness) -> Vec<String> {
    let mut errors: Vec<String> = h
        .app
        .world()
        .resource::<CurrentScriptErrors>()
        .iter()
        .map(|(_, error)| error.to_string())
        .collect();
    errors.sort();
    errors
}

#[test]
fn a_fixed_compile_error_is_announced_and_cleared() {
    let ((), logs) = capture_logs(|| {
        let mut h = Harness::new();
        h.write("scripts/edit.rhai", GOOD);
        let entity = h.spawn("scripts/edit.rhai");
        h.run_until_ready(entity);
        assert!(current(&h).is_empty());

        h.edit("scripts/edit.rhai", BROKEN);
        h.run_until_errors(1);
        let errors = current(&h);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("scripts/edit.rhai:"), "{errors:?}");
        let place = ErrorPlace::file("scripts/edit.rhai");
        assert!(
            h.app
                .world()
                .resource::<CurrentScriptErrors>()
                .get(&place)
                .is_some()
        );

        // The usual fix: the old text saved back.
        let reloads = h.reloads().len();
        h.edit("scripts/edit.rhai", GOOD);
        h.run_until("the fix is announced", |world| {
            world.resource::<common::Recorded<ScriptReloaded>>().0.len() > reloads
        });
        let fixed = h.reloads().last().unwrap();
        assert!(fixed.recovered, "{fixed:?}");
        assert_eq!(
            fixed.to_string(),
            "scripts/edit.rhai: fixed, running the new version"
        );
        assert!(current(&h).is_empty(), "{:?}", current(&h));
    });
    let announced: Vec<_> = logs
        .iter()
        .filter(|(_, line)| line.contains("fixed, running the new version"))
        .collect();
    assert_eq!(announced.len(), 1, "{logs:?}");
}

#[test]
fn a_first_load_that_failed_is_announced_when_fixed() {
    // Every test of this file captures logs: tracing caches which
    // call sites are on, per binary.
    let ((), _) = capture_logs(|| {
        let mut h = Harness::new();
        h.write("scripts/late.rhai", BROKEN);
        let entity = h.spawn("scripts/late.rhai");
        h.run_until_errors(1);
        assert_eq!(current(&h).len(), 1);

        h.edit("scripts/late.rhai", GOOD);
        h.run_until_ready(entity);
        h.update();
        assert!(
            h.reloads().iter().any(|reload| reload.recovered),
            "{:?}",
            h.reloads()
        );
        assert!(current(&h).is_empty());
    });
}

#[test]
fn a_runtime_error_holds_until_the_handler_runs_cleanly() {
    let ((), logs) = capture_logs(|| {
        let mut h = Harness::new();
        h.write(
            "scripts/flaky.rhai",
            "let n = 0;\nfn on_update() {\n    n += 1;\n    if n < 100 { throw `failing ${n}`; }\n}\n",
        );
        let a = h.spawn("scripts/flaky.rhai");
        let b = h.spawn("scripts/flaky.rhai");
        h.run_until_ready(a);
        h.run_until_ready(b);
        h.updates(3);
        let errors = h.app.world().resource::<CurrentScriptErrors>();
        assert_eq!(errors.len(), 2, "one per entity: {:?}", current(&h));
        let place = ErrorPlace::handler("scripts/flaky.rhai", a, "on_update");
        assert!(errors.get(&place).unwrap().message().contains("failing"));
        // The text changes every frame here: the entry follows it.
        assert!(
            errors
                .get(&place)
                .unwrap()
                .message()
                .contains(&format!("failing {}", h.state::<i64>(a, "n").unwrap()))
        );

        h.edit(
            "scripts/flaky.rhai",
            "let n = 0;\nfn on_update() {\n    n += 1;\n}\n",
        );
        h.run_until("the handler runs cleanly", |world| {
            world.resource::<CurrentScriptErrors>().is_empty()
        });
        // State was kept through the edit.
        assert!(h.state::<i64>(a, "n").unwrap() > 3);
    });
    let announced: Vec<_> = logs
        .iter()
        .filter(|(_, line)| line.contains("on_update runs without errors again"))
        .collect();
    assert_eq!(
        announced.len(),
        1,
        "once, when the last entity recovered: {logs:?}"
    );
}

#[test]
fn a_despawned_entity_takes_its_errors_with_it() {
    // Every test of this file captures logs: tracing caches which
    // call sites are on, per binary.
    let ((), _) = capture_logs(|| {
        let mut h = Harness::new();
        h.write(
            "scripts/throws.rhai",
            "fn on_update() { throw \"always\"; }\n",
        );
        let entity = h.spawn("scripts/throws.rhai");
        h.run_until_ready(entity);
        h.run_until_errors(1);
        assert_eq!(current(&h).len(), 1);
        h.app.world_mut().despawn(entity);
        h.updates(2);
        assert!(current(&h).is_empty(), "{:?}", current(&h));
    });
}

#[test]
fn a_repeated_error_does_not_mark_the_list_changed() {
    // Every test of this file captures logs: tracing caches which
    // call sites are on, per binary.
    let ((), _) = capture_logs(|| {
        let mut h = Harness::new();
        h.write(
            "scripts/same.rhai",
            "fn on_update() { throw \"always the same\"; }\n",
        );
        let entity = h.spawn("scripts/same.rhai");
        h.run_until_ready(entity);
        h.run_until_errors(1);
        h.update();
        #[derive(Resource, Default)]
        struct Changed(u32);
        h.app.init_resource::<Changed>().add_systems(
            Last,
            |errors: Res<CurrentScriptErrors>, mut changed: ResMut<Changed>| {
                if errors.is_changed() {
                    changed.0 += 1;
                }
            },
        );
        h.update(); // the new system sees the resource as changed once
        h.updates(5);
        assert_eq!(h.app.world().resource::<Changed>().0, 1);
    });
}
