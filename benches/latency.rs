//! Edit-to-effect latency with Bevy's real file watcher: write a script
//! file, then update the app until an entity shows the new behaviour.
//! Reports p50 and p90 over many edits, with `FastScriptReload` (10 ms
//! debounce) and with Bevy's default file source (300 ms debounce), and for
//! an edit of a module that 10 scripts import, on 10,000 entities.
//! See `benches/README.md`.

use std::path::Path;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;

#[path = "support/mod.rs"]
mod support;

fn script(value: usize) -> String {
    format!("let seen = 0;\nfn on_update() {{ seen = {value}; }}\n")
}

/// A script of `functions` functions besides `on_update`, in the middle of
/// them; `in_function` puts `value` in `on_update`'s body (a save that
/// changes one function), otherwise in a top-level constant (a save that
/// changes top-level code, which takes a whole parse).
fn big_script(functions: usize, value: usize, in_function: bool) -> String {
    let mut source = if in_function {
        String::from("let seen = 0;\nconst VALUE = 0;\n")
    } else {
        format!("let seen = 0;\nconst VALUE = {value};\n")
    };
    for index in 0..functions {
        if index == functions / 2 {
            let body = if in_function {
                value.to_string()
            } else {
                "VALUE".to_owned()
            };
            source += &format!("fn on_update() {{\n    seen = {body};\n}}\n");
        }
        source += &format!(
            "fn f{index}(a, b) {{\n    let c = a * 2.0 + b;\n    if c > 10.0 {{ c - 1.0 }} else {{ c + {index}.0 }}\n}}\n"
        );
    }
    source
}

/// The module the scripts of [`Edited::Module`] import.
fn module(value: usize) -> String {
    format!("export const VALUE = {value};\n")
}

const IMPORTER: &str =
    "import \"lib/shared\" as lib;\nlet seen = 0;\nfn on_update() { seen = lib::VALUE; }\n";

/// What each edit saves.
#[derive(Clone, Copy)]
enum Edited {
    /// One script, on `entities` entities.
    Script { entities: usize },
    /// A module that `scripts` scripts import, each on `entities` entities.
    Module { scripts: usize, entities: usize },
    /// One script of `functions` functions on one entity (see
    /// [`big_script`]).
    Big { functions: usize, in_function: bool },
}

impl Edited {
    /// Writes the files with `value` and returns the file each edit writes.
    fn write_files(self, dir: &Path, value: usize) -> std::path::PathBuf {
        match self {
            Self::Script { .. } | Self::Big { .. } => {
                let path = dir.join("edited.rhai");
                std::fs::write(&path, self.text(value)).unwrap();
                path
            }
            Self::Module { scripts, .. } => {
                std::fs::create_dir_all(dir.join("lib")).unwrap();
                for index in 0..scripts {
                    std::fs::write(dir.join(format!("importer_{index}.rhai")), IMPORTER).unwrap();
                }
                let path = dir.join("lib/shared.rhai");
                std::fs::write(&path, module(value)).unwrap();
                path
            }
        }
    }

    fn text(self, value: usize) -> String {
        match self {
            Self::Script { .. } => script(value),
            Self::Module { .. } => module(value),
            Self::Big {
                functions,
                in_function,
            } => big_script(functions, value, in_function),
        }
    }

    /// The scripts and how many entities run each.
    fn scripts(self) -> (Vec<String>, usize) {
        match self {
            Self::Script { entities } => (vec!["edited.rhai".to_owned()], entities),
            Self::Big { .. } => (vec!["edited.rhai".to_owned()], 1),
            Self::Module { scripts, entities } => (
                (0..scripts)
                    .map(|index| format!("importer_{index}.rhai"))
                    .collect(),
                entities,
            ),
        }
    }
}

/// An app on `dir` running `edited`'s scripts, once every entity has
/// started; returns the first entity of each script.
fn app(dir: &Path, fast: bool, edited: Edited) -> (App, Vec<Entity>) {
    let mut app = support::watched_app(dir, fast);
    let (scripts, per_script) = edited.scripts();
    let mut samples = Vec::new();
    let mut all = Vec::new();
    for path in scripts {
        let script = app
            .world()
            .resource::<AssetServer>()
            .load::<RhaiScript>(path);
        for index in 0..per_script {
            let entity = app.world_mut().spawn(Script::new(script.clone())).id();
            if index == 0 {
                samples.push(entity);
            }
            all.push(entity);
        }
    }
    let started = Instant::now();
    while !all.iter().all(|&entity| {
        app.world()
            .get::<ScriptState>(entity)
            .is_some_and(ScriptState::is_ready)
    }) {
        assert!(started.elapsed() < Duration::from_secs(30), "never started");
        app.update();
        std::thread::sleep(Duration::from_micros(500));
    }
    (app, samples)
}

/// Latency of `edits` edits, each a save that changes the value written,
/// until every script shows it.
fn measure(fast: bool, edited: Edited, edits: usize) -> Vec<Duration> {
    let dir = tempfile::tempdir().unwrap();
    let path = edited.write_files(dir.path(), 0);
    let (mut app, samples) = app(dir.path(), fast, edited);
    // Let the watcher settle before the first edit.
    std::thread::sleep(Duration::from_millis(400));
    let mut latencies = Vec::with_capacity(edits);
    for edit in 1..=edits {
        let start = Instant::now();
        std::fs::write(&path, edited.text(edit)).unwrap();
        loop {
            app.update();
            let seen = |entity: &Entity| {
                let state = app.world().get::<ScriptState>(*entity).unwrap();
                state.get_as::<i64>("seen") == Some(edit as i64)
            };
            if samples.iter().all(seen) {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "edit {edit} never took effect"
            );
            std::thread::sleep(Duration::from_micros(500));
        }
        latencies.push(start.elapsed());
        // Keep saves apart, as a person's are.
        std::thread::sleep(Duration::from_millis(if fast { 30 } else { 350 }));
    }
    latencies
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index]
}

fn report(label: &str, mut latencies: Vec<Duration>) {
    latencies.sort();
    println!(
        "edit-to-effect, {label}: p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms over {} edits",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.9).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
        latencies.len()
    );
}

fn main() {
    if !support::selected("latency edit-to-effect") {
        return;
    }
    // `cargo test --benches`: a few edits check that the bench still works.
    let module = Edited::Module {
        scripts: 10,
        entities: 1_000,
    };
    if !support::measuring() {
        report(
            "FastScriptReload, test mode",
            measure(true, Edited::Script { entities: 1 }, 3),
        );
        let small = Edited::Module {
            scripts: 2,
            entities: 2,
        };
        report("a module, test mode", measure(true, small, 2));
        let big = Edited::Big {
            functions: 20,
            in_function: true,
        };
        report("a big script, test mode", measure(true, big, 2));
        return;
    }
    let one = Edited::Script { entities: 1 };
    report("FastScriptReload (10 ms debounce)", measure(true, one, 60));
    let many = Edited::Script { entities: 10_000 };
    report(
        "FastScriptReload, one script, 10,000 entities",
        measure(true, many, 60),
    );
    report(
        "FastScriptReload, a module 10 scripts import, 10,000 entities",
        measure(true, module, 60),
    );
    for (in_function, what) in [(true, "one function"), (false, "a top-level constant")] {
        let big = Edited::Big {
            functions: 2_000,
            in_function,
        };
        report(
            &format!("FastScriptReload, 2,000-function script, {what} changed"),
            measure(true, big, 30),
        );
    }
    report(
        "Bevy's default file source (300 ms debounce)",
        measure(false, one, 10),
    );
}
