//! A small harness for behaviour tests: a real `App` with the real asset
//! server reading scripts from a temporary folder, and a watcher whose
//! events the test sends itself, so that reloads are deterministic.
//!
//! Every wait is bounded by a number of updates; none relies on sleeping.

#![allow(dead_code, reason = "each test binary uses a different part")]

mod held_reads;

use held_reads::HeldReader;
pub use held_reads::Holds;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bevy::asset::io::{AssetSourceBuilder, AssetSourceEvent, AssetSourceId, AssetWatcher};
use bevy::asset::{AssetMetaCheck, AssetPlugin};
use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use bevy_rhai_hot::CompiledScript;
use bevy_rhai_hot::prelude::*;
use serde::de::DeserializeOwned;

/// Updates a wait may take before the test fails.
pub const MAX_UPDATES: usize = 2_000;

/// Every frame lasts this long in tests, so `dt` is known.
pub const FRAME: Duration = Duration::from_millis(100);

type WatcherSender = async_channel::Sender<AssetSourceEvent>;

struct TestWatcher;
impl AssetWatcher for TestWatcher {}

/// Messages of type `M` seen so far.
#[derive(Resource)]
pub struct Recorded<M: Message>(pub Vec<M>);

fn record<M: Message + Clone>(mut reader: MessageReader<M>, mut recorded: ResMut<Recorded<M>>) {
    recorded.0.extend(reader.read().cloned());
}

pub struct Harness {
    pub app: App,
    pub dir: tempfile::TempDir,
    /// Holds script reads open when a test asks (see [`Holds`]).
    pub holds: Holds,
    watcher: Arc<Mutex<Option<WatcherSender>>>,
}

/// An app on Bevy's real file watcher over `dir`, with one entity running
/// the script at `relative`. `fast` adds `FastScriptReload` (10 ms debounce
/// instead of 300 ms).
pub fn real_watcher_app(dir: &std::path::Path, fast: bool, relative: &str) -> (App, Entity) {
    let file_path = dir.to_string_lossy().into_owned();
    let mut app = App::new();
    if fast {
        app.add_plugins(FastScriptReload {
            file_path: file_path.clone(),
            ..default()
        });
    }
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path,
            watch_for_changes_override: Some(true),
            meta_check: AssetMetaCheck::Never,
            ..default()
        },
        RhaiPlugin::default(),
    ));
    app.finish();
    app.cleanup();
    let script = app
        .world()
        .resource::<AssetServer>()
        .load::<RhaiScript>(relative.to_owned());
    let entity = app.world_mut().spawn(Script::new(script)).id();
    (app, entity)
}

impl Harness {
    pub fn new() -> Self {
        Self::with(RhaiPlugin::default(), |_| {})
    }

    /// A harness whose app is configured by `configure` before it finishes.
    pub fn with(plugin: RhaiPlugin, configure: impl FnOnce(&mut App)) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let root = dir.path().to_path_buf();
        let watcher = Arc::new(Mutex::new(None));
        let watcher_slot = watcher.clone();
        let holds = Holds::default();
        let reader_holds = holds.clone();
        let mut app = App::new();
        app.register_asset_source(
            AssetSourceId::Default,
            AssetSourceBuilder::new(move || {
                Box::new(HeldReader::new(root.clone(), reader_holds.clone()))
            })
            .with_watcher(move |sender| {
                *watcher_slot.lock().unwrap() = Some(sender);
                Some(Box::new(TestWatcher))
            }),
        )
        .add_plugins((
            MinimalPlugins,
            AssetPlugin {
                watch_for_changes_override: Some(true),
                meta_check: AssetMetaCheck::Never,
                ..default()
            },
            plugin,
        ))
        .insert_resource(TimeUpdateStrategy::ManualDuration(FRAME));
        let mut harness = Self {
            app,
            dir,
            holds,
            watcher,
        };
        harness.record::<ScriptError>();
        harness.record::<ScriptReloaded>();
        harness.record::<AssetEvent<RhaiScript>>();
        configure(&mut harness.app);
        harness.app.finish();
        harness.app.cleanup();
        harness
    }

    /// Keeps every message of type `M` in [`Recorded<M>`].
    pub fn record<M: Message + Clone>(&mut self) {
        self.app
            .insert_resource(Recorded::<M>(Vec::new()))
            .add_systems(Last, record::<M>);
    }

    pub fn recorded<M: Message + Clone>(&self) -> &[M] {
        &self.app.world().resource::<Recorded<M>>().0
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Writes a script file without telling the watcher.
    pub fn write(&self, relative: &str, source: &str) {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, source).unwrap();
    }

    /// Writes a script file and reports the change as the file watcher would.
    pub fn edit(&self, relative: &str, source: &str) {
        self.write(relative, source);
        self.notify_modified(relative);
    }

    /// Sends a "modified" event for `relative`, as a watcher would for a save.
    pub fn notify_modified(&self, relative: &str) {
        self.send_event(AssetSourceEvent::ModifiedAsset(relative.into()));
    }

    /// Sends `event` as the file watcher would.
    pub fn send_event(&self, event: AssetSourceEvent) {
        let sender = self.watcher.lock().unwrap();
        sender
            .as_ref()
            .expect("the asset server built its watcher")
            .send_blocking(event)
            .unwrap();
    }

    pub fn load(&self, relative: &str) -> Handle<RhaiScript> {
        self.app
            .world()
            .resource::<AssetServer>()
            .load(relative.to_owned())
    }

    /// Spawns an entity running the script at `relative`, with a `Transform`.
    pub fn spawn(&mut self, relative: &str) -> Entity {
        let script = self.load(relative);
        self.app
            .world_mut()
            .spawn((Script::new(script), Transform::default()))
            .id()
    }

    pub fn update(&mut self) {
        self.app.update();
    }

    pub fn updates(&mut self, count: usize) {
        for _ in 0..count {
            self.app.update();
        }
    }

    /// Updates until `done` holds; panics naming `what` after [`MAX_UPDATES`].
    pub fn run_until(&mut self, what: &str, mut done: impl FnMut(&mut World) -> bool) {
        for _ in 0..MAX_UPDATES {
            self.app.update();
            if done(self.app.world_mut()) {
                return;
            }
            // Asset loads finish on other threads: give them a moment.
            std::thread::sleep(Duration::from_millis(1));
        }
        let errors = &self.app.world().resource::<Recorded<ScriptError>>().0;
        panic!(
            "gave up after {MAX_UPDATES} updates waiting for: {what}; script errors: {errors:?}"
        );
    }

    /// Updates until `entity`'s scripts have all started.
    pub fn run_until_ready(&mut self, entity: Entity) {
        self.run_until("the entity's scripts to start", |world| {
            world
                .get::<ScriptState>(entity)
                .is_some_and(ScriptState::is_ready)
        });
    }

    /// Updates until at least `count` new versions went live in all
    /// (failed reloads do not count).
    pub fn run_until_reloads(&mut self, count: usize) {
        self.run_until(&format!("{count} reload(s)"), |world| {
            let reloads = &world.resource::<Recorded<ScriptReloaded>>().0;
            let live = reloads
                .iter()
                .filter(|reload| !matches!(reload.kind, ReloadKind::Failed(_)));
            live.count() >= count
        });
    }

    /// Updates until the asset server has loaded `count` new versions of
    /// scripts in all (whatever they mean for running entities), and then
    /// two more frames, in which the plugin acts on them.
    pub fn run_until_versions(&mut self, count: usize) {
        self.run_until(&format!("{count} new script version(s)"), |world| {
            let events = &world.resource::<Recorded<AssetEvent<RhaiScript>>>().0;
            let modified = events
                .iter()
                .filter(|event| matches!(event, AssetEvent::Modified { .. }));
            modified.count() >= count
        });
        self.updates(2);
    }

    /// The latest version of the script at `relative` that compiled.
    pub fn compiled(&self, relative: &str) -> Arc<CompiledScript> {
        let handle = self.load(relative);
        let scripts = self.app.world().resource::<Assets<RhaiScript>>();
        let script = scripts.get(&handle).expect("the script has loaded");
        script.compiled().expect("the script compiles").clone()
    }

    /// Sends the ad-hoc event `name` to `entity` and runs one frame.
    pub fn send_script_event(&mut self, entity: Entity, name: &str) {
        self.app
            .world_mut()
            .write_message(ScriptEvent::to(entity, name));
        self.update();
    }

    /// Sends the ad-hoc event `name` to `entity`, runs one frame and returns
    /// the line and column of the one error it raised.
    pub fn error_at(&mut self, entity: Entity, name: &str) -> (usize, usize) {
        let before = self.errors().len();
        self.send_script_event(entity, name);
        let errors = &self.errors()[before..];
        assert_eq!(errors.len(), 1, "{errors:?}");
        let location = errors[0].location();
        (location.line.unwrap(), location.column.unwrap())
    }

    /// Updates until at least `count` script errors were reported in all.
    pub fn run_until_errors(&mut self, count: usize) {
        self.run_until(&format!("{count} script error(s)"), |world| {
            world.resource::<Recorded<ScriptError>>().0.len() >= count
        });
    }

    /// State variable `name` of `entity`, converted with serde.
    pub fn state<T: DeserializeOwned>(&self, entity: Entity, name: &str) -> Option<T> {
        self.app
            .world()
            .get::<ScriptState>(entity)?
            .get_as::<T>(name)
    }

    pub fn errors(&self) -> &[ScriptError] {
        self.recorded::<ScriptError>()
    }

    /// Every reload message so far, failed ones included.
    pub fn reloads(&self) -> &[ScriptReloaded] {
        self.recorded::<ScriptReloaded>()
    }
}

/// Log lines (level and message) emitted on this thread while `f` runs.
pub fn capture_logs<R>(f: impl FnOnce() -> R) -> (R, Vec<(bevy::log::Level, String)>) {
    use bevy::log::tracing;
    use bevy::log::tracing_subscriber::layer::{Context, Layer, SubscriberExt};
    use bevy::log::tracing_subscriber::registry::Registry;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<(tracing::Level, String)>>>);

    struct Message(String);
    impl tracing::field::Visit for Message {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            if field.name() == "message" {
                self.0 = format!("{value:?}");
            }
        }
    }

    impl<S: tracing::Subscriber> Layer<S> for Capture {
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            let mut message = Message(String::new());
            event.record(&mut message);
            self.0
                .lock()
                .unwrap()
                .push((*event.metadata().level(), message.0));
        }
    }

    // Captures run one at a time, and each makes every log call site ask
    // again whether anyone listens: a call site first reached on a thread
    // with no subscriber would otherwise stay silent for this one too.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    let capture = Capture::default();
    let subscriber = Registry::default().with(capture.clone());
    let result = tracing::subscriber::with_default(subscriber, || {
        tracing::callsite::rebuild_interest_cache();
        f()
    });
    let lines = capture.0.lock().unwrap().clone();
    (result, lines)
}
