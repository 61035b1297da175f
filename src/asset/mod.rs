//! `.rhai` files as Bevy assets: the asset type, its loader, the live
//! version of each path that new versions are patched against, and the
//! faster file watcher.

mod fast_reload;
mod imports;
mod live;
mod loader;
mod waiting_modules;

use std::sync::Arc;

use bevy::prelude::*;
use rhai::Engine;

pub use fast_reload::FastScriptReload;
pub(crate) use live::LiveByPath;
pub(crate) use loader::RhaiScriptLoader;
pub(crate) use waiting_modules::{
    WaitingForModules, reload_when_modules_appear, scripts_wait_for_modules,
};

/// The file extensions scripts load from (see
/// [`RhaiPlugin::with_extensions`](crate::RhaiPlugin::with_extensions)).
#[derive(Resource, Clone, Copy, Debug)]
pub(crate) struct ScriptExtensions(pub(crate) &'static [&'static str]);

use bevy::asset::LoadContext;

pub(crate) use imports::ModuleCache;
use imports::{ImportFailure, ModuleLoading};

use crate::engine::{COMPILE_THREAD, run_in_context};
use crate::script::modules::ScriptModules;
use crate::script::{CompiledScript, ParsedScript, ScriptError, ScriptLocation, hash_of};

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
    /// Modules it imports whose files could not be read.
    waiting_on: Vec<String>,
    compiled: Result<Arc<CompiledScript>, ScriptError>,
}

/// The UTF-8 byte-order mark.
const BYTE_ORDER_MARK: &[u8] = "\u{feff}".as_bytes();

/// Stack for compiling a script and running its top-level code (see
/// [`on_own_thread`]), beyond
/// what each call level may take: Bevy's IO threads, where loaders run,
/// have small stacks, and a debug build of Rhai takes tens of KiB a level.
const BASE_STACK: usize = 16 << 20;
const STACK_PER_CALL_LEVEL: usize = 512 << 10;

/// Runs `f` (parsing, building, top-level code) on a thread of its own and
/// waits for it without blocking the thread that awaits: none of it holds
/// up a frame, whatever executor the app runs loaders on (without Bevy's
/// `multi_threaded`, that is the main thread). The thread's stack fits the
/// engine's call-depth limit, so deep (legal) recursion in top-level code
/// cannot overflow a small stack and abort the process.
pub(crate) async fn on_own_thread<T: Send + 'static>(
    engine: &Engine,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let stack = BASE_STACK + engine.max_call_levels() * STACK_PER_CALL_LEVEL;
    let (sender, receiver) = async_channel::bounded(1);
    std::thread::Builder::new()
        .name(COMPILE_THREAD.into())
        .stack_size(stack)
        .spawn(move || {
            // The loader may have been dropped meanwhile: nobody waits.
            let _ = sender.send_blocking(f());
        })
        .map_err(|error| format!("cannot start a thread to compile the script: {error}"))?;
    (receiver.recv().await)
        .map_err(|_| "compiling the script panicked (a bug: please report it)".to_owned())
}

/// Loads a script version: parses it, loads the modules it imports (see
/// [`imports`]), and builds it as a patch of `base` where it can be.
pub(crate) async fn load_script(
    modules: &ModuleLoading<'_>,
    context: &mut LoadContext<'_>,
    path: String,
    source: Vec<u8>,
    base: Option<Arc<CompiledScript>>,
    live: &LiveByPath,
) -> RhaiScript {
    let engine = modules.engine.clone();
    let mut script = RhaiScript {
        path: path.clone(),
        content_hash: 0,
        blank: false,
        built_on: base.as_deref().map(CompiledScript::content_hash),
        waiting_on: Vec::new(),
        compiled: Err(ScriptError::Compile {
            location: ScriptLocation::new(&path, rhai::Position::NONE),
            message: String::new(),
        }),
    };
    let failed = |script: &mut RhaiScript, error| script.compiled = Err(error);
    let compile_error = |message| ScriptError::Compile {
        location: ScriptLocation::new(&path, rhai::Position::NONE),
        message,
    };

    // Hashing 10 MB takes milliseconds: not on this thread, which may be
    // the main one. A script that imports nothing is built on the same
    // thread: each await is a frame on a single-threaded executor.
    let first = {
        let (engine, path, base, live) = (engine.clone(), path.clone(), base.clone(), live.clone());
        on_own_thread(&engine.clone(), move || {
            let hash = hash_of(&source);
            let blank = source.iter().all(u8::is_ascii_whitespace);
            // The live text read again (a second event for one save, the
            // read after overlapping saves): a big script's parse takes
            // seconds, and would compete with the game for the cores.
            if let Some(current) = base.as_ref().filter(|base| base.content_hash() == hash) {
                return (hash, blank, Ok(FirstStep::Built(current.clone())));
            }
            let parse = || {
                decode(&path, &source).and_then(|text| {
                    ParsedScript::parse_against(&engine, &path, text, base.as_deref())
                })
            };
            // Overlapping loads of this text wait here for the first one's
            // build (this is a thread of its own: waiting blocks no frame).
            let shared = live.shared_build(
                &path,
                hash,
                base.as_deref().map(CompiledScript::content_hash),
            );
            let mut needs_modules = None;
            let built = shared.get_or_init(|| match parse() {
                Err(error) => Some(Err(error)),
                Ok(parsed) if !parsed.imports().is_empty() => {
                    needs_modules = Some(parsed);
                    None
                }
                Ok(parsed) => Some(build(&engine, &path, parsed, base.as_deref())),
            });
            let step = match (built.clone(), needs_modules) {
                (Some(built), _) => built.map(FirstStep::Built),
                (None, Some(parsed)) => Ok(FirstStep::NeedsModules(Box::new(parsed))),
                (None, None) => parse().map(|parsed| FirstStep::NeedsModules(Box::new(parsed))),
            };
            (hash, blank, step)
        })
        .await
    };
    let mut parsed = match first {
        Ok((hash, blank, step)) => {
            script.content_hash = hash;
            script.blank = blank;
            match step {
                Ok(FirstStep::NeedsModules(parsed)) => *parsed,
                Ok(FirstStep::Built(built)) => {
                    script.compiled = Ok(built);
                    return script;
                }
                Err(error) => {
                    failed(&mut script, error);
                    return script;
                }
            }
        }
        Err(message) => {
            failed(&mut script, compile_error(message));
            return script;
        }
    };

    let imports = parsed.imports().to_vec();
    let text = parsed.source().clone();
    let loaded = (modules.load_all(context, &path, &text, &imports, &mut vec![path.clone()]))
        .await
        .map(|loaded| ScriptModules::new(&imports, &loaded));
    match loaded {
        Ok(loaded) => {
            parsed = parsed.with_modules(loaded);
            script.content_hash = parsed.content_hash();
        }
        Err(ImportFailure { mut error, missing }) => {
            if error.location().path != path {
                error.add_context(&format!("imported by {path}"));
            }
            script.waiting_on = missing;
            failed(&mut script, error);
            return script;
        }
    }

    let build_path = path.clone();
    let built = on_own_thread(&engine.clone(), move || {
        build(&engine, &build_path, parsed, base.as_deref())
    })
    .await;
    script.compiled = built.map_err(compile_error).and_then(|built| built);
    script
}

/// Builds `parsed` as a patch of `base` where it can be; its top-level code
/// runs here, and its `print` lines name the script.
fn build(
    engine: &Engine,
    path: &str,
    parsed: ParsedScript,
    base: Option<&CompiledScript>,
) -> Result<Arc<CompiledScript>, ScriptError> {
    let mut compiled = run_in_context(None, None, path, None, || parsed.build(engine, base))?;
    if let Some(base) = base {
        compiled.compare_with(base);
    }
    Ok(Arc::new(compiled))
}

/// What the first step of a load gives: the built version, or the parsed
/// script when its modules must load first.
enum FirstStep {
    Built(Arc<CompiledScript>),
    NeedsModules(Box<ParsedScript>),
}

/// The text of a script file: UTF-8, without a byte-order mark.
pub(crate) fn decode<'a>(path: &str, source: &'a [u8]) -> Result<&'a str, ScriptError> {
    // Several Windows editors start files with a byte-order mark, which
    // Rhai would read as an unexpected character.
    let text = source.strip_prefix(BYTE_ORDER_MARK).unwrap_or(source);
    std::str::from_utf8(text).map_err(|error| not_utf8(path, text, &error))
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
    /// The content hash of the version that was live when this one was
    /// built, if any.
    pub(crate) fn built_on(&self) -> Option<u64> {
        self.built_on
    }

    /// Module files this version imports but could not read: it waits for
    /// them to appear.
    pub(crate) fn waiting_on(&self) -> &[String] {
        &self.waiting_on
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
