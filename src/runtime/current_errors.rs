//! The script errors that hold now, one per place: what an on-screen error
//! list or an editor integration shows, without reading every frame's
//! messages.

use std::collections::HashMap;

use bevy::prelude::*;

use crate::script::ScriptError;

/// Every script error that holds now, one per place: a script file that
/// does not compile (or could not be read), and each handler that failed
/// on an entity the last time it ran.
///
/// An error goes away when it stops holding: the file compiles again, or
/// the handler next runs without an error on that entity (or the entity or
/// its script goes away). The plugin changes the resource only when an
/// error comes, goes or changes its text, so `Res::is_changed` is a cheap
/// test for "something to redraw". [`ScriptError`] messages, by contrast,
/// are sent every time an error happens.
#[derive(Resource, Debug, Default)]
pub struct CurrentScriptErrors {
    errors: HashMap<ErrorPlace, ScriptError>,
}

/// Where an error holds: a whole file, or one handler on one entity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ErrorPlace {
    /// The script's asset path.
    pub path: String,
    /// The entity, for a runtime error.
    pub entity: Option<Entity>,
    /// The handler the plugin called, for a runtime error.
    pub function: Option<String>,
}

impl ErrorPlace {
    /// The place of a compile or load error: the file.
    pub fn file(path: &str) -> Self {
        Self {
            path: path.to_owned(),
            entity: None,
            function: None,
        }
    }

    /// The place of a runtime error: a handler on an entity.
    pub fn handler(path: &str, entity: Entity, function: &str) -> Self {
        Self {
            path: path.to_owned(),
            entity: Some(entity),
            function: Some(function.to_owned()),
        }
    }
}

impl CurrentScriptErrors {
    /// The errors that hold now, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&ErrorPlace, &ScriptError)> {
        self.errors.iter()
    }

    /// The errors of one script file.
    pub fn for_script<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a ScriptError> {
        self.errors
            .iter()
            .filter(move |(place, _)| place.path == path)
            .map(|(_, error)| error)
    }

    /// The error at `place`, if one holds.
    pub fn get(&self, place: &ErrorPlace) -> Option<&ScriptError> {
        self.errors.get(place)
    }

    /// Whether no error holds.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// How many errors hold.
    pub fn len(&self) -> usize {
        self.errors.len()
    }
}

/// Records `error` at `place` (touching the resource only if it is new or
/// its text changed).
pub(crate) fn record(world: &mut World, place: ErrorPlace, error: &ScriptError) {
    let Some(current) = world.get_resource::<CurrentScriptErrors>() else {
        return;
    };
    if current.errors.get(&place) != Some(error) {
        let mut current = world.resource_mut::<CurrentScriptErrors>();
        current.errors.insert(place, error.clone());
    }
}

/// Clears the error at `place`; whether one held.
pub(crate) fn clear(world: &mut World, place: &ErrorPlace) -> bool {
    let holds = world
        .get_resource::<CurrentScriptErrors>()
        .is_some_and(|current| current.errors.contains_key(place));
    if holds {
        world
            .resource_mut::<CurrentScriptErrors>()
            .errors
            .remove(place);
    }
    holds
}

/// Clears a handler's error on `entity`, and says so once the handler runs
/// without errors on every entity that had one.
pub(crate) fn clear_handler(world: &mut World, path: &str, entity: Entity, function: &str) {
    if !clear(world, &ErrorPlace::handler(path, entity, function)) {
        return;
    }
    let still_failing = world
        .resource::<CurrentScriptErrors>()
        .errors
        .keys()
        .any(|place| place.path == path && place.function.as_deref() == Some(function));
    if !still_failing {
        info!("{path}: {function} runs without errors again");
    }
}

/// Clears every error of `entity` (it was despawned, or lost its scripts).
pub(crate) fn clear_entity(world: &mut World, entity: Entity) {
    let holds = world
        .get_resource::<CurrentScriptErrors>()
        .is_some_and(|current| {
            current
                .errors
                .keys()
                .any(|place| place.entity == Some(entity))
        });
    if holds {
        let mut current = world.resource_mut::<CurrentScriptErrors>();
        current
            .errors
            .retain(|place, _| place.entity != Some(entity));
    }
}
