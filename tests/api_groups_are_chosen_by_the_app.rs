//! The app chooses which groups of script functions scripts get; a group
//! left out is missing for scripts, and the app may put its own in place.

mod common;

use bevy_rhai_hot::prelude::*;
use common::Harness;

const MOVER: &str = r#"
let length = 0.0;
fn init() { length = vec3(3.0, 4.0, 0.0).length(); }
fn on_update() {
    let t = transform();
    t.translation.x += 1.0;
    set_transform(t);
}
"#;

#[test]
fn a_group_left_out_is_missing_for_scripts() {
    let plugin = RhaiPlugin::default().with_api([ScriptApi::Math]);
    let mut h = Harness::with(plugin, |_| {});
    h.write("scripts/mover.rhai", MOVER);
    let entity = h.spawn("scripts/mover.rhai");
    h.run_until_ready(entity);
    // Math is there.
    assert_eq!(h.state::<f64>(entity, "length"), Some(5.0));
    // Transform is not: on_update fails where it calls transform().
    let error = h.errors().first().expect("transform() is missing");
    assert!(error.message().contains("transform"), "{error}");
    assert_eq!(error.location().line, Some(5), "{error}");
}

#[test]
fn the_app_registers_its_own_function_in_place_of_a_group() {
    let plugin = RhaiPlugin::default()
        .with_api([ScriptApi::Math])
        .with_engine(|engine| {
            // A sandbox's own, harmless `transform()`.
            engine.register_fn("transform", || 7_i64);
        });
    let mut h = Harness::with(plugin, |_| {});
    h.write(
        "scripts/sandboxed.rhai",
        "let t = 0;\nfn init() { t = transform(); }\n",
    );
    let entity = h.spawn("scripts/sandboxed.rhai");
    h.run_until_ready(entity);
    assert_eq!(h.state::<i64>(entity, "t"), Some(7));
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}

#[test]
fn every_group_is_there_by_default() {
    let mut h = Harness::new();
    h.write("scripts/mover.rhai", MOVER);
    let entity = h.spawn("scripts/mover.rhai");
    h.run_until_ready(entity);
    h.update();
    let x = h
        .app
        .world()
        .get::<bevy::prelude::Transform>(entity)
        .unwrap()
        .translation
        .x;
    assert_eq!(x, 2.0);
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}
