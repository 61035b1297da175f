//! Hot reload: putting new script versions live for every entity that runs
//! them and keeping the last good version when an edit does not compile.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use bevy::asset::AssetLoadFailedEvent;
use bevy::ecs::message::{MessageCursor, Messages};
use bevy::prelude::*;
use rhai::{Array, Dynamic, Map};

use super::current_errors::{ErrorPlace, clear, record};
use super::dispatch::{LoggedErrors, call_with_arity, put_slots, report, take_slots};
use super::state::ScriptState;
use crate::asset::{LiveByPath, RhaiScript};
use crate::engine::RhaiEngine;
use crate::script::hooks::{INIT, ON_DETACH, ON_RELOAD};
use crate::script::outline::NamedDiff;
use crate::script::{CompiledScript, ScriptError, ScriptLocation};

/// Sent when a new version of a running script was saved: it says whether
/// the version went live as a patch or a whole replacement, or failed, and
/// which functions it changed.
///
/// Saves that change nothing but comments, whitespace or the order of
/// functions send nothing.
#[derive(Message, Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ScriptReloaded {
    /// The script asset.
    pub id: AssetId<RhaiScript>,
    /// Its path, for example `scripts/enemy.rhai`.
    pub path: String,
    /// How the new version went live, or why it did not.
    pub kind: ReloadKind,
    /// Functions whose code changed. Names are plain (`on_update`) unless
    /// the script defines the name with several arities (`on_hit/1`).
    pub changed: Vec<String>,
    /// Functions the new version adds.
    pub added: Vec<String>,
    /// Functions the new version no longer has.
    pub removed: Vec<String>,
    /// Modules the script imports, directly or through other modules, that
    /// changed (or that it imports or stops importing) with this version,
    /// by asset path: an edit of `lib/steering.rhai` reloads each script
    /// that imports it with `modules: ["lib/steering.rhai"]`.
    pub modules: Vec<String>,
    /// Whether this version fixed the script: the versions before it since
    /// the last good one failed to compile or could not be read (for a
    /// first load that failed, this is the first version that runs).
    pub recovered: bool,
}

/// How a new script version went live.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ReloadKind {
    /// Only functions changed: the changed and added ones were patched into
    /// the running script, removed ones taken out, and the others left
    /// exactly as they were.
    Patched,
    /// Top-level code changed (a constant, a state variable's default, any
    /// other statement): the whole script was replaced.
    Replaced,
    /// The new version does not compile or could not be read: the last good
    /// version keeps running.
    Failed(ScriptError),
}

impl ReloadKind {
    /// `"patched"`, `"replaced"` or `"failed"`: the word scripts see.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Patched => "patched",
            Self::Replaced => "replaced",
            Self::Failed(_) => "failed",
        }
    }
}

impl ScriptReloaded {
    fn new(id: AssetId<RhaiScript>, path: String, kind: ReloadKind, diff: &NamedDiff) -> Self {
        Self {
            id,
            path,
            kind,
            changed: diff.changed.clone(),
            added: diff.added.clone(),
            removed: diff.removed.clone(),
            modules: Vec::new(),
            recovered: false,
        }
    }

    /// A version that goes live with nothing to report but itself.
    fn first(id: AssetId<RhaiScript>, path: String) -> Self {
        Self {
            id,
            path,
            kind: ReloadKind::Replaced,
            changed: Vec::new(),
            added: Vec::new(),
            removed: Vec::new(),
            modules: Vec::new(),
            recovered: false,
        }
    }

    fn failed(id: AssetId<RhaiScript>, error: ScriptError) -> Self {
        Self {
            id,
            path: error.location().path.clone(),
            kind: ReloadKind::Failed(error),
            changed: Vec::new(),
            added: Vec::new(),
            removed: Vec::new(),
            modules: Vec::new(),
            recovered: false,
        }
    }

    /// What `on_reload(changes)` receives: a map with `kind`, `changed`,
    /// `added`, `removed` and `modules`.
    fn to_dynamic(&self) -> Dynamic {
        let names = |names: &[String]| -> Dynamic {
            names
                .iter()
                .map(|name| Dynamic::from(name.clone()))
                .collect::<Array>()
                .into()
        };
        let mut map = Map::new();
        map.insert("kind".into(), self.kind.as_str().into());
        map.insert("changed".into(), names(&self.changed));
        map.insert("added".into(), names(&self.added));
        map.insert("removed".into(), names(&self.removed));
        map.insert("modules".into(), names(&self.modules));
        map.into()
    }
}

/// `scripts/enemy.rhai: patched on_update; added on_hit`
impl fmt::Display for ScriptReloaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.path)?;
        if let ReloadKind::Failed(error) = &self.kind {
            return write!(f, "failed: {}", error.message());
        }
        let verb = match self.kind {
            ReloadKind::Patched => "patched",
            _ => "changed",
        };
        let mut parts = Vec::new();
        if self.recovered {
            parts.push("fixed, running the new version".to_owned());
        }
        if self.kind == ReloadKind::Replaced && !(self.recovered && self.changed.is_empty()) {
            parts.push("replaced (top-level code changed)".to_owned());
        }
        for (verb, names) in [
            (verb, &self.changed),
            ("added", &self.added),
            ("removed", &self.removed),
        ] {
            if !names.is_empty() {
                parts.push(format!("{verb} {}", names.join(", ")));
            }
        }
        if !self.modules.is_empty() {
            parts.push(format!("imported {} changed", self.modules.join(", ")));
        }
        write!(f, "{}", parts.join("; "))
    }
}

/// The version of each script that entities run: the last that compiled.
#[derive(Resource, Default)]
pub(crate) struct LiveScripts {
    by_id: HashMap<AssetId<RhaiScript>, LiveScript>,
    by_path: LiveByPath,
}

#[derive(Default)]
struct LiveScript {
    live: Option<Arc<CompiledScript>>,
    /// Hash of the last version seen, good or bad: repeated watcher events
    /// for the same content do nothing.
    last_seen: Option<u64>,
}

impl LiveScripts {
    pub(crate) fn live(&self, id: AssetId<RhaiScript>) -> Option<&Arc<CompiledScript>> {
        self.by_id.get(&id)?.live.as_ref()
    }

    /// The live versions by path, for the asset loader.
    pub(crate) fn by_path(&self) -> LiveByPath {
        self.by_path.clone()
    }
}

/// What a new asset version means for the running game.
enum Change {
    /// Nothing for running entities to do (duplicate, or a first version:
    /// waiting entities pick that up when they start).
    None,
    /// Built on a version that is no longer live: the file at this path
    /// must be read again.
    Stale(String),
    Broken(ScriptError),
    /// Same behaviour, new positions (comments, blank lines, order): the
    /// entities take the version quietly, so errors name current lines.
    /// With a message when the version fixed a broken save (saving the old
    /// text back is the usual fix).
    Quiet(Arc<CompiledScript>, Option<ScriptReloaded>),
    Reloaded(Arc<CompiledScript>, ScriptReloaded),
    /// A fix with nothing for running entities to do: the first version
    /// that compiles after a failed first load (waiting entities start with
    /// it), or the live text saved back over a broken save.
    Fixed(ScriptReloaded),
}

/// Reads asset events and makes new versions live.
pub(crate) fn apply_script_changes(
    world: &mut World,
    mut cursor: Local<MessageCursor<AssetEvent<RhaiScript>>>,
    mut failures: Local<MessageCursor<AssetLoadFailedEvent<RhaiScript>>>,
    scripted: &mut QueryState<(Entity, &ScriptState)>,
) {
    let mut changed: Vec<AssetId<RhaiScript>> = Vec::new();
    let mut removed = Vec::new();
    for event in cursor.read(world.resource::<Messages<AssetEvent<RhaiScript>>>()) {
        match event {
            AssetEvent::Added { id } | AssetEvent::Modified { id } if !changed.contains(id) => {
                changed.push(*id);
            }
            // Entities still running it keep their version alive.
            AssetEvent::Removed { id } => {
                removed.push(*id);
            }
            _ => {}
        }
    }
    let mut live_scripts = world.resource_mut::<LiveScripts>();
    for id in removed {
        if let Some(live) = live_scripts.by_id.remove(&id).and_then(|entry| entry.live) {
            live_scripts.by_path.remove(live.path());
        }
    }
    let mut read_again = Vec::new();
    for &id in &changed {
        match classify(world, id) {
            Change::None => {}
            Change::Stale(path) => read_again.push(path),
            Change::Broken(error) => {
                record(world, ErrorPlace::file(&error.location().path), &error);
                report(world, error.clone());
                world.write_message(ScriptReloaded::failed(id, error));
            }
            Change::Fixed(reloaded) => {
                info!("{reloaded}");
                world.write_message(reloaded);
            }
            Change::Quiet(compiled, fixed) => {
                reload_entities(world, scripted, id, compiled, None);
                if let Some(fixed) = fixed {
                    info!("{fixed}");
                    world.write_message(fixed);
                }
            }
            Change::Reloaded(compiled, reloaded) => {
                let changes = reloaded.to_dynamic();
                reload_entities(world, scripted, id, compiled, Some(&changes));
                world.write_message(reloaded);
            }
        }
    }
    read_again_after_overlaps(world, &changed, &mut read_again);
    let server = world.resource::<AssetServer>();
    for path in read_again {
        server.reload(path);
    }
    forward_load_failures(world, &mut failures);
    world.flush();
}

/// Loads of a path that overlapped may have finished in any order: once all
/// are done, the file is read once more so that its last save wins.
fn read_again_after_overlaps(
    world: &World,
    changed: &[AssetId<RhaiScript>],
    read_again: &mut Vec<String>,
) {
    let live_scripts = world.resource::<LiveScripts>();
    let assets = world.resource::<Assets<RhaiScript>>();
    for id in changed {
        if let Some(asset) = assets.get(*id)
            && live_scripts.by_path.take_settled_overlap(asset.path())
            && !read_again.iter().any(|path| path == asset.path())
        {
            read_again.push(asset.path().to_owned());
        }
    }
}

/// Sends a [`ScriptError::Load`] for each script file the asset server could
/// not read (Bevy has logged it already). The live version keeps running.
fn forward_load_failures(
    world: &mut World,
    failures: &mut MessageCursor<AssetLoadFailedEvent<RhaiScript>>,
) {
    let errors: Vec<(AssetId<RhaiScript>, ScriptError)> = failures
        .read(world.resource::<Messages<AssetLoadFailedEvent<RhaiScript>>>())
        .map(|failure| {
            let error = ScriptError::Load {
                location: ScriptLocation::file(&failure.path.to_string()),
                message: failure.error.to_string(),
            };
            (failure.id, error)
        })
        .collect();
    for (id, error) in errors {
        record(world, ErrorPlace::file(&error.location().path), &error);
        world.write_message(error.clone());
        world.write_message(ScriptReloaded::failed(id, error));
    }
}

/// Compares the asset's current version with the live one and records it.
fn classify(world: &mut World, id: AssetId<RhaiScript>) -> Change {
    let Some(asset) = world.resource::<Assets<RhaiScript>>().get(id) else {
        return Change::None;
    };
    let hash = asset.content_hash();
    let blank = asset.is_blank();
    let built_on = asset.built_on();
    let path = asset.path().to_owned();
    let mut version = asset.version().map(Arc::clone).map_err(Clone::clone);
    if let Ok(compiled) = &version
        && compiled.carried_closures().next().is_some()
    {
        let held = closures_held(world, id);
        let unused: HashSet<String> = (compiled.carried_closures())
            .filter(|name| !held.contains(*name))
            .map(str::to_owned)
            .collect();
        if !unused.is_empty() {
            debug!(
                "{path}: dropping {} closures of older versions that no entity holds",
                unused.len()
            );
            version = Ok(Arc::new(compiled.without_closures(&unused)));
        }
    }
    let mut live_scripts = world.resource_mut::<LiveScripts>();
    let live_scripts = &mut *live_scripts;
    let entry = live_scripts.by_id.entry(id).or_default();
    if built_on != entry.live.as_ref().map(|live| live.content_hash()) {
        // Saves overlapped: another version went live while this one was
        // built. Reported against the wrong version, it could also drop
        // closures that entities hold, so the file is read again instead
        // (and then built on what is live).
        debug!("{path}: built on a version that is no longer live; reading it again");
        return Change::Stale(path);
    }
    if entry.last_seen == Some(hash) {
        return Change::None;
    }
    entry.last_seen = Some(hash);
    // A blank file is most likely a save in progress. Before any text
    // arrived it does not count as the script's first version either, or
    // entities would start (and skip `init()`) on an empty script.
    if blank {
        debug!("{path}: blank; waiting for the script's text");
        return Change::None;
    }
    let compiled = match version {
        Err(error) => return Change::Broken(error),
        Ok(compiled) => compiled,
    };
    if entry
        .live
        .as_ref()
        .is_some_and(|live| live.content_hash() == hash)
    {
        // The live text saved back over a broken save: the usual fix.
        if clear(world, &ErrorPlace::file(&path)) {
            let mut fixed = ScriptReloaded::first(id, path);
            fixed.recovered = true;
            return Change::Fixed(fixed);
        }
        return Change::None;
    }
    let previous = entry.live.replace(compiled.clone());
    live_scripts.by_path.set(compiled.clone());
    world.resource_mut::<LoggedErrors>().forget_script(&path);
    let mut recovered = clear(world, &ErrorPlace::file(&path));
    // An error in a module is recorded at the module's file; a version of
    // an importer that goes live has every module it imports working.
    for module in compiled.module_paths() {
        recovered |= clear(world, &ErrorPlace::file(module));
    }
    warn_uncallable_handlers(&compiled);
    let Some(previous) = previous else {
        debug!("{path}: loaded");
        if recovered {
            let mut fixed = ScriptReloaded::first(id, path);
            fixed.recovered = true;
            return Change::Fixed(fixed);
        }
        return Change::None;
    };
    let diff = compiled.diff_from(&previous);
    let modules = compiled.modules_changed_from(&previous);
    if diff.is_empty() && modules.is_empty() {
        debug!("{path}: saved without a change in behaviour");
        let fixed = recovered.then(|| {
            let mut fixed = ScriptReloaded::first(id, path);
            fixed.recovered = true;
            fixed
        });
        return Change::Quiet(compiled, fixed);
    }
    let kind = if compiled.is_patch_of(previous.content_hash()) {
        ReloadKind::Patched
    } else {
        ReloadKind::Replaced
    };
    let mut reloaded = ScriptReloaded::new(id, path, kind, &diff);
    reloaded.recovered = recovered;
    reloaded.modules = modules;
    info!("{reloaded}");
    Change::Reloaded(compiled, reloaded)
}

/// The closures (by Rhai's name) that the state or timers of the entities
/// running script `id` hold, inside arrays, maps and curried arguments too.
fn closures_held(world: &mut World, id: AssetId<RhaiScript>) -> HashSet<String> {
    fn collect(value: &Dynamic, held: &mut HashSet<String>) {
        if let Some(function) = value.read_lock::<rhai::FnPtr>() {
            held.insert(function.fn_name().to_owned());
            for curried in function.curry() {
                collect(curried, held);
            }
        } else if let Some(array) = value.read_lock::<Array>() {
            array.iter().for_each(|item| collect(item, held));
        } else if let Some(map) = value.read_lock::<Map>() {
            map.values().for_each(|item| collect(item, held));
        }
    }
    let mut held = HashSet::new();
    let mut states = world.query::<&ScriptState>();
    for state in states.iter(world) {
        for slot in state.slots.iter().filter(|slot| slot.id == Some(id)) {
            for (_, _, value) in slot.vars.iter_raw() {
                collect(value, &mut held);
            }
            for payload in slot.timers.payloads() {
                collect(payload, &mut held);
            }
        }
    }
    held
}

/// Warns, once per version, about handlers the plugin can never call
/// because they take more parameters than it passes (`on_update(a, b)`).
fn warn_uncallable_handlers(compiled: &CompiledScript) {
    for key in compiled.outline().functions.keys() {
        let (name, arity) = (&key.name, &key.arity);
        if key.this_type.is_some() {
            continue;
        }
        let most = match name.as_str() {
            INIT | ON_DETACH => 0,
            name if name.starts_with("on_") => 1,
            _ => continue,
        };
        if *arity > most && compiled.handler_arity(name, most).is_none() {
            let location = ScriptLocation::new(compiled.path(), compiled.definition(name));
            warn!(
                "{location}: {name} takes {arity} parameters and is never called: the plugin \
                 calls {name} with at most {most}"
            );
        }
    }
}

/// Switches every started entity running `id` to the new version, keeping
/// its state, and runs `on_reload(changes)` unless the change is `None`
/// (a quiet switch).
fn reload_entities(
    world: &mut World,
    scripted: &mut QueryState<(Entity, &ScriptState)>,
    id: AssetId<RhaiScript>,
    compiled: Arc<CompiledScript>,
    changes: Option<&Dynamic>,
) {
    let engine = RhaiEngine::of(world);
    let users: Vec<Entity> = scripted
        .iter(world)
        .filter(|(_, state)| {
            state
                .slots
                .iter()
                .any(|slot| slot.id == Some(id) && slot.compiled.is_some())
        })
        .map(|(entity, _)| entity)
        .collect();
    let on_reload = changes.and_then(|_| compiled.handler_arity(ON_RELOAD, 1));
    for entity in users {
        let Some(mut slots) = take_slots(world, entity) else {
            continue;
        };
        for slot in slots
            .iter_mut()
            .filter(|slot| slot.id == Some(id) && slot.compiled.is_some())
        {
            slot.install(compiled.clone());
            if let (Some(arity), Some(changes), true) = (on_reload, changes, slot.started) {
                let changes = changes.clone();
                call_with_arity(world, &engine, entity, slot, ON_RELOAD, arity, changes);
            }
        }
        put_slots(world, entity, slots);
    }
}
