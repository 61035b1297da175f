//! The main thread while a big script goes live: the longest frame, and the
//! frames it takes, for saves from 100 KB to 10 MB (many small functions,
//! one long line, few big functions). The compile runs on a thread of its own; what is left on
//! the main thread is the swap to the new version and each entity's state.
//! Not criterion: one save of each is the measurement. See
//! `benches/README.md`.

use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;

#[path = "support/mod.rs"]
mod support;

use support::BenchApp;

/// Entities on the script, whose state the new version takes over.
const ENTITIES: usize = 100;

/// Where a big script's text breaks lines.
#[derive(Clone, Copy)]
enum Layout {
    AfterEachStatement,
    AfterEachFunction,
    Nowhere,
}

impl Layout {
    fn name(self) -> &'static str {
        match self {
            Self::AfterEachStatement => "one statement a line",
            Self::AfterEachFunction => "one function a line",
            Self::Nowhere => "one line",
        }
    }
}

/// A script of about `bytes` bytes in `functions` functions of equal size.
fn big_script(bytes: usize, functions: usize, layout: Layout, version: u32) -> String {
    let (within, between) = match layout {
        Layout::AfterEachStatement => ("\n", "\n"),
        Layout::AfterEachFunction => (" ", "\n"),
        Layout::Nowhere => (" ", " "),
    };
    let mut source =
        format!("let seen = 0;{between}fn on_update() {{ seen = {version}; }}{between}");
    let statement = format!("c = c * {version} + 1;{within}");
    let per_function = (bytes / functions).saturating_sub(60) / statement.len();
    for index in 0..functions {
        source.push_str(&format!(
            "fn helper_{index}(a, b) {{ let c = a + b;{within}"
        ));
        for _ in 0..per_function {
            source.push_str(&statement);
        }
        source.push_str(&format!("c }}{between}"));
    }
    source
}

struct Measured {
    longest: Duration,
    /// The index of the longest frame: the last frames are where the new
    /// version goes live; the ones before run while it compiles.
    longest_at: usize,
    frames: usize,
    /// The median frame: what the script costs every frame, save or not.
    median: Duration,
    total: Duration,
}

fn measure(bytes: usize, functions: usize, layout: Layout) -> Measured {
    let mut bench = BenchApp::new();
    let path = bench.dir.path().join("big.rhai");
    std::fs::write(&path, big_script(bytes, functions, layout, 1)).unwrap();
    let script = bench
        .app
        .world()
        .resource::<AssetServer>()
        .load::<RhaiScript>("big.rhai");
    let entities: Vec<Entity> = (0..ENTITIES)
        .map(|_| {
            bench
                .app
                .world_mut()
                .spawn(Script::new(script.clone()))
                .id()
        })
        .collect();
    let seen = |app: &App| {
        app.world()
            .get::<ScriptState>(entities[0])
            .and_then(|state| state.get_as::<i64>("seen"))
    };
    let failed = |app: &App| {
        let scripts = app.world().resource::<Assets<RhaiScript>>();
        scripts
            .get(&script)
            .and_then(|script| script.error().cloned())
    };
    let started = Instant::now();
    while seen(&bench.app) != Some(1) {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "never started"
        );
        if let Some(error) = failed(&bench.app) {
            panic!("the big script does not compile: {error}");
        }
        bench.app.update();
        std::thread::sleep(Duration::from_micros(200));
    }

    std::fs::write(&path, big_script(bytes, functions, layout, 2)).unwrap();
    bench
        .app
        .world()
        .resource::<AssetServer>()
        .reload("big.rhai");
    let mut measured = Measured {
        longest: Duration::ZERO,
        longest_at: 0,
        frames: 0,
        median: Duration::ZERO,
        total: Duration::ZERO,
    };
    let mut frames = Vec::new();
    let saved = Instant::now();
    while seen(&bench.app) != Some(2) {
        assert!(
            saved.elapsed() < Duration::from_secs(600),
            "never went live"
        );
        if let Some(error) = failed(&bench.app) {
            panic!("the big script does not compile: {error}");
        }
        let frame = Instant::now();
        bench.app.update();
        let took = frame.elapsed();
        frames.push(took);
        if took > measured.longest {
            measured.longest = took;
            measured.longest_at = measured.frames;
        }
        measured.frames += 1;
        // A game's frame: the compile thread gets the time in between.
        std::thread::sleep(Duration::from_millis(1));
    }
    measured.total = saved.elapsed();
    frames.sort_unstable();
    measured.median = frames[frames.len() / 2];
    measured
}

fn main() {
    // Under `cargo test --benches`, one small save shows the bench works.
    let sizes: &[(usize, usize, Layout)] = if support::measuring() {
        &[
            (100_000, 1_000, Layout::AfterEachStatement),
            (1_000_000, 10_000, Layout::AfterEachStatement),
            (1_000_000, 10_000, Layout::Nowhere),
            // One statement a line would be 660,000 lines: over Rhai's
            // 65,535, which the plugin refuses.
            (10_000_000, 1_000, Layout::AfterEachFunction),
        ]
    } else {
        &[(20_000, 100, Layout::AfterEachStatement)]
    };
    for &(bytes, functions, layout) in sizes {
        let layout_name = layout.name();
        let name = format!("big_save/{bytes} bytes, {functions} functions, {layout_name}");
        if !support::selected(&name) {
            continue;
        }
        let measured = measure(bytes, functions, layout);
        println!(
            "{name}, {ENTITIES} entities: longest main-thread frame {:.1} ms (frame {} of {}, \
             median {:.2} ms); live after {:.0} ms",
            measured.longest.as_secs_f64() * 1e3,
            measured.longest_at + 1,
            measured.frames,
            measured.median.as_secs_f64() * 1e3,
            measured.total.as_secs_f64() * 1e3,
        );
    }
}
