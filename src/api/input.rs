//! Keyboard and mouse buttons for scripts, read from Bevy's
//! `ButtonInput<KeyCode>` and `ButtonInput<MouseButton>`.
//!
//! Buttons are named as Bevy names their variants (`"Space"`, `"KeyW"`,
//! `"ArrowLeft"`, `"ShiftLeft"`, `"Left"` for the mouse), ignoring case, and
//! a key may also be named by its letter or digit (`"W"`, `"1"`) or, for the
//! arrows, by its direction (`"Up"`). An app without Bevy's `InputPlugin`
//! (a headless server, a test) has no buttons: every one reads as released.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::LazyLock;

use bevy::input::ButtonInput;
use bevy::input::keyboard::KeyCode;
use bevy::input::mouse::MouseButton;
use bevy::prelude::*;
use bevy::reflect::enums::{DynamicEnum, DynamicVariant, VariantInfo};
use bevy::reflect::{TypeInfo, Typed};
use rhai::Engine;

use super::{ScriptResult, did_you_mean};
use crate::engine::read_world;

/// Every key by its lower-cased name, with the letter, digit and arrow
/// aliases.
static KEYS: LazyLock<ButtonNames<KeyCode>> = LazyLock::new(|| {
    let mut names = ButtonNames::<KeyCode>::from_variants();
    let aliases: Vec<(String, KeyCode)> = names
        .by_name
        .iter()
        .filter_map(|(name, key)| {
            let alias = name
                .strip_prefix("key")
                .or_else(|| name.strip_prefix("digit"))
                .or_else(|| name.strip_prefix("arrow"))?;
            Some((alias.to_owned(), *key))
        })
        .collect();
    for (alias, key) in aliases {
        names.by_name.entry(alias).or_insert(key);
    }
    names
});

static MOUSE_BUTTONS: LazyLock<ButtonNames<MouseButton>> =
    LazyLock::new(ButtonNames::<MouseButton>::from_variants);

/// The buttons of one type by name, built from the type's reflected unit
/// variants, so that every button Bevy knows is there by the name Bevy
/// gives it.
struct ButtonNames<T> {
    by_name: HashMap<String, T>,
    /// The variant names as Bevy spells them, for suggestions.
    spelled: Vec<&'static str>,
    what: &'static str,
}

impl<T: Typed + FromReflect + Copy> ButtonNames<T> {
    fn from_variants() -> Self {
        let TypeInfo::Enum(info) = T::type_info() else {
            unreachable!("button types are enums");
        };
        let spelled: Vec<&'static str> = info
            .iter()
            .filter(|variant| matches!(variant, VariantInfo::Unit(_)))
            .map(VariantInfo::name)
            .collect();
        let by_name = spelled
            .iter()
            .filter_map(|name| {
                let button = T::from_reflect(&DynamicEnum::new(*name, DynamicVariant::Unit))?;
                Some((name.to_lowercase(), button))
            })
            .collect();
        Self {
            by_name,
            spelled,
            what: info.type_path_table().short_path(),
        }
    }

    fn get(&self, name: &str) -> ScriptResult<T> {
        if let Some(button) = self.by_name.get(&name.to_lowercase()) {
            return Ok(*button);
        }
        let hint = did_you_mean(name, self.spelled.iter().copied()).unwrap_or_else(|| {
            format!(
                "names are {}'s variants, such as {}",
                self.what,
                self.spelled[..4].join(", ")
            )
        });
        Err(format!("no {} named '{name}'; {hint}", self.what).into())
    }
}

/// Reads one button's state from `ButtonInput<T>`; released when the app
/// has no such resource.
fn button<T: Typed + FromReflect + Copy + Eq + Hash + Send + Sync + 'static>(
    names: &ButtonNames<T>,
    name: &str,
    state: fn(&ButtonInput<T>, T) -> bool,
) -> ScriptResult<bool> {
    let button = names.get(name)?;
    read_world(|world, _| {
        world
            .get_resource::<ButtonInput<T>>()
            .is_some_and(|input| state(input, button))
    })
}

pub(super) fn register(engine: &mut Engine) {
    engine
        .register_fn("key_pressed", |name: &str| {
            button(&KEYS, name, ButtonInput::pressed)
        })
        .register_fn("key_just_pressed", |name: &str| {
            button(&KEYS, name, ButtonInput::just_pressed)
        })
        .register_fn("key_just_released", |name: &str| {
            button(&KEYS, name, ButtonInput::just_released)
        })
        .register_fn("mouse_pressed", |name: &str| {
            button(&MOUSE_BUTTONS, name, ButtonInput::pressed)
        })
        .register_fn("mouse_just_pressed", |name: &str| {
            button(&MOUSE_BUTTONS, name, ButtonInput::just_pressed)
        })
        .register_fn("mouse_just_released", |name: &str| {
            button(&MOUSE_BUTTONS, name, ButtonInput::just_released)
        });
}
