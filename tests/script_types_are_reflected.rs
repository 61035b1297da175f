//! `Script` and `ScriptState` are registered for reflection, so inspectors,
//! scenes and Bevy's remote protocol see them; the state reflects as its
//! serde form.

mod common;

use bevy::prelude::*;
use bevy::reflect::serde::TypedReflectSerializer;
use common::Harness;

#[test]
fn script_and_state_are_reflected_components() {
    let mut h = Harness::new();
    h.write(
        "scripts/counter.rhai",
        "let hits = 41;\nfn init() { hits += 1; }\n",
    );
    let entity = h.spawn("scripts/counter.rhai");
    h.run_until_ready(entity);

    let registry = h.app.world().resource::<AppTypeRegistry>().clone();
    let registry = registry.read();
    for name in ["Script", "ScriptState"] {
        let registration = registry
            .get_with_short_type_path(name)
            .unwrap_or_else(|| panic!("{name} is registered"));
        let component = registration
            .data::<ReflectComponent>()
            .unwrap_or_else(|| panic!("{name} reflects as a component"));
        assert!(component.contains(h.app.world().entity(entity)), "{name}");
    }

    let state = registry
        .get_with_short_type_path("ScriptState")
        .unwrap()
        .data::<ReflectComponent>()
        .unwrap()
        .reflect(h.app.world().entity(entity))
        .unwrap();
    let json = serde_json::to_string(&TypedReflectSerializer::new(state, &registry)).unwrap();
    assert!(json.contains("hits") && json.contains("42"), "{json}");
}
