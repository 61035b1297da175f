//! Scripts send named events to other entities' scripts (one, several or
//! all), delivered through the same path as `ScriptEvent` in the next
//! frame and in the order they were sent, and trigger typed Rust events.

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use common::Harness;
use serde::Deserialize;

const LISTENER: &str = r#"
let got = [];
fn on_hit(event) { got.push(event.damage); }
fn on_ping() { got.push("ping"); }
"#;

const SHOOTER: &str = r#"
let targets = [];
fn on_fire() {
    emit(targets[0], "hit", #{ damage: 3 });
    emit(targets, "hit", #{ damage: 5 });
    emit_all("ping");
}
"#;

#[test]
fn events_reach_one_several_or_all_in_order_next_frame() {
    let mut h = Harness::new();
    h.write("scripts/listener.rhai", LISTENER);
    h.write("scripts/shooter.rhai", SHOOTER);
    let a = h.spawn("scripts/listener.rhai");
    let b = h.spawn("scripts/listener.rhai");
    let shooter = h.spawn("scripts/shooter.rhai");
    for entity in [a, b, shooter] {
        h.run_until_ready(entity);
    }
    let targets: bevy_rhai_hot::rhai::Array = vec![a, b]
        .into_iter()
        .map(bevy_rhai_hot::rhai::Dynamic::from::<Entity>)
        .collect();
    h.app
        .world_mut()
        .get_mut::<ScriptState>(shooter)
        .unwrap()
        .set("targets", targets.into());
    h.send_script_event(shooter, "fire");
    let got = |h: &Harness, entity| {
        h.app
            .world()
            .get::<ScriptState>(entity)
            .unwrap()
            .get("got")
            .unwrap()
            .to_string()
    };
    assert_eq!(got(&h, a), "[]", "delivered next frame, not at once");
    h.update();
    assert_eq!(got(&h, a), r#"[3, 5, "ping"]"#);
    assert_eq!(got(&h, b), r#"[5, "ping"]"#);
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}

#[derive(EntityEvent, Deserialize, Clone, Debug)]
struct Damaged {
    entity: Entity,
    amount: f64,
}

#[derive(Resource, Default)]
struct Seen(Vec<(Entity, f64)>);

#[test]
fn scripts_trigger_typed_entity_events() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.add_event_from_script::<Damaged>("damaged")
            .init_resource::<Seen>()
            .add_observer(|event: On<Damaged>, mut seen: ResMut<Seen>| {
                seen.0.push((event.entity, event.amount));
            });
    });
    h.write(
        "scripts/hurt.rhai",
        "fn init() {\n    trigger(\"damaged\", #{ entity: entity(), amount: 2.5 });\n}\nfn on_bad() {\n    trigger(\"damaged\", #{ amount: 1.0 });\n}\n",
    );
    let entity = h.spawn("scripts/hurt.rhai");
    h.run_until_ready(entity);
    assert_eq!(h.app.world().resource::<Seen>().0, [(entity, 2.5)]);
    h.send_script_event(entity, "bad");
    let error = h
        .errors()
        .first()
        .expect("a payload without entity is an error");
    assert!(error.message().contains("does not fit Damaged"), "{error}");
    assert_eq!(error.location().line, Some(5), "{error}");
}
