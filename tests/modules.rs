//! `import` through the asset server: modules load as the scripts' files
//! do, are compiled once per version and shared, and an edit of a module
//! reaches every script that imports it, directly or not, with every
//! entity's state kept.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bevy_rhai_hot::prelude::*;
use common::Harness;

const STEERING: &str = "\
export const MAX_SPEED = 3;
fn seek(from, to) { if to > from { MAX_SPEED } else { -MAX_SPEED } }
";

const MOVER: &str = "\
import \"lib/steering\" as steer;
let x = 0;
let calls = 0;
fn on_update() { x += steer::seek(x, 100); calls += 1; }
";

#[test]
fn a_script_calls_an_imported_module() {
    let mut h = Harness::new();
    h.write("lib/steering.rhai", STEERING);
    h.write("scripts/mover.rhai", MOVER);
    let entity = h.spawn("scripts/mover.rhai");
    h.run_until_ready(entity);
    h.updates(3);
    let calls: i64 = h.state(entity, "calls").unwrap();
    assert!(calls >= 3, "{calls} {:?}", h.errors());
    assert_eq!(h.state::<i64>(entity, "x"), Some(3 * calls));
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}

#[test]
fn module_constants_and_nested_imports_resolve() {
    let mut h = Harness::new();
    h.write(
        "lib/numbers.rhai",
        "export const BASE = 10;\nfn twice(x) { x * 2 }\n",
    );
    h.write(
        "lib/combat.rhai",
        "import \"./numbers\" as n;\nexport const DAMAGE = n::BASE + 1;\nfn hit(hp) { hp - n::twice(DAMAGE) }\n",
    );
    h.write(
        "scripts/fighter.rhai",
        "import \"lib/combat\" as combat;\nconst START = combat::DAMAGE * 10;\nlet hp = START;\nfn on_update() { hp = combat::hit(hp); }\n",
    );
    let entity = h.spawn("scripts/fighter.rhai");
    h.run_until_ready(entity);
    let hp: i64 = h.state(entity, "hp").unwrap();
    assert!(hp < 110 && (110 - hp) % 22 == 0, "hp {hp}");
    h.update();
    assert_eq!(h.state::<i64>(entity, "hp"), Some(hp - 22));
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}

/// Counts the runs of a module's top-level code: `counted()` in the module.
fn counting_harness() -> (Harness, Arc<AtomicUsize>) {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let plugin = RhaiPlugin::default().with_engine(move |engine| {
        let counter = counter.clone();
        engine.register_fn("counted", move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
    });
    (Harness::with(plugin, |_| {}), runs)
}

#[test]
fn a_module_compiles_once_for_every_importer_and_entity() {
    let (mut h, runs) = counting_harness();
    h.write("lib/shared.rhai", "counted();\nexport const K = 7;\n");
    for name in ["a", "b", "c"] {
        h.write(
            &format!("scripts/{name}.rhai"),
            "import \"lib/shared\" as common;\nlet k = 0;\nfn on_update() { k = common::K; }\n",
        );
    }
    let mut entities = Vec::new();
    for name in ["a", "b", "c"] {
        for _ in 0..4 {
            entities.push(h.spawn(&format!("scripts/{name}.rhai")));
        }
    }
    for &entity in &entities {
        h.run_until_ready(entity);
    }
    h.update();
    for &entity in &entities {
        assert_eq!(h.state::<i64>(entity, "k"), Some(7));
    }
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "the module's top level ran once"
    );

    h.edit("lib/shared.rhai", "counted();\nexport const K = 8;\n");
    h.run_until_reloads(3);
    h.update();
    for &entity in &entities {
        assert_eq!(h.state::<i64>(entity, "k"), Some(8));
    }
    assert_eq!(
        runs.load(Ordering::SeqCst),
        2,
        "once more for the new version"
    );
}

const COUNTER: &str = "\
import \"lib/step\" as step;
let count = 0;
let reloads = [];
fn on_update() { count += step::SIZE; }
fn on_reload(changes) { reloads.push(changes.modules); }
";

#[test]
fn editing_a_module_reaches_every_importer_with_state_kept() {
    let mut h = Harness::new();
    h.write("lib/step.rhai", "export const SIZE = 1;\n");
    h.write("scripts/first.rhai", COUNTER);
    h.write("scripts/second.rhai", COUNTER);
    let first = h.spawn("scripts/first.rhai");
    let second = h.spawn("scripts/second.rhai");
    h.run_until_ready(first);
    h.run_until_ready(second);
    h.updates(5);

    h.edit("lib/step.rhai", "export const SIZE = 1000000;\n");
    h.run_until_reloads(2);
    let counts: Vec<i64> = [first, second]
        .map(|entity| h.state(entity, "count").unwrap())
        .to_vec();
    // Five frames or more at 1 each, then some at a million: a state reset
    // by the reload would be a multiple of a million.
    assert!(
        counts.iter().all(|count| count % 1_000_000 >= 5),
        "{counts:?}"
    );
    h.update();
    for (entity, count) in [first, second].into_iter().zip(&counts) {
        assert_eq!(h.state::<i64>(entity, "count"), Some(count + 1_000_000));
        let reloads: Vec<Vec<String>> = h.state(entity, "reloads").unwrap();
        assert_eq!(reloads, vec![vec!["lib/step.rhai".to_owned()]]);
    }
    let mut paths: Vec<&str> = h.reloads().iter().map(|r| r.path.as_str()).collect();
    paths.sort();
    assert_eq!(paths, ["scripts/first.rhai", "scripts/second.rhai"]);
    for reloaded in h.reloads() {
        assert_eq!(reloaded.modules, ["lib/step.rhai"]);
        assert!(reloaded.changed.is_empty(), "{reloaded:?}");
        assert!(
            reloaded
                .to_string()
                .contains("imported lib/step.rhai changed"),
            "{reloaded}"
        );
    }
}

#[test]
fn editing_a_nested_module_reaches_the_script() {
    let mut h = Harness::new();
    h.write("lib/base.rhai", "export const N = 1;\n");
    h.write(
        "lib/middle.rhai",
        "import \"lib/base\" as base;\nfn n() { base::N }\n",
    );
    h.write(
        "scripts/top.rhai",
        "import \"lib/middle\" as middle;\nlet total = 0;\nfn on_update() { total += middle::n(); }\n",
    );
    let entity = h.spawn("scripts/top.rhai");
    h.run_until_ready(entity);
    h.updates(3);
    h.edit("lib/base.rhai", "export const N = 1000000;\n");
    h.run_until_reloads(1);
    let total: i64 = h.state(entity, "total").unwrap();
    assert!(total % 1_000_000 >= 3, "state kept: {total}");
    h.update();
    assert_eq!(h.state::<i64>(entity, "total"), Some(total + 1_000_000));
    assert_eq!(h.reloads()[0].modules, ["lib/base.rhai"]);
}

#[test]
fn a_broken_module_keeps_the_importers_running_until_fixed() {
    let mut h = Harness::new();
    h.write("lib/step.rhai", "export const SIZE = 1;\n");
    h.write("scripts/first.rhai", COUNTER);
    let entity = h.spawn("scripts/first.rhai");
    h.run_until_ready(entity);

    h.edit("lib/step.rhai", "export const SIZE = 1 +;\n");
    h.run_until_errors(1);
    let error = &h.errors()[0];
    let location = error.location();
    assert_eq!(
        (location.path.as_str(), location.line, location.column),
        ("lib/step.rhai", Some(1), Some(24)),
        "{error}"
    );
    assert!(
        error.to_string().contains("imported by scripts/first.rhai"),
        "{error}"
    );
    let before: i64 = h.state(entity, "count").unwrap();
    h.updates(2);
    assert_eq!(
        h.state::<i64>(entity, "count"),
        Some(before + 2),
        "the last good version runs on"
    );
    assert_eq!(h.app.world().resource::<CurrentScriptErrors>().len(), 1);

    h.edit("lib/step.rhai", "export const SIZE = 10;\n");
    h.run_until("the fix goes live", |world| {
        world.resource::<CurrentScriptErrors>().is_empty()
    });
    let fixed = h.reloads().last().unwrap();
    assert!(fixed.recovered, "{fixed:?}");
    let now: i64 = h.state(entity, "count").unwrap();
    h.update();
    assert_eq!(h.state::<i64>(entity, "count"), Some(now + 10));
}

#[test]
fn a_script_waits_for_a_missing_module_and_starts_when_it_appears() {
    let mut h = Harness::new();
    h.write("scripts/first.rhai", COUNTER);
    let entity = h.spawn("scripts/first.rhai");
    h.run_until_errors(1);
    let error = &h.errors()[0];
    assert_eq!(error.location().path, "scripts/first.rhai");
    assert_eq!(error.location().line, Some(1));
    assert!(
        error.to_string().contains("lib/step.rhai cannot be read"),
        "{error}"
    );
    h.updates(3);
    assert_eq!(h.state::<i64>(entity, "count"), None, "nothing runs yet");

    h.write("lib/step.rhai", "export const SIZE = 2;\n");
    h.run_until_ready(entity);
    h.updates(2);
    assert!(h.state::<i64>(entity, "count").unwrap() >= 4);
    assert_eq!(h.errors().len(), 1, "{:?}", h.errors());
}

#[test]
fn a_deleted_module_keeps_the_importers_running() {
    use bevy::asset::io::AssetSourceEvent;
    let mut h = Harness::new();
    h.write("lib/step.rhai", "export const SIZE = 1;\n");
    h.write("scripts/first.rhai", COUNTER);
    let entity = h.spawn("scripts/first.rhai");
    h.run_until_ready(entity);

    std::fs::remove_file(h.path("lib/step.rhai")).unwrap();
    h.send_event(AssetSourceEvent::RemovedAsset("lib/step.rhai".into()));
    // Some watchers report a deletion as a modification.
    h.notify_modified("lib/step.rhai");
    h.run_until_errors(1);
    assert!(
        h.errors()[0]
            .to_string()
            .contains("lib/step.rhai cannot be read")
    );
    let before: i64 = h.state(entity, "count").unwrap();
    h.updates(3);
    assert_eq!(h.state::<i64>(entity, "count"), Some(before + 3));

    h.write("lib/step.rhai", "export const SIZE = 5;\n");
    h.run_until("the module is back", |world| {
        world.resource::<CurrentScriptErrors>().is_empty()
    });
    let now: i64 = h.state(entity, "count").unwrap();
    h.update();
    assert_eq!(h.state::<i64>(entity, "count"), Some(now + 5));
}

#[test]
fn an_import_cycle_is_refused_with_its_chain() {
    let mut h = Harness::new();
    h.write("lib/a.rhai", "import \"lib/b\" as b;\nfn f() { 1 }\n");
    h.write("lib/b.rhai", "\nimport \"./a\" as a;\nfn g() { 2 }\n");
    h.write(
        "scripts/top.rhai",
        "import \"lib/a\" as a;\nfn on_update() {}\n",
    );
    h.spawn("scripts/top.rhai");
    h.run_until_errors(1);
    let error = &h.errors()[0];
    assert_eq!(error.location().path, "lib/b.rhai");
    assert_eq!(error.location().line, Some(2));
    assert!(
        error
            .to_string()
            .contains("import cycle: lib/a.rhai → lib/b.rhai → lib/a.rhai"),
        "{error}"
    );
}

#[test]
fn a_script_that_imports_itself_is_a_cycle() {
    let mut h = Harness::new();
    h.write(
        "scripts/me.rhai",
        "import \"scripts/me\" as me;\nfn on_update() {}\n",
    );
    h.spawn("scripts/me.rhai");
    h.run_until_errors(1);
    let error = h.errors()[0].to_string();
    assert!(
        error.contains("import cycle: scripts/me.rhai → scripts/me.rhai"),
        "{error}"
    );
}

#[test]
fn refused_imports_name_the_importing_line() {
    let cases = [
        ("import \"/etc/passwd\" as p;", "absolute paths are refused"),
        (
            "import \"../../etc/passwd\" as p;",
            "leaves the assets folder",
        ),
        ("import \"other://lib/x\" as p;", "same asset source"),
        ("import \"lib/data.json\" as p;", "not .json"),
        (
            "let name = \"lib/x\";\nimport name as p;",
            "must be a string literal",
        ),
        (
            "fn f() { import \"lib/x\" as p; }",
            "import inside a function is not supported",
        ),
    ];
    for (text, expected) in cases {
        let mut h = Harness::new();
        h.write(
            "scripts/bad.rhai",
            &format!("\n{text}\nfn on_update() {{}}\n"),
        );
        h.spawn("scripts/bad.rhai");
        h.run_until_errors(1);
        let error = &h.errors()[0];
        assert_eq!(error.location().path, "scripts/bad.rhai", "{text}");
        assert!(error.location().line >= Some(2), "{text}: {error}");
        assert!(error.to_string().contains(expected), "{text}: {error}");
    }
}

#[test]
fn module_variables_belong_to_the_module_not_to_entities() {
    let mut h = Harness::new();
    h.write("lib/config.rhai", "export let LIMIT = 5;\n");
    h.write(
        "scripts/user.rhai",
        "import \"lib/config\" as config;\nlet seen = 0;\nfn on_update() { seen = config::LIMIT; }\n",
    );
    let entity = h.spawn("scripts/user.rhai");
    h.run_until_ready(entity);
    h.update();
    assert_eq!(h.state::<i64>(entity, "seen"), Some(5));
    assert_eq!(h.state::<i64>(entity, "LIMIT"), None, "not entity state");
    assert_eq!(h.state::<i64>(entity, "config"), None);
}

#[test]
fn a_runtime_error_in_a_module_names_the_module_line() {
    let mut h = Harness::new();
    h.write("lib/risky.rhai", "fn divide(a, b) {\n    a / b\n}\n");
    h.write(
        "scripts/user.rhai",
        "import \"lib/risky\" as risky;\nlet n = 0;\nfn on_update() { n = risky::divide(1, 0); }\n",
    );
    let entity = h.spawn("scripts/user.rhai");
    h.run_until_errors(1);
    let error = &h.errors()[0];
    let location = error.location();
    assert_eq!(
        (location.path.as_str(), location.line, location.column),
        ("lib/risky.rhai", Some(2), Some(7)),
        "{error:?}"
    );
    let shown = format!("{error:#}");
    assert!(
        shown.contains("a / b") && shown.contains("on_update"),
        "{shown}"
    );
    assert_eq!(h.state::<i64>(entity, "n"), Some(0));
}
