//! Closures of older versions stay while some entity's state holds them
//! (a closure is a value: it runs the code it was made from), and go once
//! none does: edits do not pile up old closures.

mod common;

use bevy::prelude::Entity;
use bevy_rhai_hot::ScriptState;
use common::Harness;

/// `init()` stores a closure that adds `step`.
fn script(step: i64) -> String {
    format!(
        "let cl = ();\nlet got = 0;\nfn init() {{ cl = |x| x + {step}; }}\nfn on_update() {{ if cl != () {{ got = cl.call(41); }} }}\n"
    )
}

/// The closures in the version `entity` runs.
fn closures(h: &Harness, entity: Entity) -> usize {
    let state = h.app.world().get::<ScriptState>(entity).unwrap();
    let version = state.running_versions().next().flatten().unwrap();
    version
        .ast()
        .iter_functions()
        .filter(|function| function.name.starts_with("anon$"))
        .count()
}

#[test]
fn a_closure_of_an_older_version_is_dropped_once_no_entity_holds_it() {
    let mut h = Harness::new();
    h.write("scripts/closure.rhai", &script(1));
    let old = h.spawn("scripts/closure.rhai");
    h.run_until_ready(old);
    h.update();
    assert_eq!(h.state::<i64>(old, "got"), Some(42));
    assert_eq!(closures(&h, old), 1);

    // `init` changes: `old` still holds the first closure, which stays.
    h.edit("scripts/closure.rhai", &script(2));
    h.run_until_reloads(1);
    h.updates(2);
    assert_eq!(
        h.state::<i64>(old, "got"),
        Some(42),
        "the kept closure runs"
    );
    assert_eq!(closures(&h, old), 2, "the held one and the new one");

    // Nobody holds a closure any more: the next version keeps only its own.
    (h.app.world_mut().get_mut::<ScriptState>(old))
        .unwrap()
        .set("cl", rhai::Dynamic::UNIT);
    h.edit("scripts/closure.rhai", &script(3));
    h.run_until_reloads(2);
    assert_eq!(closures(&h, old), 1, "the closures nobody holds are gone");
    let new = h.spawn("scripts/closure.rhai");
    h.run_until_ready(new);
    h.update();
    assert_eq!(h.state::<i64>(new, "got"), Some(44));
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}
