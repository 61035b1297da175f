//! `ScriptEvent` carries an ad-hoc event by name, with a payload, to one
//! entity or to every scripted entity.

mod common;

use bevy_rhai_hot::prelude::*;
use bevy_rhai_hot::rhai::Map;
use common::Harness;

const SCRIPT: &str = r#"
let hits = 0;
let waves = 0;
let last_wave = 0;
fn on_hit(payload) { hits += payload.power; }
fn on_wave(number) { waves += 1; last_wave = number; }
fn on_ping() { hits += 1000; }
"#;

#[test]
fn named_events_reach_one_entity_or_all() {
    let mut h = Harness::new();
    h.write("scripts/a.rhai", SCRIPT);
    h.write("scripts/quiet.rhai", "let n = 0;");
    let a = h.spawn("scripts/a.rhai");
    let b = h.spawn("scripts/a.rhai");
    let quiet = h.spawn("scripts/quiet.rhai");
    for entity in [a, b, quiet] {
        h.run_until_ready(entity);
    }

    let mut payload = Map::new();
    payload.insert("power".into(), 3_i64.into());
    h.app
        .world_mut()
        .write_message(ScriptEvent::to(a, "hit").with_payload(payload));
    h.app
        .world_mut()
        .write_message(ScriptEvent::broadcast("wave").with_payload(4_i64));
    h.update();

    assert_eq!(h.state::<i64>(a, "hits"), Some(3));
    assert_eq!(h.state::<i64>(b, "hits"), Some(0));
    for entity in [a, b] {
        assert_eq!(h.state::<i64>(entity, "waves"), Some(1));
        assert_eq!(h.state::<i64>(entity, "last_wave"), Some(4));
    }

    // A handler without parameters ignores the payload.
    h.app
        .world_mut()
        .write_message(ScriptEvent::to(b, "ping").with_payload(1_i64));
    h.update();
    assert_eq!(h.state::<i64>(b, "hits"), Some(1000));
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}
