//! The asset loader: reads a `.rhai` file and compiles it on the app's
//! engine, as a patch of the live version where it can be.

use std::sync::Arc;

use bevy::asset::io::Reader;
use bevy::asset::{AssetLoader, LoadContext};
use bevy::prelude::*;
use rhai::Engine;

use super::{LiveByPath, ModuleCache, ModuleLoading, RhaiScript, load_script};

/// Loads `.rhai` files into [`RhaiScript`] assets, compiling them with the
/// app's script engine.
#[derive(TypePath)]
pub(crate) struct RhaiScriptLoader {
    pub(crate) engine: Arc<Engine>,
    /// The live versions: a new version is built as a patch of its path's.
    pub(crate) live: LiveByPath,
    /// The file extensions of scripts, `rhai` unless the app chose others.
    pub(crate) extensions: &'static [&'static str],
    /// The modules scripts import, compiled once per version.
    pub(crate) modules: ModuleCache,
}

impl AssetLoader for RhaiScriptLoader {
    type Asset = RhaiScript;
    type Settings = ();
    type Error = std::io::Error;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        _settings: &(),
        load_context: &mut LoadContext<'_>,
    ) -> Result<RhaiScript, Self::Error> {
        let path = load_context.path().to_string();
        let _in_flight = self.live.begin_load(&path);
        // The base is whatever is live now; if another version goes live
        // before this one is done, the reload system notices (the base no
        // longer matches) and has the file read again.
        let base = self.live.get(&path);
        let mut source = Vec::new();
        reader.read_to_end(&mut source).await?;
        let modules = ModuleLoading {
            engine: &self.engine,
            cache: &self.modules,
            extensions: self.extensions,
        };
        Ok(load_script(&modules, load_context, path, source, base, &self.live).await)
    }

    fn extensions(&self) -> &[&str] {
        self.extensions
    }
}
