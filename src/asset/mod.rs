//! `.rhai` files as Bevy assets: the asset type, its loader, the live
//! version of each path that new versions are patched against, and the
//! faster file watcher.

mod fast_reload;
mod live;
mod loader;

use std::sync::Arc;

use bevy::prelude::*;
use rhai::Engine;

pub use fast_reload::FastScriptReload;
pub(crate) use live::LiveByPath;
pub(crate) use loader::RhaiScriptLoader;

/// The file extensions scripts load from (see
/// [`RhaiPlugin::with_extensions`](crate::RhaiPlugin::with_extensions)).
#[derive(Resource, Clone, Copy, Debug)]
pub(crate) struct ScriptExtensions(pub(crate) &'static [&'static str]);

use crate::engine::run_in_context;
use crate::script::{CompiledScript, ScriptError, ScriptLocation, hash_of};

/// A `.rhai` script file, as the asset server loaded it.
///
/// Loading never fails on a script error: the asset then holds the error
/// (see [`RhaiScript::error`]) and entities keep running the last version
/// that compiled. Load it like any asset:
/// `asset_server.load::<RhaiScript>("scripts/enemy.rhai")`.
#[derive(Asset, TypePath, Debug)]
pub struct RhaiScript {
    path: String,
    content_hash: u64,
    /// Whether the file is empty or blank: most likely a save in progress.
    blank: bool,
    /// The content hash of the version that was live when this one was
    /// built (and that it may patch), if any.
    built_on: Option<u64>,
    compiled: Result<Arc<CompiledScript>, ScriptError>,
}

impl RhaiScript {
    /// Compiles `source` with `engine`, as a patch of `base` where it can be,
    /// and runs its top-level code once.
    pub(crate) fn compile(
        engine: &Engine,
        path: String,
        source: &[u8],
        base: Option<&CompiledScript>,
    ) -> Self {
        let content_hash = hash_of(source);
        let compiled = match std::str::from_utf8(source) {
            // Top-level code runs here: its `print` lines name the script.
            Ok(text) => run_in_context(None, None, &path, None, || {
                CompiledScript::compile(engine, &path, text, base)
            })
            .map(Arc::new),
            Err(error) => Err(ScriptError::Compile {
                location: ScriptLocation {
                    path: path.clone(),
                    line: None,
                    column: None,
                },
                message: format!("the file is not UTF-8 text: {error}"),
            }),
        };
        Self {
            path,
            content_hash,
            blank: source.iter().all(u8::is_ascii_whitespace),
            built_on: base.map(CompiledScript::content_hash),
            compiled,
        }
    }

    /// The content hash of the version that was live when this one was
    /// built, if any.
    pub(crate) fn built_on(&self) -> Option<u64> {
        self.built_on
    }

    /// The asset path this script was loaded from.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The compiled script, if this version compiles.
    pub fn compiled(&self) -> Option<&Arc<CompiledScript>> {
        self.compiled.as_ref().ok()
    }

    /// The compiled script, or why this version does not compile.
    pub fn version(&self) -> Result<&Arc<CompiledScript>, &ScriptError> {
        self.compiled.as_ref()
    }

    /// Why this version does not compile, if it does not.
    pub fn error(&self) -> Option<&ScriptError> {
        self.compiled.as_ref().err()
    }

    /// A hash of the file's bytes: equal hashes mean an identical file.
    pub fn content_hash(&self) -> u64 {
        self.content_hash
    }

    /// Whether the file is empty or only whitespace. Such a version never
    /// replaces a running one: editors that truncate a file before writing
    /// it produce one in the middle of every save.
    pub fn is_blank(&self) -> bool {
        self.blank
    }
}
