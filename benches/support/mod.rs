//! What the benches share: a real `App` with the plugin, reading scripts
//! from a temporary asset folder (or watching a folder), the raw-Rhai
//! floor, and an allocator that counts live bytes.

#![allow(dead_code, reason = "each bench uses a different part")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use bevy::asset::AssetPlugin;
use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use bevy_rhai_hot::prelude::*;
use bevy_rhai_hot::rhai::{AST, CallFnOptions, Engine, Scope};

/// Counts the bytes allocated and not yet freed; a bench that measures
/// memory makes it its global allocator.
pub struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

#[allow(unsafe_code, reason = "a counting allocator forwards to the system's")]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// The bytes allocated and not yet freed, with [`Counting`] as the global
/// allocator.
pub fn live_bytes() -> isize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

/// An app with the plugin on Bevy's real file watcher over `dir`; `fast`
/// adds `FastScriptReload` (10 ms debounce instead of 300 ms).
pub fn watched_app(dir: &Path, fast: bool) -> App {
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
            ..default()
        },
        RhaiPlugin::default(),
    ));
    app.finish();
    app.cleanup();
    app
}

/// The script of the dispatch benches, in the crate's state idiom: each
/// entity's `x` and `v` are top-level `let`s.
pub const MOVER: &str = "let x = 0.0;
let v = 1.0;
fn on_update(dt) { x += v * dt; if x > 100.0 { x = 0.0; } }
";

/// [`MOVER`] with its two literals as top-level constants: functions read
/// them through the plugin's constant lookup (raw Rhai cannot see them, so
/// its floor is [`MOVER`] itself, the hand-written equivalent).
pub const MOVER_CONSTANTS: &str = "const LIMIT = 100.0;
const START = 0.0;
let x = 0.0;
let v = 1.0;
fn on_update(dt) { x += v * dt; if x > LIMIT { x = START; } }
";

/// The same, also writing the entity's `Transform`.
pub const MOVER_TRANSFORM: &str = "let x = 0.0;
let v = 1.0;
fn on_update(dt) {
    x += v * dt; if x > 100.0 { x = 0.0; }
    let t = transform(); t.translation.x = x; set_transform(t);
}
";

pub const FRAME: Duration = Duration::from_millis(16);

/// An app with the plugin, loading scripts from a temporary folder.
pub struct BenchApp {
    pub app: App,
    pub dir: tempfile::TempDir,
}

impl BenchApp {
    pub fn new() -> Self {
        Self::with(RhaiPlugin::default(), |_| {})
    }

    /// An app with `plugin`, configured by `configure` before it finishes.
    pub fn with(plugin: RhaiPlugin, configure: impl FnOnce(&mut App)) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut app = App::new();
        app.add_plugins((
            MinimalPlugins,
            AssetPlugin {
                file_path: dir.path().to_string_lossy().into_owned(),
                ..default()
            },
            plugin,
        ))
        .insert_resource(TimeUpdateStrategy::ManualDuration(FRAME));
        configure(&mut app);
        app.finish();
        app.cleanup();
        Self { app, dir }
    }

    pub fn write(&self, relative: &str, source: &str) {
        let path = self.dir.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, source).unwrap();
    }

    /// Loads the script at `relative` and updates until it has compiled.
    pub fn load(&mut self, relative: &str) -> Handle<RhaiScript> {
        let handle: Handle<RhaiScript> = self
            .app
            .world()
            .resource::<AssetServer>()
            .load(relative.to_owned());
        self.run_until(|world| world.resource::<Assets<RhaiScript>>().contains(&handle));
        handle
    }

    /// Spawns `count` entities running `script`, with a `Transform` each.
    pub fn spawn(&mut self, script: &Handle<RhaiScript>, count: usize) -> Vec<Entity> {
        let world = self.app.world_mut();
        (0..count)
            .map(|_| {
                world
                    .spawn((Script::new(script.clone()), Transform::default()))
                    .id()
            })
            .collect()
    }

    /// An app with `plugin` (configured by `configure`) where `count`
    /// entities run `source`, a script with a state variable `x` that
    /// `on_update` moves, all started and checked to move.
    pub fn movers(
        plugin: RhaiPlugin,
        configure: impl FnOnce(&mut App),
        source: &str,
        count: usize,
    ) -> Self {
        let mut bench = Self::with(plugin, configure);
        bench.write("mover.rhai", source);
        let script = bench.load("mover.rhai");
        let entities = bench.spawn(&script, count);
        bench.run_until_ready(&entities);
        // The scripts really run: the entities' `x` move. (In a debug
        // build, 10,000 entities can overrun `max_update_time`: a frame
        // then runs some of them and the next frame goes on from there, so
        // no one entity is sure to move in a given frame.)
        let total = |bench: &Self| -> f64 {
            (entities.iter())
                .filter_map(|entity| bench.app.world().get::<ScriptState>(*entity))
                .filter_map(|state| state.get_as::<f64>("x"))
                .sum()
        };
        let before = total(&bench);
        bench.app.update();
        assert!(total(&bench) > before, "on_update did not run");
        bench
    }

    pub fn run_until_ready(&mut self, entities: &[Entity]) {
        self.run_until(|world| {
            entities.iter().all(|&entity| {
                world
                    .get::<ScriptState>(entity)
                    .is_some_and(ScriptState::is_ready)
            })
        });
    }

    /// Updates until `done` holds, for at most 10,000 updates.
    pub fn run_until(&mut self, mut done: impl FnMut(&mut World) -> bool) {
        for _ in 0..10_000 {
            self.app.update();
            if done(self.app.world_mut()) {
                return;
            }
            // Leave the other core to the loader.
            std::thread::sleep(Duration::from_micros(200));
        }
        panic!("gave up waiting");
    }
}

/// The raw-Rhai floor: one compiled script, each entity's state in its own
/// `Scope`, and a plain loop of `call_fn_with_options(eval_ast(false))`.
pub struct RawRhai {
    pub engine: Arc<Engine>,
    pub ast: AST,
    pub scopes: Vec<Scope<'static>>,
}

impl RawRhai {
    /// Compiles `source` and gives `count` entities a `Scope` with `x`, `v`.
    pub fn new(source: &str, count: usize) -> Self {
        Self::with_engine(Arc::new(Engine::new()), source, count)
    }

    /// The same on another engine, for example the plugin's.
    pub fn with_engine(engine: Arc<Engine>, source: &str, count: usize) -> Self {
        let ast = engine.compile(source).unwrap();
        let scopes = (0..count)
            .map(|_| {
                let mut scope = Scope::new();
                scope.push("x", 0.0_f64).push("v", 1.0_f64);
                scope
            })
            .collect();
        Self {
            engine,
            ast,
            scopes,
        }
    }

    /// One frame: `on_update(dt)` for every entity.
    pub fn frame(&mut self) {
        let dt = FRAME.as_secs_f64();
        for scope in &mut self.scopes {
            let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
            self.engine
                .call_fn_with_options::<()>(options, scope, &self.ast, "on_update", (dt,))
                .unwrap();
        }
    }
}

impl RawRhai {
    /// [`RawRhai::frame`] with the entities cut into `threads` parts, each
    /// on a thread of its own.
    pub fn frame_on(&mut self, threads: usize) {
        let dt = FRAME.as_secs_f64();
        let (engine, ast) = (&self.engine, &self.ast);
        let part = self.scopes.len().div_ceil(threads.max(1));
        std::thread::scope(|threads| {
            for scopes in self.scopes.chunks_mut(part) {
                threads.spawn(move || {
                    for scope in scopes {
                        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
                        engine
                            .call_fn_with_options::<()>(options, scope, ast, "on_update", (dt,))
                            .unwrap();
                    }
                });
            }
        });
    }
}

/// Whether criterion measures (`cargo bench` passes `--bench`) rather than
/// checks that each bench runs (`cargo test --benches`).
pub fn measuring() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

/// Whether a bench whose names are `names` runs under the command line's
/// filters: for the parts of a bench that criterion does not filter.
pub fn selected(names: &str) -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filters = filters(&args);
    filters.is_empty() || filters.iter().any(|filter| names.contains(filter))
}

/// Criterion's options that take a value: their values are not filters.
const OPTIONS_WITH_VALUES: [&str; 12] = [
    "--warm-up-time",
    "--measurement-time",
    "--sample-size",
    "--save-baseline",
    "--baseline",
    "--load-baseline",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--nresamples",
    "--profile-time",
    "--output-format",
];

/// The filters among the command-line arguments.
fn filters(args: &[String]) -> Vec<&str> {
    let mut filters = Vec::new();
    let mut skip_value = false;
    for arg in args {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        if OPTIONS_WITH_VALUES.contains(&arg.as_str()) {
            skip_value = true;
        } else if !arg.starts_with('-') {
            filters.push(arg.as_str());
        }
    }
    filters
}
