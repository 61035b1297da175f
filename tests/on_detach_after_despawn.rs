//! `on_detach()` after a despawn runs with its entity gone: the script's
//! state is there, `entity()` names the entity, and what needs the entity's
//! components fails with an error that says so, while the rest of the
//! world (spawning, events, resources) works.

mod common;

use common::Harness;

#[test]
fn on_detach_after_a_despawn_can_reach_the_world_but_not_its_entity() {
    let mut h = Harness::new();
    h.write(
        "scripts/spawner.rhai",
        "let n = 0;\nfn on_update() { n += 1; }\n",
    );
    h.write(
        "scripts/mortal.rhai",
        "let lives = 3;\n\
         fn on_detach() {\n\
             if lives != 3 { throw \"state lost\"; }\n\
             spawn_script(\"scripts/spawner.rhai\");\n\
             transform();\n\
         }\n",
    );
    let entity = h.spawn("scripts/mortal.rhai");
    h.run_until_ready(entity);
    h.app.world_mut().despawn(entity);
    h.run_until_errors(1);
    h.updates(3);
    let error = h.errors()[0].to_string();
    assert!(
        error.contains("scripts/mortal.rhai:5:"),
        "the failing line is transform(): {error}"
    );
    // The entity spawned from on_detach starts its script.
    h.run_until("the spawned script starts", |world| {
        world
            .query::<&bevy_rhai_hot::ScriptState>()
            .iter(world)
            .any(|state| state.get("n").is_some())
    });
    assert_eq!(h.errors().len(), 1, "{:?}", h.errors());
}
