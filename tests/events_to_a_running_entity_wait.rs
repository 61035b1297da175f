//! An event that reaches an entity while its own scripts run (a handler
//! triggers an event on its own entity) is not skipped: it runs.

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use bevy_rhai_hot::with_script_world;
use common::Harness;
use serde::{Deserialize, Serialize};

#[derive(EntityEvent, Serialize, Deserialize)]
struct Poke {
    entity: Entity,
}

#[test]
fn an_event_a_handler_triggers_on_its_own_entity_runs() {
    // A native function that triggers the event and applies the commands
    // at once, while the calling script's state is taken out.
    let plugin = RhaiPlugin::default().with_engine(|engine| {
        engine.register_fn("poke_now", || {
            with_script_world(|world, entity| {
                world.trigger(Poke { entity });
                world.flush();
            })
        });
    });
    let mut h = Harness::with(plugin, |app| {
        app.add_script_event::<Poke>();
    });
    h.write(
        "scripts/poker.rhai",
        "let sent = false;\nlet poked = 0;\n\
         fn on_update() { if !sent { sent = true; poke_now(); } }\n\
         fn on_poke(event) { poked += 1; }\n",
    );
    let entity = h.spawn("scripts/poker.rhai");
    h.run_until_ready(entity);
    h.updates(3);
    assert_eq!(h.state::<i64>(entity, "poked"), Some(1));
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}
