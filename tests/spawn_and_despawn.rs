//! Scripts spawn entities that run a script, and despawn themselves or
//! others; `on_detach()` runs as a script leaves its entity.

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use common::{Harness, Recorded};
use serde::Deserialize;

#[derive(Message, Deserialize, Clone, Debug)]
struct Gone {
    lived: i64,
}

const SPAWNER: &str = r#"
let child = ();
fn init() { child = spawn_script("scripts/child.rhai", transform_from_xyz(1, 2, 3)); }
"#;

const CHILD: &str = r#"
let lived = 0;
fn on_update() {
    lived += 1;
    if lived >= 3 { despawn(); }
}
fn on_detach() { send("gone", #{ lived: lived }); }
"#;

#[test]
fn spawn_a_scripted_child_which_despawns_itself() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.add_message_from_script::<Gone>("gone");
    });
    h.record::<Gone>();
    h.write("scripts/spawner.rhai", SPAWNER);
    h.write("scripts/child.rhai", CHILD);
    let spawner = h.spawn("scripts/spawner.rhai");
    h.run_until_ready(spawner);

    let state = h.app.world().get::<ScriptState>(spawner).unwrap();
    let child: Entity = state
        .get("child")
        .unwrap()
        .clone()
        .try_cast::<Entity>()
        .expect("spawn returned the new entity");
    assert_eq!(
        h.app.world().get::<Transform>(child).unwrap().translation,
        Vec3::new(1.0, 2.0, 3.0)
    );
    assert!(h.app.world().get::<Script>(child).is_some());

    h.run_until("the child to despawn itself", |world| {
        world.get_entity(child).is_err()
    });
    let gone = &h.app.world().resource::<Recorded<Gone>>().0;
    assert_eq!(gone.len(), 1, "on_detach ran once");
    assert_eq!(gone[0].lived, 3);
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}

#[test]
fn despawn_another_entity_and_remove_a_script() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.add_message_from_script::<Gone>("gone");
    });
    h.record::<Gone>();
    h.write(
        "scripts/victim.rhai",
        "fn on_detach() { send(\"gone\", #{ lived: 1 }); }",
    );
    h.write(
        "scripts/killer.rhai",
        "let target = ();\nfn on_kill() { despawn(target); }\nfn on_detach() { send(\"gone\", #{ lived: 2 }); }",
    );
    let victim = h.spawn("scripts/victim.rhai");
    let killer = h.spawn("scripts/killer.rhai");
    h.run_until_ready(victim);
    h.run_until_ready(killer);
    h.app
        .world_mut()
        .get_mut::<ScriptState>(killer)
        .unwrap()
        .set("target", bevy_rhai_hot::rhai::Dynamic::from(victim));
    h.app
        .world_mut()
        .write_message(ScriptEvent::to(killer, "kill"));
    h.update();
    assert!(h.app.world().get_entity(victim).is_err());
    assert_eq!(h.app.world().resource::<Recorded<Gone>>().0.len(), 1);

    // Removing the component detaches too (on_detach runs), and the entity
    // lives on.
    h.app.world_mut().entity_mut(killer).remove::<Script>();
    h.update();
    assert!(h.app.world().get_entity(killer).is_ok());
    let gone = &h.app.world().resource::<Recorded<Gone>>().0;
    assert_eq!(gone.len(), 2, "{gone:?}");
    assert_eq!(gone[1].lived, 2, "the killer's on_detach ran");
    h.app
        .world_mut()
        .write_message(ScriptEvent::to(killer, "kill"));
    h.update();
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}
