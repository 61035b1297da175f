#![cfg(feature = "definitions")]
//! `RhaiPlugin::write_definitions` writes a Rhai definitions file for the
//! engine the plugin builds: every function of the script API and the
//! app's own, for completion in an editor.

use bevy::asset::AssetPlugin;
use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;

#[test]
fn the_definitions_file_names_every_api_function_and_the_apps_own() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("api.d.rhai");
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path: dir.path().to_string_lossy().into_owned(),
            ..default()
        },
        RhaiPlugin::default()
            .with_engine(|engine| {
                engine.register_fn("play_sound", |_name: &str| {});
            })
            .write_definitions(&file),
    ));
    app.finish();
    app.cleanup();

    let definitions = std::fs::read_to_string(&file).expect("the definitions were written");
    if std::env::var_os("SHOW_DEFS").is_some() {
        println!("{definitions}");
    }
    let api = [
        // Entity, Transform, Math, Time
        "entity",
        "spawn_script",
        "despawn",
        "transform",
        "set_transform",
        "transform_from_xyz",
        "vec2",
        "vec3",
        "rgb",
        "rgba",
        "quat_from_rotation_z",
        "elapsed_secs",
        "delta_secs",
        // Messages, Timers, Input
        "send",
        "emit",
        "emit_all",
        "trigger",
        "after",
        "every",
        "cancel",
        "key_pressed",
        "key_just_pressed",
        "key_just_released",
        "mouse_pressed",
        "mouse_just_pressed",
        "mouse_just_released",
        // ECS
        "query",
        "query_one",
        "resource",
        "spawn_with",
        "spawn_entity",
        "has",
        "exists",
        "insert",
        "remove",
        "value",
        // The app's own
        "play_sound",
    ];
    let missing: Vec<&str> = api
        .iter()
        .filter(|name| !definitions.contains(&format!("fn {name}(")))
        .copied()
        .collect();
    assert!(
        missing.is_empty(),
        "missing from the definitions: {missing:?}"
    );
    assert!(
        definitions.contains("fn key_pressed(_: string) -> ?;")
            && !definitions.contains("EvalAltResult"),
        "fallible functions return any value, not a mangled type name"
    );
}

#[test]
fn a_file_that_cannot_be_written_does_not_stop_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path: dir.path().to_string_lossy().into_owned(),
            ..default()
        },
        RhaiPlugin::default().write_definitions(dir.path().join("no/such/folder/api.d.rhai")),
    ));
    app.finish();
    app.cleanup();
    app.update();
    assert!(app.world().contains_resource::<RhaiEngine>());
}
