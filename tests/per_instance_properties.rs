//! Per-instance properties: one entity's own value for a script's
//! top-level variable, set before `init()`, editable through reflection
//! while the game runs, and kept across reloads.

mod common;

use bevy::prelude::*;
use bevy::reflect::{PartialReflect, ReflectMut};
use bevy_rhai_hot::prelude::*;
use common::Harness;

const MOVER: &str = r#"
let speed = 1.0;
let seen_at_init = 0.0;
let moved = 0.0;
fn init() { seen_at_init = speed; }
fn on_update() { moved += speed; }
"#;

/// An app with one entity running `MOVER`, its `Script` made by `with`,
/// once the script has started.
fn mover_with(with: impl FnOnce(Script) -> Script) -> (Harness, Entity) {
    let mut h = Harness::new();
    h.write("scripts/mover.rhai", MOVER);
    let script = h.load("scripts/mover.rhai");
    let entity = h.app.world_mut().spawn(with(Script::new(script))).id();
    h.run_until_ready(entity);
    (h, entity)
}

#[test]
fn a_property_overrides_the_default_before_init() {
    let mut h = Harness::new();
    h.write("scripts/mover.rhai", MOVER);
    let script = h.load("scripts/mover.rhai");
    let fast = h
        .app
        .world_mut()
        .spawn(Script::new(script.clone()).with_prop("speed", 4.0))
        .id();
    let plain = h.app.world_mut().spawn(Script::new(script)).id();
    h.run_until_ready(fast);
    h.run_until_ready(plain);
    assert_eq!(h.state::<f64>(fast, "seen_at_init"), Some(4.0));
    assert_eq!(h.state::<f64>(plain, "seen_at_init"), Some(1.0));
}

#[derive(serde::Serialize)]
struct Tuning {
    speed: f64,
}

#[test]
fn properties_come_from_any_serde_map() {
    let mut h = Harness::new();
    h.write("scripts/mover.rhai", MOVER);
    let script = h.load("scripts/mover.rhai");
    let entity = h
        .app
        .world_mut()
        .spawn(
            Script::new(script)
                .with_props(&Tuning { speed: 6.0 })
                .unwrap(),
        )
        .id();
    h.run_until_ready(entity);
    assert_eq!(h.state::<f64>(entity, "seen_at_init"), Some(6.0));
    let error = Script::new(Handle::default())
        .with_props(&[1, 2])
        .unwrap_err();
    assert!(error.contains("map"), "{error}");
}

#[test]
fn scripts_spawn_with_properties() {
    let mut h = Harness::new();
    h.write("scripts/mover.rhai", MOVER);
    h.write(
        "scripts/spawner.rhai",
        "let child = ();\nfn init() { child = spawn_script(\"scripts/mover.rhai\", #{ speed: 7.0 }); }\n",
    );
    let spawner = h.spawn("scripts/spawner.rhai");
    h.run_until_ready(spawner);
    let child: Entity = h
        .app
        .world()
        .get::<ScriptState>(spawner)
        .unwrap()
        .get("child")
        .unwrap()
        .clone()
        .cast();
    h.run_until_ready(child);
    assert_eq!(h.state::<f64>(child, "seen_at_init"), Some(7.0));
}

#[test]
fn editing_a_property_through_reflection_reaches_the_script_next_frame() {
    let (mut h, entity) = mover_with(|script| script.with_prop("speed", 2.0));
    let moved: f64 = h.state(entity, "moved").unwrap();

    // As an inspector would: through the type registry, by field name.
    let registry = h.app.world().resource::<AppTypeRegistry>().clone();
    let registry = registry.read();
    let reflect = registry
        .get_with_short_type_path("Script")
        .unwrap()
        .data::<ReflectComponent>()
        .unwrap()
        .clone();
    let mut script = reflect
        .reflect_mut(h.app.world_mut().entity_mut(entity))
        .unwrap();
    let ReflectMut::Struct(fields) = script.reflect_mut() else {
        panic!("Script reflects as a struct");
    };
    let ReflectMut::Map(props) = fields.field_mut("props").unwrap().reflect_mut() else {
        panic!("props reflect as a map");
    };
    props
        .get_mut(&"speed".to_string())
        .unwrap()
        .apply(PropValue::Float(10.0).as_partial_reflect());
    drop(registry);

    h.update();
    assert_eq!(h.state::<f64>(entity, "speed"), Some(10.0));
    assert_eq!(h.state::<f64>(entity, "moved"), Some(moved + 10.0));
}

#[test]
fn reloads_keep_overridden_values_and_edits_only_touch_edited_props() {
    let mut h = Harness::new();
    h.write("scripts/mover.rhai", MOVER);
    let script = h.load("scripts/mover.rhai");
    let entity = h
        .app
        .world_mut()
        .spawn(
            Script::new(script)
                .with_prop("speed", 3.0)
                .with_prop("moved", 100.0),
        )
        .id();
    h.run_until_ready(entity);
    // A replace with a new default for `speed` keeps this entity's value.
    h.edit(
        "scripts/mover.rhai",
        &MOVER.replace("let speed = 1.0;", "let speed = 9.0;"),
    );
    h.run_until_reloads(1);
    assert_eq!(h.reloads()[0].kind, ReloadKind::Replaced);
    assert_eq!(h.state::<f64>(entity, "speed"), Some(3.0));
    // Changing one property leaves the script's own changes to others.
    let moved: f64 = h.state(entity, "moved").unwrap();
    assert!(moved > 100.0);
    h.app
        .world_mut()
        .get_mut::<Script>(entity)
        .unwrap()
        .props
        .insert("speed".into(), PropValue::Float(5.0));
    h.update();
    assert_eq!(h.state::<f64>(entity, "moved"), Some(moved + 5.0));
}

#[test]
fn a_property_no_variable_has_is_reported() {
    let (mut h, _) = mover_with(|script| script.with_prop("sped", 3.0));
    h.updates(3);
    let errors = h.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message().contains("'sped'"), "{}", errors[0]);
}
