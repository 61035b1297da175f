//! Edit-to-effect latency with Bevy's real file watcher: write a script
//! file, then update the app until an entity shows the new behaviour.
//! Reports p50 and p90 over many edits, with `FastScriptReload` (10 ms
//! debounce) and with Bevy's default file source (300 ms debounce).
//! See `benches/README.md`.

use std::path::Path;
use std::time::{Duration, Instant};

use bevy::asset::AssetPlugin;
use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;

#[path = "support/mod.rs"]
mod support;

fn script(value: usize) -> String {
    format!("let seen = 0;\nfn on_update() {{ seen = {value}; }}\n")
}

/// An app on `dir` with one scripted entity that has started.
fn app(dir: &Path, fast: bool) -> (App, Entity) {
    let file_path = dir.to_string_lossy().into_owned();
    let mut app = App::new();
    if fast {
        app.add_plugins(FastScriptReload {
            file_path: file_path.clone(),
            ..default()
        });
    }
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path,
            watch_for_changes_override: Some(true),
            ..default()
        },
        RhaiPlugin::default(),
    ));
    app.finish();
    app.cleanup();
    let script = app
        .world()
        .resource::<AssetServer>()
        .load::<RhaiScript>("edited.rhai");
    let entity = app.world_mut().spawn(Script::new(script)).id();
    let started = Instant::now();
    while !app
        .world()
        .get::<ScriptState>(entity)
        .is_some_and(ScriptState::is_ready)
    {
        assert!(started.elapsed() < Duration::from_secs(10), "never started");
        app.update();
        std::thread::sleep(Duration::from_micros(500));
    }
    (app, entity)
}

/// Latency of `edits` edits, each a save that changes the value written.
fn measure(fast: bool, edits: usize) -> Vec<Duration> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edited.rhai");
    std::fs::write(&path, script(0)).unwrap();
    let (mut app, entity) = app(dir.path(), fast);
    // Let the watcher settle before the first edit.
    std::thread::sleep(Duration::from_millis(400));
    let mut latencies = Vec::with_capacity(edits);
    for edit in 1..=edits {
        let start = Instant::now();
        std::fs::write(&path, script(edit)).unwrap();
        loop {
            app.update();
            let state = app.world().get::<ScriptState>(entity).unwrap();
            if state.get_as::<i64>("seen") == Some(edit as i64) {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "edit {edit} never took effect"
            );
            std::thread::sleep(Duration::from_micros(500));
        }
        latencies.push(start.elapsed());
        // Keep saves apart, as a person's are.
        std::thread::sleep(Duration::from_millis(if fast { 30 } else { 350 }));
    }
    latencies
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index]
}

fn report(label: &str, mut latencies: Vec<Duration>) {
    latencies.sort();
    println!(
        "edit-to-effect, {label}: p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms over {} edits",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.9).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
        latencies.len()
    );
}

fn main() {
    if !support::selected("latency edit-to-effect") {
        return;
    }
    // `cargo test --benches`: a few edits check that the bench still works.
    if !support::measuring() {
        report("FastScriptReload, test mode", measure(true, 3));
        return;
    }
    report("FastScriptReload (10 ms debounce)", measure(true, 60));
    report(
        "Bevy's default file source (300 ms debounce)",
        measure(false, 10),
    );
}
