//! An event that reaches an entity before its script has compiled is not
//! dropped: it runs right after `init()`, in the order events came.

mod common;

use bevy_rhai_hot::prelude::*;
use common::Harness;

#[test]
fn events_sent_before_the_script_starts_run_after_init() {
    let mut h = Harness::new();
    h.write(
        "scripts/listener.rhai",
        "let log = [];\nfn init() { log.push(\"init\"); }\nfn on_ping(payload) { log.push(payload); }\n",
    );
    let entity = h.spawn("scripts/listener.rhai");
    // The script is still loading: these reach the entity first.
    for payload in ["first", "second"] {
        h.app
            .world_mut()
            .write_message(ScriptEvent::to(entity, "ping").with_payload(payload));
    }
    h.run_until_ready(entity);
    h.update();
    assert_eq!(
        h.state::<Vec<String>>(entity, "log"),
        Some(vec![
            "init".to_owned(),
            "first".to_owned(),
            "second".to_owned()
        ])
    );
}
