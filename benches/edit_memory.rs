//! Memory under editing: live heap bytes before and after 1,000 saves of a
//! script that 10,000 entities run (function body edits, top-level edits,
//! syntax errors and their fixes, truncate-then-write saves), counted by a
//! counting allocator. Each save is a file write that the real file watcher
//! (`FastScriptReload`) reports. Not criterion: the count is the
//! measurement. See `benches/README.md`.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::time::Duration;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use support::{Counting, live_bytes, watched_app};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const PATH: &str = "edited.rhai";

/// The `n`th save: a body edit, a top-level edit, a syntax error, its fix,
/// or an empty file (the first half of a truncate-then-write save).
fn save(n: usize) -> String {
    let valid = |top: usize, body: usize| {
        format!(
            "let x = {top};\nlet speed = 1;\nfn step(v) {{ v + {body} }}\n\
             fn on_update() {{ x = step(x) % 1000; }}\n"
        )
    };
    match n % 5 {
        0 => valid(n % 7, n),
        1 => valid(n % 7 + 1, n),
        2 => format!("{}fn broken( {{\n", valid(n % 7 + 1, n)),
        3 => valid(n % 7 + 1, n + 1),
        _ => String::new(),
    }
}

/// Updates `app` until `done` holds.
fn run_until(app: &mut App, mut done: impl FnMut(&World) -> bool) {
    for _ in 0..20_000 {
        app.update();
        if done(app.world()) {
            return;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    panic!("gave up waiting");
}

fn script_hash(world: &World, handle: &Handle<RhaiScript>) -> Option<u64> {
    let scripts = world.resource::<Assets<RhaiScript>>();
    scripts.get(handle).map(RhaiScript::content_hash)
}

/// Writes `text` over the script and updates until the watcher has
/// reported it and that version has loaded, then a few frames more.
fn apply(app: &mut App, dir: &Path, handle: &Handle<RhaiScript>, text: &str) {
    let before = script_hash(app.world(), handle);
    std::fs::write(dir.join(PATH), text).unwrap();
    run_until(app, |world| script_hash(world, handle) != before);
    for _ in 0..3 {
        app.update();
    }
}

/// Live bytes once the app has settled: background frees finished.
fn settled(app: &mut App) -> isize {
    for _ in 0..20 {
        app.update();
        std::thread::sleep(Duration::from_millis(5));
    }
    live_bytes()
}

fn main() {
    if !support::selected("edit_memory") {
        return;
    }
    let (entities, warm_up, saves) = if support::measuring() {
        (10_000, 100, 1_000)
    } else {
        (10, 5, 10)
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(PATH), save(0)).unwrap();
    let mut app = watched_app(dir.path(), true);
    let handle: Handle<RhaiScript> = app.world().resource::<AssetServer>().load(PATH);
    let spawned: Vec<Entity> = (0..entities)
        .map(|_| app.world_mut().spawn(Script::new(handle.clone())).id())
        .collect();
    run_until(&mut app, |world| {
        (spawned.iter()).all(|&entity| {
            world
                .get::<ScriptState>(entity)
                .is_some_and(ScriptState::is_ready)
        })
    });
    // Let the watcher settle before the first save.
    std::thread::sleep(Duration::from_millis(300));

    let mut n = 1;
    for _ in 0..warm_up {
        apply(&mut app, dir.path(), &handle, &save(n));
        n += 1;
    }
    let before = settled(&mut app);
    for _ in 0..saves {
        apply(&mut app, dir.path(), &handle, &save(n));
        n += 1;
    }
    let after = settled(&mut app);
    let grown = after - before;
    println!(
        "edit_memory: {entities} entities, live heap {before} bytes after {warm_up} saves, \
         {after} after {saves} more: {grown:+} bytes ({:+.1} per save)",
        grown as f64 / saves as f64
    );
}
