//! Scripts on entities: the [`Script`] component that attaches them and the
//! [`ScriptState`] component that holds each script's per-entity state.

use std::sync::Arc;

use bevy::platform::collections::HashMap;

use bevy::prelude::*;
use rhai::{Dynamic, Scope};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::script::saved::{map_entities_in, saved_vars};
use bevy::ecs::entity::{EntityMapper, MapEntities};

use crate::asset::RhaiScript;
use crate::script::CompiledScript;
use crate::script::timers::Timers;

/// Attaches one or more scripts to an entity.
///
/// Spawning an entity with it is all it takes: the plugin gives the entity a
/// [`ScriptState`], and once all its scripts have compiled it calls each
/// script's `init()` and from then on routes events to them. Several scripts
/// run in the order they are listed here, each with its own state, for every
/// handler. Removing the component or despawning the entity calls
/// `on_detach()`.
///
/// ```
/// # use bevy::prelude::*;
/// # use bevy_rhai_hot::prelude::*;
/// fn spawn_enemy(mut commands: Commands, assets: Res<AssetServer>) {
///     commands.spawn((
///         Script::new(assets.load("scripts/enemy.rhai")).with(assets.load("scripts/loot.rhai")),
///         Transform::default(),
///     ));
/// }
/// ```
///
/// ## Per-instance properties
///
/// [`Script::with_prop`] gives one entity its own value for a script's
/// top-level variable, set before `init()` runs: the same enemy script can
/// run fast on one entity and slow on another. The properties are a
/// reflected field of this component, so an inspector can show and edit
/// them while the game runs; an edited value reaches the script's variable
/// before the next `on_update`. A reload keeps them, like all state.
#[derive(Component, Clone, Debug, Reflect)]
#[reflect(Component, Clone, Debug)]
#[require(ScriptState)]
pub struct Script {
    handles: Vec<Handle<RhaiScript>>,
    /// Values for the scripts' top-level variables on this entity.
    pub props: HashMap<String, PropValue>,
}

/// A per-instance property value (see [`Script::with_prop`]).
#[derive(Clone, Debug, PartialEq, Reflect, Serialize, Deserialize)]
pub enum PropValue {
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A number.
    Float(f64),
    /// A string.
    Text(String),
    /// A vector.
    Vec3(Vec3),
}

impl PropValue {
    /// The value as scripts see it.
    pub fn to_dynamic(&self) -> Dynamic {
        match self {
            Self::Bool(value) => (*value).into(),
            Self::Int(value) => (*value).into(),
            Self::Float(value) => (*value).into(),
            Self::Text(value) => value.clone().into(),
            Self::Vec3(value) => Dynamic::from(*value),
        }
    }

    /// A script value as a property, if it is one of the kinds above.
    pub fn from_dynamic(value: &Dynamic) -> Option<Self> {
        if let Ok(value) = value.as_bool() {
            return Some(Self::Bool(value));
        }
        if let Ok(value) = value.as_int() {
            return Some(Self::Int(value));
        }
        if let Ok(value) = value.as_float() {
            return Some(Self::Float(value));
        }
        if let Some(value) = value.read_lock::<rhai::ImmutableString>() {
            return Some(Self::Text(value.to_string()));
        }
        value.read_lock::<Vec3>().map(|value| Self::Vec3(*value))
    }
}

impl From<bool> for PropValue {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl From<i64> for PropValue {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<f64> for PropValue {
    fn from(value: f64) -> Self {
        Self::Float(value)
    }
}

impl From<&str> for PropValue {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<String> for PropValue {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<Vec3> for PropValue {
    fn from(value: Vec3) -> Self {
        Self::Vec3(value)
    }
}

impl Script {
    /// Attaches one script.
    pub fn new(script: Handle<RhaiScript>) -> Self {
        Self {
            handles: vec![script],
            props: HashMap::default(),
        }
    }

    /// Sets this entity's value of the scripts' top-level variable `name`
    /// (see [Per-instance properties](Script#per-instance-properties)).
    ///
    /// ```
    /// # use bevy::prelude::*;
    /// # use bevy_rhai_hot::prelude::*;
    /// fn spawn(mut commands: Commands, assets: Res<AssetServer>) {
    ///     // scripts/enemy.rhai starts with `let speed = 2.0;`
    ///     commands.spawn(Script::new(assets.load("scripts/enemy.rhai")).with_prop("speed", 4.0));
    /// }
    /// ```
    #[must_use]
    pub fn with_prop(mut self, name: impl Into<String>, value: impl Into<PropValue>) -> Self {
        self.props.insert(name.into(), value.into());
        self
    }

    /// Sets several properties at once from anything that serializes to a
    /// map (a struct, a `HashMap`, a `rhai::Map`): each field is a property.
    ///
    /// ```
    /// # use bevy_rhai_hot::prelude::*;
    /// #[derive(serde::Serialize)]
    /// struct Tuning {
    ///     speed: f64,
    ///     name: String,
    /// }
    /// # let handle = Default::default();
    /// let script = Script::new(handle)
    ///     .with_props(&Tuning { speed: 4.0, name: "scout".into() })
    ///     .expect("a map of numbers and strings");
    /// ```
    ///
    /// Fails, naming the field, when `props` is not a map or a field is not
    /// a bool, integer, number, string or `Vec3`.
    pub fn with_props(mut self, props: &impl Serialize) -> Result<Self, String> {
        let value = rhai::serde::to_dynamic(props).map_err(|error| error.to_string())?;
        let map = value
            .try_cast::<rhai::Map>()
            .ok_or("properties must serialize to a map")?;
        for (name, value) in map {
            let prop = PropValue::from_dynamic(&value).ok_or_else(|| {
                format!(
                    "the property '{name}' is a {}; properties are bools, integers, numbers, \
                     strings or Vec3",
                    value.type_name()
                )
            })?;
            self.props.insert(name.to_string(), prop);
        }
        Ok(self)
    }

    /// Attaches another script, which runs after the ones before it.
    #[must_use]
    pub fn with(mut self, script: Handle<RhaiScript>) -> Self {
        self.handles.push(script);
        self
    }

    /// The attached scripts, in the order they run.
    pub fn handles(&self) -> &[Handle<RhaiScript>] {
        &self.handles
    }
}

/// The state of every script on an entity: the values of each script's
/// top-level `let` variables for this entity.
///
/// It survives reloads, can be read from Rust, and serializes with serde so
/// that a save game can store it. Inserting a deserialized `ScriptState`
/// together with the [`Script`] restores the variables: `init()` does not
/// run again for scripts that had already started.
///
/// While the plugin's systems run scripts, the state of the entities they
/// run for is taken out of this component; read it from your own systems,
/// not from native functions called by scripts.
///
/// It is registered for reflection as an opaque value that serializes
/// with serde: inspectors, scenes and Bevy's remote protocol see it.
#[derive(Component, Default, Debug, Clone, Serialize, Deserialize, Reflect)]
#[component(map_entities)]
#[reflect(opaque)]
#[reflect(Component, Default, Debug, Clone, Serialize, Deserialize)]
pub struct ScriptState {
    pub(crate) slots: Slots,
}

/// The entities a script keeps in its state (an `Entity` in a variable, in
/// an array or map, in a timer's payload) are mapped like any component's:
/// Bevy's scenes do it when they spawn, and a save game loaded by hand
/// calls [`MapEntities::map_entities`] with the old-to-new map.
impl MapEntities for ScriptState {
    fn map_entities<M: EntityMapper>(&mut self, mapper: &mut M) {
        for slot in &mut self.slots {
            let names: Vec<String> = slot
                .vars
                .iter_raw()
                .map(|(name, ..)| name.to_owned())
                .collect();
            for name in names {
                if let Some(value) = slot.vars.get_mut(&name) {
                    map_entities_in(value, mapper);
                }
            }
            slot.timers.map_entities(mapper);
        }
    }
}

impl ScriptState {
    /// The value of state variable `name`, from the first script that has it.
    pub fn get(&self, name: &str) -> Option<&Dynamic> {
        self.slots.iter().find_map(|slot| slot.vars.get(name))
    }

    /// The value of state variable `name`, converted with serde.
    pub fn get_as<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        rhai::serde::from_dynamic(self.get(name)?).ok()
    }

    /// Sets state variable `name` in the first script that has it. Returns
    /// `false` when no script on the entity has such a variable.
    pub fn set(&mut self, name: &str, value: Dynamic) -> bool {
        match self
            .slots
            .iter_mut()
            .find_map(|slot| slot.vars.get_mut(name))
        {
            Some(slot_value) => {
                *slot_value = value;
                true
            }
            None => false,
        }
    }

    /// Each attached script's path and variables, in run order. A script
    /// that has not started yet has an empty path.
    pub fn scripts(&self) -> impl Iterator<Item = (&str, &Scope<'static>)> {
        self.slots
            .iter()
            .map(|slot| (slot.path.as_str(), &slot.vars))
    }

    /// The version of each attached script that this entity runs, in run
    /// order (`None` for a script that has not compiled yet).
    pub fn running_versions(&self) -> impl Iterator<Item = Option<&Arc<CompiledScript>>> {
        self.slots.iter().map(|slot| slot.compiled.as_ref())
    }

    /// Whether every attached script has compiled and started.
    pub fn is_ready(&self) -> bool {
        self.slots.iter().all(|slot| slot.compiled.is_some())
    }
}

/// An entity's scripts, in run order. Most entities have one, which then
/// lives inside the component itself: no pointer to chase per call.
/// An entity's scripts. On the heap, so that taking them out of the ECS for
/// the `on_update` pass and putting them back moves a pointer, not the
/// slots.
pub(crate) type Slots = Vec<ScriptSlot>;

/// One script on one entity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ScriptSlot {
    pub(crate) path: String,
    /// `None` for a slot restored from a save, until it is matched to a handle.
    #[serde(skip)]
    pub(crate) id: Option<AssetId<RhaiScript>>,
    /// The live version this entity runs; `None` until the script first compiles.
    #[serde(skip)]
    pub(crate) compiled: Option<Arc<CompiledScript>>,
    /// Whether `init()` has run.
    pub(crate) started: bool,
    /// Timers this script set on this entity (`after`, `every`).
    #[serde(default)]
    pub(crate) timers: Timers,
    /// The property values last written into `vars`, so that only edited
    /// properties are written again.
    #[serde(default)]
    pub(crate) applied_props: HashMap<String, PropValue>,
    /// Whether the plugin said that this slot's handle will never load.
    #[serde(skip)]
    pub(crate) reported_unloadable: bool,
    /// Handlers whose last call on this entity failed (their errors are in
    /// `CurrentScriptErrors`); empty on the usual path.
    #[serde(skip)]
    pub(crate) failing: Vec<String>,
    /// Events (handler and payload) that reached the entity before this
    /// script started: they run right after `init()`.
    #[serde(skip)]
    pub(crate) early_events: Vec<(String, rhai::Dynamic)>,
    #[serde(with = "saved_vars")]
    pub(crate) vars: Scope<'static>,
}

impl ScriptSlot {
    pub(crate) fn new(handle: &Handle<RhaiScript>) -> Self {
        Self {
            // Filled in from the compiled script when it starts: formatting
            // the handle's path for each of thousands of spawns is not free.
            path: String::new(),
            id: Some(handle.id()),
            compiled: None,
            started: false,
            timers: Timers::default(),
            applied_props: HashMap::default(),
            reported_unloadable: false,
            failing: Vec::new(),
            early_events: Vec::new(),
            vars: Scope::new(),
        }
    }

    pub(crate) fn is_for(&self, handle: &Handle<RhaiScript>) -> bool {
        match self.id {
            Some(id) => id == handle.id(),
            None => handle
                .path()
                .is_some_and(|path| path.to_string() == self.path),
        }
    }

    /// Writes the properties that differ from those last written; returns
    /// the names no variable of this script has.
    pub(crate) fn apply_props<'a>(
        &mut self,
        props: &'a HashMap<String, PropValue>,
    ) -> Vec<&'a str> {
        let mut unknown = Vec::new();
        for (name, value) in props {
            if self.applied_props.get(name) == Some(value) {
                continue;
            }
            match self.vars.get_mut(name) {
                Some(var) => {
                    *var = value.to_dynamic();
                    self.applied_props.insert(name.clone(), value.clone());
                }
                None => unknown.push(name.as_str()),
            }
        }
        unknown
    }

    /// Gives the slot a new live version: existing variables keep their
    /// values and variables the new version adds start at their defaults.
    pub(crate) fn install(&mut self, compiled: Arc<CompiledScript>) {
        if self.path.is_empty() {
            self.path = compiled.path().to_owned();
        }
        if self.vars.is_empty() {
            self.vars = compiled.defaults().clone();
        }
        for (name, _, value) in compiled.defaults().iter_raw() {
            if !self.vars.contains(name) {
                self.vars.push_dynamic(name.to_owned(), value.clone());
            }
        }
        self.compiled = Some(compiled);
    }
}

/// Entities with a script that has not started yet, in the order their
/// scripts were attached. A list, not a marker component: starting 10,000
/// entities then moves none of them between archetypes.
#[derive(Resource, Default)]
pub(crate) struct PendingScripts(pub(crate) Vec<Entity>);
