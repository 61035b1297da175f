//! Loading the modules a script imports, through the asset server.
//!
//! The loader of the importing script reads each module's file with
//! [`LoadContext::read_asset_bytes`], which makes the module a dependency
//! of the importer: when the module's file changes, Bevy loads the importer
//! again, and so every importer, direct or not, gets a new version. Module
//! versions are compiled once, whatever the number of importers, and
//! shared (see [`ModuleCache`]).

use std::collections::HashMap;
use std::future::Future;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use async_lock::OnceCell;
use bevy::asset::{AssetPath, LoadContext};
use rhai::Engine;

use super::{decode, on_own_thread};
use crate::script::modules::{
    CompiledModule, ImportStatement, build_module, module_asset_path, parse_module,
};
use crate::script::{ScriptError, ScriptLocation, hash_of};

type Cached<T> = Arc<OnceCell<Result<Arc<T>, ScriptError>>>;

/// Values made once per key, however many loads ask for them at once, and
/// kept while something else holds them.
struct Cache<T>(Mutex<HashMap<u64, Cached<T>>>);

impl<T> Default for Cache<T> {
    fn default() -> Self {
        Self(Mutex::default())
    }
}

impl<T> Cache<T> {
    /// The entry for `key`, made if there is none; entries that nothing
    /// else holds any more are dropped on the way.
    fn entry(&self, key: u64) -> Cached<T> {
        let mut cache = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !cache.contains_key(&key) {
            cache.retain(|_, entry| match entry.get() {
                None => true,
                Some(Ok(value)) => Arc::strong_count(value) > 1,
                Some(Err(_)) => false,
            });
        }
        cache.entry(key).or_default().clone()
    }
}

/// A module file, parsed: its syntax tree and its imports.
type ParsedModule = (rhai::AST, Vec<ImportStatement>);

/// Every module version compiled and still imported by some script version,
/// by a key of its text and its own imports' versions; and module texts
/// parsed for loads under way, so that the importers a module's edit loads
/// again parse it once.
#[derive(Clone, Default)]
pub(crate) struct ModuleCache(Arc<(Cache<CompiledModule>, Cache<ParsedModule>)>);

/// What loading a script's imports needs.
pub(crate) struct ModuleLoading<'a> {
    pub(crate) engine: &'a Arc<Engine>,
    pub(crate) cache: &'a ModuleCache,
    pub(crate) extensions: &'static [&'static str],
}

/// Why a script's imports could not be loaded.
pub(crate) struct ImportFailure {
    pub(crate) error: ScriptError,
    /// Module files that could not be read: the script waits for them.
    pub(crate) missing: Vec<String>,
}

impl ModuleLoading<'_> {
    /// Loads the modules `imports` name, in order, for the file at
    /// `importer` (`text` is its source, for error lines). `chain` is the
    /// path of imports that led here, to find cycles.
    pub(crate) async fn load_all(
        &self,
        context: &mut LoadContext<'_>,
        importer: &str,
        text: &str,
        imports: &[ImportStatement],
        chain: &mut Vec<String>,
    ) -> Result<Vec<Arc<CompiledModule>>, ImportFailure> {
        let mut modules = Vec::with_capacity(imports.len());
        for import in imports {
            let at_import = |message: String| ImportFailure {
                error: ScriptError::Compile {
                    location: ScriptLocation::new(importer, import.position).with_source(text),
                    message,
                },
                missing: Vec::new(),
            };
            let path =
                module_asset_path(importer, &import.literal, self.extensions).map_err(at_import)?;
            if let Some(start) = chain.iter().position(|link| *link == path) {
                let mut cycle = chain[start..].to_vec();
                cycle.push(path);
                return Err(at_import(format!("import cycle: {}", cycle.join(" → "))));
            }
            let module = self.load_one(context, &path, chain).await;
            match module {
                Ok(module) => modules.push(module),
                Err(ModuleError::Missing(reason)) => {
                    let mut failure = at_import(format!(
                        "cannot import \"{}\": {path} cannot be read ({reason}); the \
                         script waits for it",
                        import.literal
                    ));
                    failure.missing.push(path);
                    return Err(failure);
                }
                Err(ModuleError::Failed(failure)) => return Err(failure),
            }
        }
        Ok(modules)
    }

    /// Loads one module and, first, the modules it imports. Boxed: it
    /// recurses through [`Self::load_all`].
    fn load_one<'a>(
        &'a self,
        context: &'a mut LoadContext<'_>,
        path: &'a str,
        chain: &'a mut Vec<String>,
    ) -> Pin<Box<dyn Future<Output = Result<Arc<CompiledModule>, ModuleError>> + Send + 'a>> {
        Box::pin(self.load_one_unboxed(context, path, chain))
    }

    async fn load_one_unboxed(
        &self,
        context: &mut LoadContext<'_>,
        path: &str,
        chain: &mut Vec<String>,
    ) -> Result<Arc<CompiledModule>, ModuleError> {
        let asset_path = AssetPath::from_path(Path::new(path))
            .with_source(context.path().source().clone_owned());
        let bytes = (context.read_asset_bytes(asset_path).await)
            .map_err(|error| ModuleError::Missing(error.to_string()))?;
        let failed = |error| {
            ModuleError::Failed(ImportFailure {
                error,
                missing: Vec::new(),
            })
        };
        let text: Arc<str> = decode(path, &bytes).map_err(failed)?.into();
        let text_hash = hash_of(&bytes);
        let parse_key = {
            let mut hasher = DefaultHasher::new();
            (path, text_hash).hash(&mut hasher);
            hasher.finish()
        };
        let parsed = (self.cache.0.1.entry(parse_key))
            .get_or_init(|| async {
                let (engine, module_path, text) =
                    (self.engine.clone(), path.to_owned(), text.clone());
                on_own_thread(&self.engine.clone(), move || {
                    parse_module(&engine, &module_path, &text)
                })
                .await
                .map_err(|message| compile_error(path, message))
                .and_then(|parsed| parsed.map(Arc::new))
            })
            .await
            .clone()
            .map_err(failed)?;
        let imports = parsed.1.clone();
        chain.push(path.to_owned());
        let children = self.load_all(context, path, &text, &imports, chain).await;
        chain.pop();
        let children = children.map_err(ModuleError::Failed)?;

        let mut hasher = DefaultHasher::new();
        parse_key.hash(&mut hasher);
        for child in &children {
            child.key.hash(&mut hasher);
        }
        let key = hasher.finish();
        let entry = self.cache.0.0.entry(key);
        let built = entry
            .get_or_init(move || async move {
                let engine = self.engine.clone();
                let module_path = path.to_owned();
                on_own_thread(&self.engine.clone(), move || {
                    let (ast, imports) = &*parsed;
                    crate::engine::run_in_context(None, None, &module_path, None, || {
                        build_module(
                            &engine,
                            &module_path,
                            &text,
                            ast,
                            imports,
                            &children,
                            (key, text_hash),
                        )
                    })
                })
                .await
                .map_err(|message| compile_error(path, message))
                .and_then(|built| built.map(Arc::new))
            })
            .await;
        built.clone().map_err(failed)
    }
}

enum ModuleError {
    /// The file could not be read.
    Missing(String),
    Failed(ImportFailure),
}

fn compile_error(path: &str, message: String) -> ScriptError {
    ScriptError::Compile {
        location: ScriptLocation::new(path, rhai::Position::NONE),
        message,
    }
}
