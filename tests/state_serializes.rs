//! Script state serializes with serde, so a save game can store it, and a
//! restored state resumes without running `init()` again.

mod common;

use bevy_rhai_hot::prelude::*;
use common::Harness;

const SCRIPT: &str = r#"
let inits = 0;
let gold = 0;
let name = "";
fn init() { inits += 1; gold = 10; name = "hero"; }
fn on_loot(amount) { gold += amount; }
"#;

#[test]
fn state_round_trips_through_json() {
    let mut h = Harness::new();
    h.write("scripts/hero.rhai", SCRIPT);
    let hero = h.spawn("scripts/hero.rhai");
    h.run_until_ready(hero);
    h.app
        .world_mut()
        .write_message(ScriptEvent::to(hero, "loot").with_payload(5_i64));
    h.update();

    let saved = serde_json::to_string(h.app.world().get::<ScriptState>(hero).unwrap()).unwrap();
    assert!(saved.contains("gold"), "{saved}");

    let restored: ScriptState = serde_json::from_str(&saved).unwrap();
    let script = h.load("scripts/hero.rhai");
    let copy = h
        .app
        .world_mut()
        .spawn((Script::new(script), restored))
        .id();
    h.run_until_ready(copy);
    assert_eq!(h.state::<i64>(copy, "gold"), Some(15));
    assert_eq!(h.state::<String>(copy, "name").as_deref(), Some("hero"));
    assert_eq!(
        h.state::<i64>(copy, "inits"),
        Some(1),
        "init did not run again"
    );

    h.app
        .world_mut()
        .write_message(ScriptEvent::to(copy, "loot").with_payload(1_i64));
    h.update();
    assert_eq!(h.state::<i64>(copy, "gold"), Some(16));
    assert_eq!(h.state::<i64>(hero, "gold"), Some(15));
}
