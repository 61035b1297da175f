//! Editors that save in several steps (truncate then write, write part then
//! the rest, or write a temporary file then rename it) never lose state,
//! and the finished file always wins: with Bevy's real file watcher and
//! `FastScriptReload`'s short debounce, which sees the in-between states.

#![cfg(feature = "file_watcher")]

mod common;

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;

/// Frames with a short sleep each: far more than any reload needs.
const MAX_UPDATES: usize = 3_000;

/// Each version adds its own step to `count` every frame.
fn version(step: i64) -> String {
    format!(
        "let count = 0;\nlet step = 0;\nfn helper() {{ {step} }}\nfn on_update() {{ step = helper(); count += step; }}\n"
    )
}

struct Watched {
    app: App,
    entity: Entity,
    last_count: i64,
}

impl Watched {
    fn new(dir: &Path) -> Self {
        let (app, entity) = common::real_watcher_app(dir, true, "saved.rhai");
        let mut watched = Self {
            app,
            entity,
            last_count: 0,
        };
        watched.run_until_step(1);
        watched
    }

    /// One frame; checks that the state was never lost.
    fn update(&mut self) -> Option<i64> {
        self.app.update();
        std::thread::sleep(Duration::from_millis(1));
        let state = self.app.world().get::<ScriptState>(self.entity)?;
        let count: i64 = state.get_as("count")?;
        assert!(
            count >= self.last_count,
            "state lost: {} -> {count}",
            self.last_count
        );
        self.last_count = count;
        state.get_as("step")
    }

    fn run_until_step(&mut self, step: i64) {
        for _ in 0..MAX_UPDATES {
            if self.update() == Some(step) {
                return;
            }
        }
        panic!("version {step} never took effect");
    }

    /// Runs a few frames: an in-between state may go live for a moment.
    fn let_the_watcher_see(&mut self) {
        for _ in 0..30 {
            self.update();
        }
    }
}

#[test]
fn saves_in_several_steps_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("saved.rhai");
    std::fs::write(&path, version(1)).unwrap();
    let mut watched = Watched::new(dir.path());

    // Truncate, then write.
    let mut file = File::create(&path).unwrap();
    file.flush().unwrap();
    watched.let_the_watcher_see();
    file.write_all(version(2).as_bytes()).unwrap();
    drop(file);
    watched.run_until_step(2);

    // Half the file, then the rest: the half does not compile.
    let full = version(3);
    let (first, rest) = full.split_at(full.len() / 2);
    let mut file = File::create(&path).unwrap();
    file.write_all(first.as_bytes()).unwrap();
    file.flush().unwrap();
    watched.let_the_watcher_see();
    file.write_all(rest.as_bytes()).unwrap();
    drop(file);
    watched.run_until_step(3);

    // A temporary file, renamed over the script.
    let temporary = dir.path().join("saved.rhai.tmp");
    std::fs::write(&temporary, version(4)).unwrap();
    std::fs::rename(&temporary, &path).unwrap();
    watched.run_until_step(4);

    // Every frame of every step kept counting up from the same state.
    assert!(watched.last_count > 0);
}
