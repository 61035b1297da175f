//! Failures are logged once each, where they are: an error whose text
//! changes every frame, and a handler that can never be called.
//!
//! Every test in this file captures the log (one at a time), so that no
//! log call site is first reached where nobody listens.

mod common;

use bevy::log::Level;
use common::{Harness, capture_logs};

#[test]
fn an_error_whose_text_changes_every_frame_is_logged_once() {
    let mut h = Harness::new();
    h.write(
        "scripts/counter.rhai",
        "let n = 0;\nfn on_update() {\n    n += 1;\n    throw `bad number ${n}`;\n}\n",
    );
    let entity = h.spawn("scripts/counter.rhai");
    let (_, logs) = capture_logs(|| {
        h.run_until_ready(entity);
        h.updates(10);
    });
    let logged = logs
        .iter()
        .filter(|(level, line)| *level == Level::ERROR && line.contains("bad number"))
        .count();
    assert_eq!(logged, 1, "{logs:?}");
    // Every failure still arrives as a message, each with its own text.
    assert!(h.errors().len() >= 10);
    assert_eq!(h.state::<i64>(entity, "n"), Some(h.errors().len() as i64));
}

#[test]
fn a_handler_that_can_never_be_called_is_warned_about_once() {
    let mut h = Harness::new();
    h.write(
        "scripts/wrong.rhai",
        "let n = 0;\nfn on_update(a, b, c) { n += 1; }\nfn init(x) { n = 5; }\n",
    );
    let entity = h.spawn("scripts/wrong.rhai");
    let (_, logs) = capture_logs(|| {
        h.run_until_ready(entity);
        h.updates(5);
    });
    let warnings: Vec<&String> = logs
        .iter()
        .filter(|(level, line)| *level == Level::WARN && line.contains("never called"))
        .map(|(_, line)| line)
        .collect();
    assert_eq!(warnings.len(), 2, "{logs:?}");
    assert!(
        warnings
            .iter()
            .any(|line| line.contains("scripts/wrong.rhai:2")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|line| line.contains("init takes 1")),
        "{warnings:?}"
    );
    assert_eq!(h.state::<i64>(entity, "n"), Some(0));
}

#[test]
fn every_failing_save_is_logged_even_a_text_seen_before() {
    let mut h = Harness::new();
    let good = "let n = 0;\nfn on_update() { n += 1; }\n";
    let broken_a = "let n = 0;\nfn on_update() { n += ; }\n";
    let broken_b = "let n = 0;\nfn on_update() { n += 1 }}\n";
    h.write("scripts/saved.rhai", good);
    let entity = h.spawn("scripts/saved.rhai");
    h.run_until_ready(entity);
    let (_, logs) = capture_logs(|| {
        for (count, text) in [broken_a, broken_b, broken_a].into_iter().enumerate() {
            h.edit("scripts/saved.rhai", text);
            h.run_until_errors(count + 1);
        }
        h.updates(3);
    });
    let logged = logs
        .iter()
        .filter(|(level, line)| *level == Level::ERROR && line.contains("scripts/saved.rhai:2:"))
        .count();
    assert_eq!(logged, 3, "{logs:?}");
}
