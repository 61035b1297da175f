//! Faster hot reload from files: Bevy's default file source waits for 300 ms
//! of quiet after a file event before it reloads; scripts need far less.

use std::time::Duration;

use bevy::asset::io::{AssetSource, AssetSourceBuilder, AssetSourceId};
use bevy::prelude::*;

/// Makes saved scripts go live within a couple of frames: the default
/// asset source's file watcher waits 10 ms for more events on a file
/// instead of Bevy's 300 ms. Measured here, edit-to-effect goes from about
/// 320 ms to about 20 ms (see `benches/README.md`).
///
/// # What it changes, exactly
///
/// It registers the default asset source that `AssetPlugin` would build
/// itself (`AssetSourceBuilder::platform_default`: the same reader and
/// writer over [`file_path`](Self::file_path), the same processed reader
/// and writer over [`processed_file_path`](Self::processed_file_path), the
/// same watch warning), with one difference: both of its file watchers use
/// [`debounce`](Self::debounce). Bevy debounces per asset source, not per
/// asset type, so other assets from the default source (images, scenes)
/// reload sooner too; nothing else about them changes. Assets from other
/// sources are untouched.
///
/// Bevy builds asset sources when `AssetPlugin` is added, so add this
/// plugin **before** `DefaultPlugins` (added after, it logs an error and
/// changes nothing):
///
/// ```no_run
/// # use bevy::prelude::*;
/// # use bevy_rhai_hot::prelude::*;
/// App::new()
///     .add_plugins((FastScriptReload::default(), DefaultPlugins, RhaiPlugin::default()))
///     .run();
/// ```
///
/// Editors that save in several steps (truncate then write, or write a
/// temporary file then rename it) are safe: an empty file is ignored, a
/// half-written one fails to compile and the last good version runs on
/// until the next event brings the whole file.
#[derive(Clone, Debug)]
pub struct FastScriptReload {
    /// How long the watcher waits for more events on a file before it
    /// reports the change.
    pub debounce: Duration,
    /// The asset folder, as in `AssetPlugin::file_path`.
    pub file_path: String,
    /// The processed asset folder, as in `AssetPlugin::processed_file_path`
    /// (used only when the app processes assets).
    pub processed_file_path: String,
}

impl Default for FastScriptReload {
    fn default() -> Self {
        let asset_plugin = AssetPlugin::default();
        Self {
            debounce: Duration::from_millis(10),
            file_path: asset_plugin.file_path,
            processed_file_path: asset_plugin.processed_file_path,
        }
    }
}

impl Plugin for FastScriptReload {
    fn build(&self, app: &mut App) {
        if app.world().contains_resource::<AssetServer>() {
            error!(
                "FastScriptReload must be added before AssetPlugin (DefaultPlugins): \
                 scripts reload with Bevy's 300 ms debounce"
            );
            return;
        }
        let (path, processed) = (self.file_path.clone(), self.processed_file_path.clone());
        app.register_asset_source(
            AssetSourceId::Default,
            AssetSourceBuilder::platform_default(&path, Some(&processed))
                .with_watcher(AssetSource::get_default_watcher(path, self.debounce))
                .with_processed_watcher(AssetSource::get_default_watcher(processed, self.debounce)),
        );
    }
}
