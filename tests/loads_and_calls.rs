//! A script loads through the asset server, `init()` runs once, then
//! `on_update(dt)` runs every frame on the entity's own state.

mod common;

use bevy::prelude::*;
use common::{FRAME, Harness};

const MOVER: &str = r#"
let x = 0.0;
let inits = 0;

fn init() {
    inits += 1;
    x = 10.0;
}

fn on_update(dt) {
    x += 2.0 * dt;
    let t = transform();
    t.translation.x = x;
    set_transform(t);
}
"#;

#[test]
fn init_runs_once_then_on_update_every_frame() {
    let mut h = Harness::new();
    h.write("scripts/mover.rhai", MOVER);
    let entity = h.spawn("scripts/mover.rhai");

    h.run_until_ready(entity);
    // The frame that started the script also ran on_update once.
    assert_eq!(h.state::<i64>(entity, "inits"), Some(1));
    let after_start: f64 = h.state(entity, "x").unwrap();
    let dt = FRAME.as_secs_f64();
    assert!(
        (after_start - (10.0 + 2.0 * dt)).abs() < 1e-9,
        "x = {after_start}"
    );

    h.updates(5);
    let x: f64 = h.state(entity, "x").unwrap();
    assert!((x - (10.0 + 12.0 * dt)).abs() < 1e-9, "x = {x}");
    assert_eq!(h.state::<i64>(entity, "inits"), Some(1));

    let translation = h.app.world().get::<Transform>(entity).unwrap().translation;
    assert!((translation.x as f64 - x).abs() < 1e-4);
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}

#[test]
fn transform_writes_are_seen_by_later_systems_in_the_same_frame() {
    #[derive(Resource, Default)]
    struct SeenX(Vec<f32>);

    let mut h = Harness::with(Default::default(), |app| {
        app.init_resource::<SeenX>().add_systems(
            Update,
            (|query: Query<&Transform>, mut seen: ResMut<SeenX>| {
                seen.0.extend(query.iter().map(|t| t.translation.x));
            })
            .after(bevy_rhai_hot::RhaiSystems::Update),
        );
    });
    h.write(
        "scripts/step.rhai",
        "fn on_update() { let t = transform(); t.translation.x += 1.0; set_transform(t); }",
    );
    let entity = h.spawn("scripts/step.rhai");
    h.run_until_ready(entity);
    h.updates(2);
    let seen = &h.app.world().resource::<SeenX>().0;
    let last = *seen.last().unwrap();
    let now = h
        .app
        .world()
        .get::<Transform>(entity)
        .unwrap()
        .translation
        .x;
    assert_eq!(
        last, now,
        "the system after RhaiSystems::Update saw this frame's write"
    );
    assert!(now >= 3.0);
}
