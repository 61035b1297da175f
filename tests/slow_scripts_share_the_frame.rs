//! `ScriptLimits::max_update_time` bounds the time all `on_update` calls
//! take in one frame: past it, the remaining entities wait, and they go
//! first in the next frame, so every entity keeps getting its turn. A zero
//! budget makes the test independent of the machine's speed: the plugin
//! looks at the clock every 8 entities, so 8 run per frame.

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use common::Harness;

fn calls(h: &Harness, entities: &[Entity]) -> Vec<i64> {
    entities
        .iter()
        .map(|entity| h.state::<i64>(*entity, "calls").unwrap())
        .collect()
}

#[test]
fn entities_over_the_budget_wait_and_go_first_next_frame() {
    let limits = ScriptLimits {
        max_update_time: std::time::Duration::ZERO,
        ..Default::default()
    };
    let mut h = Harness::with(RhaiPlugin::default().with_limits(limits), |_| {});
    // No `on_update` until the file changes, so that all start together.
    h.write("scripts/slow.rhai", "let calls = 0;\n");
    let entities: Vec<Entity> = (0..20).map(|_| h.spawn("scripts/slow.rhai")).collect();
    for entity in &entities {
        h.run_until_ready(*entity);
    }
    let (after_first, logs) = common::capture_logs(|| {
        h.edit(
            "scripts/slow.rhai",
            "let calls = 0;\nfn on_update() { calls += 1; }\n",
        );
        h.run_until("on_update runs", |world| {
            let mut states = world.query::<&ScriptState>();
            states
                .iter(world)
                .any(|state| state.get_as::<i64>("calls").unwrap_or(0) > 0)
        });
        let after_first: i64 = calls(&h, &entities).iter().sum();
        h.updates(4);
        after_first
    });
    assert_eq!(after_first, 8, "8 entities ran, then the budget was spent");

    // 40 calls later, every entity had exactly its share: nobody starves.
    let counts = calls(&h, &entities);
    assert_eq!(counts.iter().sum::<i64>(), 40);
    assert!(counts.iter().all(|calls| *calls == 2), "{counts:?}");
    let warnings: Vec<_> = logs
        .iter()
        .filter(|(_, line)| line.contains("ScriptLimits::max_update_time"))
        .collect();
    assert_eq!(
        warnings.len(),
        1,
        "warned once, not every frame: {warnings:?}"
    );
}
