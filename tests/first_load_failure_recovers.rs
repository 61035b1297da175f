//! A script whose first load fails leaves its entities waiting; once the file
//! is fixed they start, without re-attaching anything.

mod common;

use bevy_rhai_hot::prelude::*;
use common::Harness;

#[test]
fn entities_start_once_the_broken_first_version_is_fixed() {
    let mut h = Harness::new();
    h.write(
        "scripts/late.rhai",
        "let started = false;\nfn init() { started = true; \n",
    );
    let entity = h.spawn("scripts/late.rhai");
    h.run_until_errors(1);
    h.updates(10);
    assert_eq!(
        h.errors().len(),
        1,
        "the error is reported once, not every frame"
    );
    let state = h.app.world().get::<ScriptState>(entity).unwrap();
    assert!(!state.is_ready());

    h.edit(
        "scripts/late.rhai",
        "let started = false;\nfn init() { started = true; }\n",
    );
    h.run_until_ready(entity);
    assert_eq!(h.state::<bool>(entity, "started"), Some(true));
}
