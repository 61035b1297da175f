//! Spawning from scripts is bounded per frame and in total
//! (`ScriptLimits::max_spawns_per_frame`, `max_spawned_entities`): a
//! script whose every entity spawns two more cannot fill the world, the
//! refused spawns are errors at the script's line, and the rest of the game
//! runs on.

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::SpawnedByScript;
use bevy_rhai_hot::prelude::*;
use common::Harness;

fn spawned(app: &mut App) -> usize {
    let world = app.world_mut();
    world
        .query_filtered::<(), With<SpawnedByScript>>()
        .iter(world)
        .count()
}

#[test]
fn a_fork_bomb_stops_at_the_limits() {
    let limits = ScriptLimits {
        max_spawns_per_frame: 20,
        max_spawned_entities: 100,
        ..Default::default()
    };
    let mut h = Harness::with(RhaiPlugin::default().with_limits(limits), |_| {});
    h.write(
        "scripts/bomb.rhai",
        "fn init() {\n    spawn_script(\"scripts/bomb.rhai\");\n    spawn_script(\"scripts/bomb.rhai\");\n    spawn_entity(#{});\n}\n",
    );
    h.write(
        "scripts/canary.rhai",
        "let n = 0;\nfn on_update() { n += 1; }\n",
    );
    let canary = h.spawn("scripts/canary.rhai");
    h.run_until_ready(canary);
    h.spawn("scripts/bomb.rhai");

    let mut last = 0;
    for _ in 0..40 {
        h.update();
        let now = spawned(&mut h.app);
        assert!(
            now - last.min(now) <= 20,
            "at most 20 spawns a frame: {last} then {now}"
        );
        last = now;
    }
    assert_eq!(last, 100, "the bomb filled exactly the total limit");
    let n = h.state::<i64>(canary, "n").unwrap();
    h.update();
    assert_eq!(h.state::<i64>(canary, "n"), Some(n + 1), "the game runs on");

    let errors = h.errors();
    assert!(
        errors
            .iter()
            .any(|e| e.to_string().contains("ScriptLimits::max_spawns_per_frame")),
        "{errors:?}"
    );
    let total = errors
        .iter()
        .find(|e| e.to_string().contains("ScriptLimits::max_spawned_entities"))
        .expect("the total limit was hit");
    assert_eq!(total.location().path, "scripts/bomb.rhai");
    assert!(total.location().line.is_some(), "{total}");

    // Despawning makes room again.
    let world = h.app.world_mut();
    let bombs: Vec<Entity> = world
        .query_filtered::<Entity, With<SpawnedByScript>>()
        .iter(world)
        .collect();
    for bomb in bombs.into_iter().take(10) {
        world.despawn(bomb);
    }
    assert_eq!(spawned(&mut h.app), 90);
    h.spawn("scripts/bomb.rhai");
    h.updates(10);
    assert_eq!(spawned(&mut h.app), 100, "the freed room filled up again");
}
