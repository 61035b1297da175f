//! Nothing bad is written without a word, and nothing is lost: a NaN
//! transform is refused at the script's line, and a script whose first
//! version is an empty file starts once its text arrives.

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use common::Harness;

#[test]
fn a_transform_with_nan_is_refused_where_the_script_wrote_it() {
    let mut h = Harness::new();
    h.write(
        "scripts/nan.rhai",
        "fn on_update() {\n    let t = transform();\n    t.translation.x = 0.0 / 0.0;\n    set_transform(t);\n}\n",
    );
    let entity = h.spawn("scripts/nan.rhai");
    h.run_until_ready(entity);
    assert_eq!(
        h.app.world().get::<Transform>(entity),
        Some(&Transform::default())
    );
    let error = h.errors().first().expect("an error");
    assert!(error.message().contains("NaN"), "{error}");
    assert_eq!(error.location().line, Some(4), "{error}");
}

#[test]
fn a_script_whose_first_version_is_blank_starts_when_its_text_arrives() {
    let mut h = Harness::new();
    h.write("scripts/late.rhai", "");
    let entity = h.spawn("scripts/late.rhai");
    h.updates(10);
    assert!(
        !h.app.world().get::<ScriptState>(entity).unwrap().is_ready(),
        "an empty file is a save in progress, not the script"
    );
    h.edit(
        "scripts/late.rhai",
        "let greeted = false;\nfn init() { greeted = true; }\n",
    );
    h.run_until_ready(entity);
    assert_eq!(h.state::<bool>(entity, "greeted"), Some(true), "init ran");
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}
