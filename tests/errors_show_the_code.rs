//! A logged script error shows the code: the source line with a caret
//! under the column (rustc style) and, for an error in a function the
//! handler called, the chain of calls. `{error}` stays one line for UIs;
//! `{error:#}` is the logged form.

mod common;

use common::{Harness, capture_logs};

#[test]
fn a_syntax_error_shows_its_line_and_column() {
    let ((), logs) = capture_logs(|| {
        let mut h = Harness::new();
        h.write(
            "scripts/typo.rhai",
            "let speed = 1.0;\nlet step = speed * ;\nfn on_update() {}\n",
        );
        h.spawn("scripts/typo.rhai");
        h.run_until_errors(1);
        let error = &h.errors()[0];
        let one_line = error.to_string();
        assert!(!one_line.contains('\n'), "{one_line}");
        assert_eq!(
            format!("{error:#}"),
            format!("{one_line}\n  |\n2 | let step = speed * ;\n  |                    ^")
        );
    });
    assert!(
        logs.iter()
            .any(|(_, line)| line.contains("2 | let step = speed * ;") && line.contains('^')),
        "the log shows the code: {logs:?}"
    );
}

#[test]
fn a_runtime_error_shows_the_calls_that_led_to_it() {
    let ((), logs) = capture_logs(|| {
        let mut h = Harness::new();
        h.write(
            "scripts/nested.rhai",
            "fn clamp(v) {\n\tv.missing()\n}\nfn steer(v) { clamp(v) }\nfn on_update() { steer(1); }\n",
        );
        let entity = h.spawn("scripts/nested.rhai");
        h.run_until_ready(entity);
        h.run_until_errors(1);
        let error = &h.errors()[0];
        let pretty = format!("{error:#}");
        let expected_tail = "\n  in clamp, called from steer, called from on_update\n  |\n2 | \tv.missing()\n  | \t  ^";
        assert!(
            pretty.starts_with("scripts/nested.rhai:2:4: on_update on entity")
                && pretty.ends_with(expected_tail),
            "{pretty}"
        );
        let bevy_rhai_hot::ScriptError::Runtime { calls, .. } = error else {
            panic!("a runtime error: {error:?}");
        };
        assert_eq!(calls, &["on_update", "steer", "clamp"]);
    });
    assert!(
        logs.iter()
            .any(|(_, line)| line.contains("in clamp, called from steer")),
        "{logs:?}"
    );
}
