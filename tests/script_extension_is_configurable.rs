//! The app can load scripts from files with other extensions.

mod common;

use bevy_rhai_hot::prelude::*;
use common::Harness;

#[test]
fn scripts_load_from_the_configured_extension() {
    let plugin = RhaiPlugin::default().with_extensions(&["script"]);
    let mut h = Harness::with(plugin, |_| {});
    h.write(
        "scripts/mover.script",
        "let n = 0;\nfn on_update() { n += 1; }\n",
    );
    h.write(
        "scripts/spawner.script",
        "let child = ();\nfn init() { child = spawn_script(\"scripts/mover.script\"); }\n",
    );
    let mover = h.spawn("scripts/mover.script");
    let spawner = h.spawn("scripts/spawner.script");
    h.run_until_ready(mover);
    h.run_until_ready(spawner);
    h.update();
    assert!(h.state::<i64>(mover, "n").is_some_and(|n| n >= 2));
    // Scripts spawn scripts of the configured extension, and only those.
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}

#[test]
fn the_default_extension_is_no_longer_a_script_then() {
    let plugin = RhaiPlugin::default().with_extensions(&["script"]);
    let mut h = Harness::with(plugin, |_| {});
    h.write(
        "scripts/spawner.script",
        "fn init() { spawn_script(\"scripts/other.rhai\"); }\n",
    );
    let spawner = h.spawn("scripts/spawner.script");
    h.run_until_ready(spawner);
    let error = h.errors().first().expect("a .rhai path is refused");
    assert!(error.message().contains("only scripts"), "{error}");
}
