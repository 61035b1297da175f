//! A script sends an event to Rust by name with a payload; Rust receives it
//! as its own type through a message. A payload that does not fit is an error.

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use common::{Harness, Recorded};
use serde::Deserialize;

#[derive(Message, Deserialize, Clone, Debug, PartialEq)]
struct Scored {
    points: i64,
    by: String,
}

#[test]
fn script_sends_a_typed_message_to_rust() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.add_message_from_script::<Scored>("scored");
    });
    h.record::<Scored>();
    h.write(
        "scripts/coin.rhai",
        "fn init() { send(\"scored\", #{ points: 10, by: \"coin\" }); }\n",
    );
    let entity = h.spawn("scripts/coin.rhai");
    h.run_until_ready(entity);
    h.update();
    assert_eq!(
        h.app.world().resource::<Recorded<Scored>>().0,
        vec![Scored {
            points: 10,
            by: "coin".into()
        }]
    );
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}

#[test]
fn bad_payload_and_unknown_name_are_script_errors() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.add_message_from_script::<Scored>("scored");
    });
    h.write(
        "scripts/bad.rhai",
        "fn init() {\n    send(\"scored\", #{ points: \"ten\" });\n}\nfn on_oops() {\n    send(\"nope\");\n}\n",
    );
    let entity = h.spawn("scripts/bad.rhai");
    h.run_until_ready(entity);
    let error = &h.errors()[0];
    assert!(error.message().contains("does not fit Scored"), "{error}");
    assert_eq!(error.location().line, Some(2), "{error}");

    h.app
        .world_mut()
        .write_message(ScriptEvent::to(entity, "oops"));
    h.update();
    let error = &h.errors()[1];
    assert!(
        error
            .message()
            .contains("no Rust message is registered as 'nope'"),
        "{error}"
    );
}

/// Rust fields are often narrower than a script's 64-bit numbers, and hold
/// glam vectors and entities.
#[derive(Message, Deserialize, Clone, Debug, PartialEq)]
struct Explosion {
    strength: f32,
    shards: u8,
    at: Vec3,
    by: Entity,
}

#[test]
fn payload_numbers_narrow_where_they_fit() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.add_message_from_script::<Explosion>("explosion");
    });
    h.record::<Explosion>();
    h.write(
        "scripts/bomb.rhai",
        "fn on_boom(shards) {\n    send(\"explosion\", #{ strength: 6.5, shards: shards, at: vec3(1, 2, 3), by: entity() });\n}\n",
    );
    let entity = h.spawn("scripts/bomb.rhai");
    h.run_until_ready(entity);
    h.app
        .world_mut()
        .write_message(ScriptEvent::to(entity, "boom").with_payload(12_i64));
    h.update();
    assert_eq!(
        h.app.world().resource::<Recorded<Explosion>>().0,
        vec![Explosion {
            strength: 6.5,
            shards: 12,
            at: Vec3::new(1.0, 2.0, 3.0),
            by: entity,
        }]
    );
    assert!(h.errors().is_empty(), "{:?}", h.errors());

    // 300 shards do not fit a u8: an error at the script's line, nothing sent.
    h.app
        .world_mut()
        .write_message(ScriptEvent::to(entity, "boom").with_payload(300_i64));
    h.update();
    assert_eq!(h.app.world().resource::<Recorded<Explosion>>().0.len(), 1);
    let error = h.errors()[0].to_string();
    assert!(
        error.starts_with("scripts/bomb.rhai:2:")
            && error.contains("the payload does not fit Explosion"),
        "{error}"
    );
}
