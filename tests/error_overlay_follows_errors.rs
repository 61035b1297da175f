#![cfg_attr(not(feature = "overlay"), allow(missing_docs))]
#![cfg(feature = "overlay")]
//! `ScriptErrorOverlay` shows the current script errors on screen and hides
//! when they are fixed (run with `--features overlay`; the `live_sprites`
//! check in CI shows the same in pixels).

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use bevy_rhai_hot::{ScriptErrorOverlay, ScriptErrorOverlayRoot};
use common::Harness;

fn overlay(h: &mut Harness) -> (Visibility, String) {
    let world = h.app.world_mut();
    let visibility = *world
        .query_filtered::<&Visibility, With<ScriptErrorOverlayRoot>>()
        .single(world)
        .unwrap();
    let text = world
        .query::<&Text>()
        .iter(world)
        .map(|text| text.0.clone())
        .collect::<Vec<_>>()
        .join("\n");
    (visibility, text)
}

#[test]
fn the_overlay_shows_a_broken_save_until_it_is_fixed() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.add_plugins(ScriptErrorOverlay::default());
    });
    let good = "let n = 0;\nfn on_update() { n += 1; }\n";
    h.write("scripts/shown.rhai", good);
    let entity = h.spawn("scripts/shown.rhai");
    h.run_until_ready(entity);
    h.update();
    assert_eq!(overlay(&mut h).0, Visibility::Hidden);

    h.edit(
        "scripts/shown.rhai",
        "let n = 0;\nfn on_update() { n += ; }\n",
    );
    h.run_until_errors(1);
    h.update();
    let (visibility, text) = overlay(&mut h);
    assert_eq!(visibility, Visibility::Inherited);
    assert!(
        text.starts_with("scripts/shown.rhai:2:")
            && text.contains("fn on_update() { n += ; }")
            && text.contains('^'),
        "{text}"
    );

    h.edit("scripts/shown.rhai", good);
    h.run_until("the overlay hides", |world| {
        world.resource::<CurrentScriptErrors>().is_empty()
    });
    h.update();
    assert_eq!(overlay(&mut h).0, Visibility::Hidden);
}
