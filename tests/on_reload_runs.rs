//! `on_reload()` runs for each entity after its script was reloaded, with the
//! entity's state intact; entities on other scripts are not called.

mod common;

use common::Harness;

#[test]
fn on_reload_runs_after_a_reload_with_state_intact() {
    let mut h = Harness::new();
    h.write(
        "scripts/a.rhai",
        "let reloads = 0;\nlet seen = -1;\nlet n = 7;\nfn on_reload() { reloads += 1; seen = n; }\n",
    );
    h.write(
        "scripts/other.rhai",
        "let reloads = 0;\nfn on_reload() { reloads += 1; }\n",
    );
    let entity = h.spawn("scripts/a.rhai");
    let other = h.spawn("scripts/other.rhai");
    h.run_until_ready(entity);
    h.run_until_ready(other);
    assert_eq!(h.state::<i64>(entity, "reloads"), Some(0));

    h.edit(
        "scripts/a.rhai",
        "let reloads = 0;\nlet seen = -1;\nlet n = 7;\nfn on_reload() { reloads += 10; seen = n; }\n",
    );
    h.run_until_reloads(1);
    assert_eq!(
        h.state::<i64>(entity, "reloads"),
        Some(10),
        "the new version's on_reload ran once"
    );
    assert_eq!(h.state::<i64>(entity, "seen"), Some(7));
    assert_eq!(h.state::<i64>(other, "reloads"), Some(0));
}
