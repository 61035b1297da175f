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

/// The UTF-8 byte-order mark.
const BYTE_ORDER_MARK: &[u8] = "\u{feff}".as_bytes();

/// Stack for compiling a script and running its top-level code (see
/// [`compile_on_own_thread`]), beyond
/// what each call level may take: Bevy's IO threads, where loaders run,
/// have small stacks, and a debug build of Rhai takes tens of KiB a level.
const BASE_STACK: usize = 16 << 20;
const STACK_PER_CALL_LEVEL: usize = 512 << 10;

/// Compiles a script version on a thread of its own and waits for it
/// without blocking the thread that awaits: parsing, outlining, folding and
/// running top-level code never hold up a frame, whatever executor the app
/// runs loaders on (without Bevy's `multi_threaded`, that is the main
/// thread). The thread's stack fits the engine's call-depth limit, so deep
/// (legal) recursion in top-level code cannot overflow a small stack and
/// abort the process.
pub(crate) async fn compile_on_own_thread(
    engine: Arc<Engine>,
    path: String,
    source: Vec<u8>,
    base: Option<Arc<CompiledScript>>,
) -> RhaiScript {
    let stack = BASE_STACK + engine.max_call_levels() * STACK_PER_CALL_LEVEL;
    let (sender, receiver) = async_channel::bounded(1);
    let failed = {
        // Hashing 10 MB takes milliseconds: not on this thread, which may
        // be the main one. A version that never compiled needs no hash.
        let path = path.clone();
        let built_on = base.as_deref().map(CompiledScript::content_hash);
        move |message: String| RhaiScript {
            path: path.clone(),
            content_hash: 0,
            blank: false,
            built_on,
            compiled: Err(ScriptError::Compile {
                location: ScriptLocation::new(&path, rhai::Position::NONE),
                message,
            }),
        }
    };
    let spawned = std::thread::Builder::new()
        .name("rhai script compile".into())
        .stack_size(stack)
        .spawn(move || {
            let script = RhaiScript::compile(&engine, path, &source, base.as_deref());
            // The loader may have been dropped meanwhile: nobody waits.
            let _ = sender.send_blocking(script);
        });
    match spawned {
        Ok(_) => match receiver.recv().await {
            Ok(script) => script,
            Err(_) => failed("compiling the script panicked (a bug: please report it)".into()),
        },
        Err(error) => failed(format!(
            "cannot start a thread to compile the script: {error}"
        )),
    }
}

/// The error for a file that is not UTF-8, at the first bad byte.
fn not_utf8(path: &str, text: &[u8], error: &std::str::Utf8Error) -> ScriptError {
    let valid = &text[..error.valid_up_to()];
    let line_start = valid
        .iter()
        .rposition(|byte| *byte == b'\n')
        .map_or(0, |at| at + 1);
    let before = std::str::from_utf8(&valid[line_start..]).unwrap_or_default();
    ScriptError::Compile {
        location: ScriptLocation {
            path: path.to_owned(),
            line: Some(valid.iter().filter(|byte| **byte == b'\n').count() + 1),
            column: Some(before.chars().count() + 1),
            source_line: None,
        },
        message: format!(
            "the file is not UTF-8 text: byte 0x{:02x} at offset {} (save it as UTF-8)",
            text[error.valid_up_to()],
            error.valid_up_to()
        ),
    }
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
        // Several Windows editors start files with a byte-order mark, which
        // Rhai would read as an unexpected character.
        let text = source.strip_prefix(BYTE_ORDER_MARK).unwrap_or(source);
        let compiled = match std::str::from_utf8(text) {
            // Top-level code runs here: its `print` lines name the script.
            Ok(text) => run_in_context(None, None, &path, None, || {
                CompiledScript::compile(engine, &path, text, base)
            })
            .map(Arc::new),
            Err(error) => Err(not_utf8(&path, text, &error)),
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
