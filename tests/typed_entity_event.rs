//! One line routes a Bevy entity event to scripts: triggering it on an entity
//! runs `on_<snake_case name>(event)` in that entity's scripts, with the
//! event as an object map.

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use common::Harness;
use serde::Serialize;

#[derive(EntityEvent, Serialize)]
struct Damage {
    entity: Entity,
    amount: f64,
    kind: String,
}

#[derive(EntityEvent, Serialize)]
struct Heal {
    entity: Entity,
    amount: f64,
}

const SCRIPT: &str = r#"
let hp = 100.0;
let last_kind = "";
let hit_me = false;
fn on_damage(event) {
    hp -= event.amount;
    last_kind = event.kind;
    // The target arrives as an entity, not as a number.
    hit_me = event.entity == entity() && type_of(event.entity) == type_of(entity());
}
fn on_mend(event) { hp += event.amount; }
"#;

#[test]
fn typed_entity_event_round_trip() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.add_script_event::<Damage>()
            .add_script_event_named::<Heal>("mend");
    });
    h.write("scripts/target.rhai", SCRIPT);
    let target = h.spawn("scripts/target.rhai");
    let bystander = h.spawn("scripts/target.rhai");
    h.run_until_ready(target);
    h.run_until_ready(bystander);

    h.app.world_mut().trigger(Damage {
        entity: target,
        amount: 30.0,
        kind: "fire".into(),
    });
    h.app.world_mut().flush();
    assert_eq!(h.state::<f64>(target, "hp"), Some(70.0));
    assert_eq!(
        h.state::<String>(target, "last_kind").as_deref(),
        Some("fire")
    );
    assert_eq!(h.state::<bool>(target, "hit_me"), Some(true));
    assert_eq!(
        h.state::<f64>(bystander, "hp"),
        Some(100.0),
        "only the target handles it"
    );

    // Triggered through commands from a system, with a renamed handler.
    h.app.world_mut().commands().trigger(Heal {
        entity: target,
        amount: 5.0,
    });
    h.update();
    assert_eq!(h.state::<f64>(target, "hp"), Some(75.0));
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}
