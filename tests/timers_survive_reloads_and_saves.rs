//! `after` and `every` call a script function by name on game time: the
//! code that runs is the version live when the timer fires, timers are
//! saved with the state, pausing the game pauses them, and a timer whose
//! function went away is dropped with one error.

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use common::Harness;

/// Frames in tests last 0.1 s (`common::FRAME`).
const BOMB: &str = r#"
let booms = 0;
let ticks = 0;
let last = ();
let ticker = ();
fn init() {
    after(0.25, "explode", #{ power: 3 });
    ticker = every(0.1, "tick");
}
fn explode(blast) { booms += blast.power; last = "v1"; }
fn tick() { ticks += 1; }
fn on_stop() { cancel(ticker); }
"#;

fn started(h: &mut Harness) -> Entity {
    started_with(h, BOMB)
}

fn started_with(h: &mut Harness, source: &str) -> Entity {
    h.write("scripts/bomb.rhai", source);
    let bomb = h.spawn("scripts/bomb.rhai");
    h.run_until_ready(bomb);
    bomb
}

#[test]
fn after_fires_once_with_its_payload_and_every_repeats_until_cancelled() {
    let mut h = Harness::new();
    let bomb = started(&mut h);
    // Started in frame 1 (0.1 s of the timer gone there).
    h.update();
    assert_eq!(h.state::<i64>(bomb, "booms"), Some(0), "0.2 s: not yet");
    h.update();
    assert_eq!(h.state::<i64>(bomb, "booms"), Some(3), "0.3 s: fired");
    h.updates(5);
    assert_eq!(h.state::<i64>(bomb, "booms"), Some(3), "only once");
    let ticks: i64 = h.state(bomb, "ticks").unwrap();
    assert_eq!(ticks, 8, "one tick per 0.1 s frame");
    h.send_script_event(bomb, "stop");
    let ticks: i64 = h.state(bomb, "ticks").unwrap();
    h.updates(3);
    assert_eq!(h.state::<i64>(bomb, "ticks"), Some(ticks), "cancelled");
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}

#[test]
fn the_new_code_runs_after_a_patch_and_after_a_replace() {
    // A long fuse, so that the reload is live well before it burns down.
    let slow = BOMB.replace("after(0.25,", "after(3.0,");
    let mut h = Harness::new();
    let bomb = started_with(&mut h, &slow);
    h.edit(
        "scripts/bomb.rhai",
        &slow.replace("last = \"v1\"", "last = \"v2\""),
    );
    h.run_until_reloads(1);
    assert_eq!(h.reloads()[0].kind, ReloadKind::Patched);
    assert_eq!(
        h.state::<i64>(bomb, "booms"),
        Some(0),
        "not fired before the edit"
    );
    h.updates(30);
    assert_eq!(h.state::<String>(bomb, "last").as_deref(), Some("v2"));

    let mut h = Harness::new();
    let bomb = started_with(&mut h, &slow);
    let replaced = format!(
        "const EXTRA = 1;\n{}",
        slow.replace("last = \"v1\"", "last = \"v3\"")
    );
    h.edit("scripts/bomb.rhai", &replaced);
    h.run_until_reloads(1);
    assert_eq!(h.reloads()[0].kind, ReloadKind::Replaced);
    assert_eq!(
        h.state::<i64>(bomb, "booms"),
        Some(0),
        "not fired before the edit"
    );
    h.updates(30);
    assert_eq!(h.state::<String>(bomb, "last").as_deref(), Some("v3"));
    assert_eq!(
        h.state::<i64>(bomb, "booms"),
        Some(3),
        "once, not reset by the replace"
    );
}

#[test]
fn a_timer_whose_function_is_gone_is_dropped_with_one_error() {
    let mut h = Harness::new();
    let bomb = started(&mut h);
    h.edit(
        "scripts/bomb.rhai",
        &BOMB.replace("fn tick() { ticks += 1; }", ""),
    );
    h.run_until_reloads(1);
    h.updates(5);
    let errors: Vec<_> = h
        .errors()
        .iter()
        .filter(|error| error.message().contains("tick()"))
        .collect();
    assert_eq!(errors.len(), 1, "{:?}", h.errors());
    assert!(errors[0].message().contains("dropped"), "{}", errors[0]);
    // The one-shot timer still fired.
    assert_eq!(h.state::<i64>(bomb, "booms"), Some(3));
}

#[test]
fn timers_are_saved_and_restored_with_the_state() {
    let mut h = Harness::new();
    let bomb = started(&mut h);
    // Saved 0.1 s in: the bomb has 0.15 s to go.
    let saved = serde_json::to_string(h.app.world().get::<ScriptState>(bomb).unwrap()).unwrap();
    assert!(saved.contains("explode"), "{saved}");

    let mut fresh = Harness::new();
    fresh.write("scripts/bomb.rhai", BOMB);
    let script = fresh.load("scripts/bomb.rhai");
    let restored: ScriptState = serde_json::from_str(&saved).unwrap();
    let copy = fresh
        .app
        .world_mut()
        .spawn((Script::new(script), restored))
        .id();
    fresh.run_until_ready(copy);
    // Its first frame ran 0.1 s of the timer: 0.05 s left, so not yet.
    assert_eq!(fresh.state::<i64>(copy, "booms"), Some(0));
    fresh.update();
    assert_eq!(fresh.state::<i64>(copy, "booms"), Some(3));
}

#[test]
fn pausing_virtual_time_pauses_timers() {
    let mut h = Harness::new();
    let bomb = started(&mut h);
    h.app.world_mut().resource_mut::<Time<Virtual>>().pause();
    h.updates(10);
    assert_eq!(h.state::<i64>(bomb, "booms"), Some(0));
    assert_eq!(h.state::<i64>(bomb, "ticks"), Some(1));
    h.app.world_mut().resource_mut::<Time<Virtual>>().unpause();
    h.updates(3);
    assert_eq!(h.state::<i64>(bomb, "booms"), Some(3));
}

#[test]
fn bad_intervals_are_errors_at_the_call() {
    let mut h = Harness::new();
    h.write(
        "scripts/bad.rhai",
        "fn init() {\n    every(0, \"tick\");\n}\nfn tick() {}\n",
    );
    let entity = h.spawn("scripts/bad.rhai");
    h.run_until_ready(entity);
    let error = h.errors().first().expect("an error");
    assert!(error.message().contains("positive"), "{error}");
    assert_eq!(error.location().line, Some(2), "{error}");
}
