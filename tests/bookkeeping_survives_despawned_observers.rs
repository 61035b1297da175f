//! The plugin's own bookkeeping on `Script` is component hooks, not
//! observers: an app that despawns every observer entity (a scene reset,
//! say) does not stop scripts from starting or `on_detach()` from running.

mod common;

use bevy::ecs::observer::Observer;
use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use common::Harness;
use serde::Deserialize;

#[derive(Message, Deserialize, Clone, Debug)]
struct Detached {
    ticks: i64,
}

const SCRIPT: &str = r#"
let ticks = 0;
fn on_update() { ticks += 1; }
fn on_detach() { send("detached", #{ ticks: ticks }); }
"#;

#[test]
fn scripts_start_and_detach_with_every_observer_gone() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.add_message_from_script::<Detached>("detached");
    });
    h.record::<Detached>();
    let world = h.app.world_mut();
    let observers: Vec<Entity> = world
        .query_filtered::<Entity, With<Observer>>()
        .iter(world)
        .collect();
    for observer in observers {
        world.despawn(observer);
    }

    h.write("scripts/ticker.rhai", SCRIPT);
    let entity = h.spawn("scripts/ticker.rhai");
    h.run_until_ready(entity);
    h.updates(2);
    assert_eq!(h.state::<i64>(entity, "ticks"), Some(3));
    h.app.world_mut().entity_mut(entity).remove::<Script>();
    h.update();
    let detached = h.recorded::<Detached>();
    assert_eq!(detached.len(), 1, "{detached:?}");
    assert_eq!(detached[0].ticks, 3);
}
