//! Scripts read the keyboard and mouse by button name, from the state Bevy's
//! `InputPlugin` builds out of input messages; unknown names are errors that
//! suggest the right one, and an app without input reads every button as
//! released.

mod common;

use bevy::input::ButtonState;
use bevy::input::InputPlugin;
use bevy::input::keyboard::{Key, KeyboardInput};
use bevy::input::mouse::MouseButtonInput;
use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use common::Harness;

const READER: &str = r#"
let log = [];
fn on_update(dt) {
    let now = [];
    if key_pressed("Space") { now.push("space"); }
    if key_just_pressed("Space") { now.push("space!"); }
    if key_just_released("space") { now.push("space^"); }
    if key_pressed("W") { now.push("w"); }
    if key_pressed("Up") { now.push("up"); }
    if mouse_just_pressed("Left") { now.push("click"); }
    log.push(now);
}
"#;

fn key(app: &mut App, key_code: KeyCode, state: ButtonState) {
    app.world_mut().write_message(KeyboardInput {
        key_code,
        logical_key: Key::Unidentified(bevy::input::keyboard::NativeKey::Unidentified),
        state,
        text: None,
        repeat: false,
        window: Entity::PLACEHOLDER,
    });
}

fn log(h: &Harness, entity: Entity) -> Vec<String> {
    let state = h.app.world().get::<ScriptState>(entity).unwrap();
    let log = state.get("log").unwrap().clone().into_array().unwrap();
    log.iter().map(ToString::to_string).collect()
}

#[test]
fn keys_and_buttons_follow_input_messages() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.add_plugins(InputPlugin);
    });
    h.write("scripts/reader.rhai", READER);
    let reader = h.spawn("scripts/reader.rhai");
    h.run_until_ready(reader);
    let before = log(&h, reader).len();

    key(&mut h.app, KeyCode::Space, ButtonState::Pressed);
    key(&mut h.app, KeyCode::KeyW, ButtonState::Pressed);
    h.app.world_mut().write_message(MouseButtonInput {
        button: MouseButton::Left,
        state: ButtonState::Pressed,
        window: Entity::PLACEHOLDER,
    });
    h.update();
    h.update();
    key(&mut h.app, KeyCode::Space, ButtonState::Released);
    key(&mut h.app, KeyCode::KeyW, ButtonState::Released);
    key(&mut h.app, KeyCode::ArrowUp, ButtonState::Pressed);
    h.update();
    h.update();

    assert_eq!(
        &log(&h, reader)[before..],
        [
            r#"["space", "space!", "w", "click"]"#,
            r#"["space", "w"]"#,
            r#"["space^", "up"]"#,
            r#"["up"]"#,
        ]
    );
}

#[test]
fn an_unknown_button_names_the_closest_ones() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.add_plugins(InputPlugin);
    });
    h.write(
        "scripts/typo.rhai",
        "fn on_update(dt) {\n    key_pressed(\"Spcae\");\n}\n",
    );
    let typo = h.spawn("scripts/typo.rhai");
    h.run_until_ready(typo);
    h.run_until_errors(1);
    let error = h.errors()[0].to_string();
    assert!(
        error.contains("no KeyCode named 'Spcae'") && error.contains("did you mean Space"),
        "{error}"
    );
    assert!(
        error.contains("typo.rhai:2:"),
        "the error names the line: {error}"
    );
}

#[test]
fn without_input_plugin_every_button_is_released() {
    let mut h = Harness::new();
    h.write(
        "scripts/headless.rhai",
        "let pressed = ();\nfn on_update(dt) { pressed = key_pressed(\"Space\") || mouse_pressed(\"Right\"); }\n",
    );
    let headless = h.spawn("scripts/headless.rhai");
    h.run_until_ready(headless);
    h.update();
    assert_eq!(h.state::<bool>(headless, "pressed"), Some(false));
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}
