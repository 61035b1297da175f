//! The functions scripts call, in groups that the app chooses with
//! [`RhaiPlugin::with_api`](crate::RhaiPlugin::with_api) (all by default).
//! Each group is a set-up applied to the engine before the app's own, so an
//! app may leave a group out or register its own functions in its place: a
//! sandboxed mod might get only [`ScriptApi::Math`] and
//! [`ScriptApi::Messages`].
//!
//! | Group | Rhai | does |
//! |---|---|---|
//! | [`Entity`](ScriptApi::Entity) | `entity()` | this script's entity |
//! | | `spawn_script(path)`, `spawn_script(path, transform)`, `spawn_script(path, #{ speed: 4.0 })`, `spawn_script(path, transform, props)` | spawns an entity running the script at `path` (`spawn` is a Rhai keyword), with per-instance properties; returns it |
//! | | `despawn()`, `despawn(e)` | despawns this or another entity at the end of the system |
//! | [`Transform`](ScriptApi::Transform) | `transform()`, `transform(e)` | a copy of the entity's `Transform` |
//! | | `set_transform(t)`, `set_transform(e, t)` | writes the `Transform` at once |
//! | | `transform_from_xyz(x, y, z)` | a new `Transform` |
//! | [`Math`](ScriptApi::Math) | `vec3(x, y, z)`, `quat_from_rotation_z(a)` | math values; `Vec3` has `x`, `y`, `z`, `+`, `-`, `*`, `/`, `length()`, `normalize()` |
//! | [`Time`](ScriptApi::Time) | `elapsed_secs()`, `delta_secs()` | time since startup and of this frame, in seconds |
//! | [`Messages`](ScriptApi::Messages) | `send(name, payload)`, `send(name)` | sends a message to Rust (see [`RhaiAppExt::add_message_from_script`](crate::RhaiAppExt::add_message_from_script)) |
//! | | `emit(target, name)`, `emit(target, name, payload)` | runs `on_<name>(payload)` in the scripts of `target` (an entity or an array of entities) next frame, as a [`ScriptEvent`](crate::ScriptEvent) |
//! | | `emit_all(name)`, `emit_all(name, payload)` | the same for every scripted entity |
//! | | `trigger(name, payload)` | triggers a Rust `EntityEvent` registered with [`RhaiAppExt::add_event_from_script`](crate::RhaiAppExt::add_event_from_script), at once |
//! | [`Input`](ScriptApi::Input) | `key_pressed(name)`, `key_just_pressed(name)`, `key_just_released(name)` | a key's state this frame, from Bevy's `ButtonInput<KeyCode>`: `key_pressed("Space")`, `key_pressed("W")`, `key_just_pressed("ArrowUp")` |
//! | | `mouse_pressed(name)`, `mouse_just_pressed(name)`, `mouse_just_released(name)` | the same for `ButtonInput<MouseButton>`: `mouse_pressed("Left")` |
//! | [`Timers`](ScriptApi::Timers) | `after(secs, "name")`, `after(secs, "name", payload)` | calls `name()` (or `name(payload)`) on this entity once, `secs` of game time later; returns a handle |
//! | | `every(secs, "name")`, `every(secs, "name", payload)` | the same, every `secs` |
//! | | `cancel(handle)` | stops a timer; `true` if it was running |
//!
//! `Transform` has the properties `translation`, `rotation` and `scale`, and
//! `rotate_z(angle)`; `t.translation.x += 1.0` works as expected. The
//! Transform group brings the Math group with it, since its properties are
//! `Vec3` and `Quat` values.
//!
//! Functions that act on the running entity alone reach it through
//! [`with_script_entity`](crate::with_script_entity), and structural changes
//! go through [`with_script_commands`](crate::with_script_commands); only
//! what needs other entities or resources asks for the whole world.

pub mod ecs;
mod entity;
mod input;
mod math;
mod messages;
mod time;
mod timers;
mod transform;

use std::collections::HashSet;

use rhai::{Engine, EvalAltResult};

pub use ecs::{ComponentRef, ResourceRef, ScriptAccess, reflect_to_dynamic};
pub(crate) use ecs::{
    PropertyNames, ReflectedTypes, ScriptQueries, prepare_queries, register_properties,
};
pub use entity::SpawnedByScript;
pub(crate) use entity::{ScriptSpawns, start_spawn_frame};
pub(crate) use messages::ScriptMessageRoutes;

type ScriptResult<T> = Result<T, Box<EvalAltResult>>;

/// "did you mean A, B?" with up to three of `known` that are close to
/// `name` (ignoring case), or `None` when nothing is close.
pub(crate) fn did_you_mean<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Option<String> {
    let name = name.to_lowercase();
    let mut close: Vec<(usize, &str)> = known
        .map(|known| (strsim::levenshtein(&name, &known.to_lowercase()), known))
        .filter(|(distance, known)| *distance <= (known.len() / 3).max(2))
        .collect();
    close.sort();
    close.dedup_by_key(|(_, known)| *known);
    (!close.is_empty()).then(|| {
        let names: Vec<&str> = close.iter().take(3).map(|(_, known)| *known).collect();
        format!("did you mean {}?", names.join(", "))
    })
}

/// Native functions on `engine` that no API group registers: the app's
/// own, by name and number of arguments. Operators, property and indexer
/// functions and `to_string`/`to_debug` are left out: they act on the
/// values they are given.
pub(crate) fn app_functions(engine: &Engine) -> Vec<(String, usize)> {
    let signatures = |engine: &Engine| {
        engine.collect_fn_metadata(
            None,
            |info| {
                let metadata = info.metadata;
                Some((metadata.name.to_string(), metadata.param_types.to_vec()))
            },
            false,
        )
    };
    let mut api = Engine::new_raw();
    for group in ScriptApi::ALL {
        group.register(&mut api);
    }
    let ours: HashSet<_> = signatures(&api).into_iter().collect();
    let acts_on_values = |name: &str| {
        !name.starts_with(|c: char| c.is_alphabetic() || c == '_')
            || name.contains('$')
            || name == "to_string"
            || name == "to_debug"
    };
    signatures(engine)
        .into_iter()
        .filter(|signature| !ours.contains(signature) && !acts_on_values(&signature.0))
        .map(|(name, types)| (name, types.len()))
        .collect()
}

/// A group of functions that the plugin registers for scripts (see the
/// [module documentation](self) for what each holds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScriptApi {
    /// `entity()`, `spawn_script`, `despawn`.
    Entity,
    /// `transform()`, `set_transform`, `transform_from_xyz`; brings
    /// [`ScriptApi::Math`] with it.
    Transform,
    /// `Vec3`, `Quat` and their operators.
    Math,
    /// `elapsed_secs()`, `delta_secs()`.
    Time,
    /// `send(name, payload)` to Rust, `emit(entity, name, payload)` and
    /// `emit_all` to scripts, `trigger(name, payload)` for typed events.
    Messages,
    /// `after(secs, "name")`, `every(secs, "name")`, `cancel(handle)`.
    Timers,
    /// `key_pressed("Space")`, `key_just_pressed`, `mouse_pressed("Left")`
    /// and the like, from Bevy's `ButtonInput` resources; every button reads
    /// as released in an app without Bevy's `InputPlugin`.
    Input,
    /// Any reflected component or resource by name, queries, inserting,
    /// removing and spawning with components (see the `ecs` table above).
    Ecs,
}

impl ScriptApi {
    /// Every group, in the order the plugin registers them.
    pub const ALL: [ScriptApi; 8] = [
        Self::Entity,
        Self::Math,
        Self::Transform,
        Self::Time,
        Self::Messages,
        Self::Timers,
        Self::Input,
        Self::Ecs,
    ];

    /// The group's functions, by name and number of arguments, that need
    /// the whole world at once and so the sequential `on_update` phase
    /// (see [`ParallelUpdate`](crate::ParallelUpdate)): they write other
    /// entities or trigger observers at once, or reach components through
    /// reflection. (`insert` and `remove` are not among them: in the
    /// parallel phase they apply after it, and their names are also
    /// arrays' and maps' methods, which the walk cannot tell apart.)
    pub(crate) fn sequential_functions(self) -> &'static [(&'static str, usize)] {
        match self {
            Self::Transform => &[("set_transform", 2)],
            Self::Messages => &[("trigger", 2)],
            Self::Ecs => &[("has", 2), ("exists", 1), ("resource", 1), ("value", 1)],
            Self::Entity | Self::Math | Self::Time | Self::Timers | Self::Input => &[],
        }
    }

    /// The group's functions that reach components through reflection
    /// without writing another entity at once (reads, and spawns that the
    /// parallel phase defers): scripts listed in
    /// `ParallelUpdate::parallel_scripts` may call them there.
    pub(crate) fn reflection_reads(self) -> &'static [(&'static str, usize)] {
        match self {
            Self::Ecs => &[
                ("has", 2),
                ("exists", 1),
                ("resource", 1),
                ("value", 1),
                ("spawn_with", 2),
                ("spawn_entity", 1),
            ],
            _ => &[],
        }
    }

    /// The group's functions that query by component names: with literal
    /// names, scripts listed in `ParallelUpdate::parallel_scripts` may
    /// call them in the parallel phase (the queries are prepared before
    /// it); with names computed at run time they need the sequential one.
    pub(crate) fn queries(self) -> &'static [(&'static str, usize)] {
        match self {
            Self::Ecs => &[
                ("query", 1),
                ("query", 2),
                ("query_one", 1),
                ("query_one", 2),
            ],
            _ => &[],
        }
    }

    /// Registers this group's types and functions on `engine`.
    pub fn register(self, engine: &mut Engine) {
        match self {
            Self::Entity => entity::register(engine),
            Self::Transform => {
                math::register(engine);
                transform::register(engine);
            }
            Self::Math => math::register(engine),
            Self::Time => time::register(engine),
            Self::Messages => messages::register(engine),
            Self::Timers => timers::register(engine),
            Self::Input => input::register(engine),
            Self::Ecs => {
                math::register(engine);
                ecs::register(engine);
            }
        }
    }
}
