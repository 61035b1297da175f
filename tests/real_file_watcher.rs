//! End to end with Bevy's real file watcher: writing the script file on disk
//! changes the running behaviour, with state kept.

#![cfg(feature = "file_watcher")]

mod common;

use std::time::Duration;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;

/// The default watcher debounces for 300 ms: allow well over that.
const MAX_UPDATES: usize = 5_000;

fn count(app: &App, entity: Entity) -> Option<i64> {
    app.world().get::<ScriptState>(entity)?.get_as("count")
}

#[test]
fn saving_the_file_reloads_the_script() {
    let dir = tempfile::tempdir().unwrap();
    let scripts = dir.path().join("scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    let file = scripts.join("watched.rhai");
    std::fs::write(&file, "let count = 0;\nfn on_update() { count += 1; }\n").unwrap();

    let (mut app, entity) = common::real_watcher_app(dir.path(), false, "scripts/watched.rhai");

    let mut started = false;
    for _ in 0..MAX_UPDATES {
        app.update();
        if count(&app, entity).is_some_and(|n| n >= 3) {
            started = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(started, "the script never started");

    // The new version counts in millions: a kept count goes on from where
    // it was, a reset one would restart from a multiple of a million.
    std::fs::write(
        &file,
        "let count = 0;\nfn on_update() { count += 1_000_000; }\n",
    )
    .unwrap();
    let before = count(&app, entity).unwrap();
    let mut reloaded = false;
    for _ in 0..MAX_UPDATES {
        app.update();
        let now = count(&app, entity).unwrap();
        if now >= 1_000_000 {
            reloaded = true;
            let old_counts = now % 1_000_000;
            assert!(
                old_counts >= before,
                "state was reset: {before} before the save, {now} after"
            );
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(reloaded, "the watcher never reloaded the edited file");
}
