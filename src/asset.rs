//! `.rhai` files as Bevy assets: the asset type, its loader, and the compiled
//! form that every entity using a script shares.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use bevy::asset::io::Reader;
use bevy::asset::{AssetLoader, LoadContext};
use bevy::prelude::*;
use rhai::{AST, Engine, OptimizationLevel, Position, Scope};

use crate::constants::ScriptConstants;
use crate::context::run_in_context;
use crate::error::{ScriptError, ScriptLocation};

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
    compiled: Result<Arc<CompiledScript>, ScriptError>,
}

impl RhaiScript {
    /// Compiles `source` with `engine` and runs its top-level code once.
    pub(crate) fn compile(engine: &Engine, path: String, source: &[u8]) -> Self {
        let content_hash = hash_of(source);
        let compiled = match std::str::from_utf8(source) {
            Ok(text) => CompiledScript::compile(engine, &path, text, content_hash).map(Arc::new),
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
            compiled,
        }
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
}

/// One compiled version of a script, shared by every entity that runs it.
#[derive(Debug)]
pub struct CompiledScript {
    path: String,
    content_hash: u64,
    ast: AST,
    /// Values of the top-level `let` variables: each entity's state starts
    /// as a copy of these.
    defaults: Scope<'static>,
    constants: ScriptConstants,
    /// Which arities each script function is defined with, as a bit mask.
    arities: HashMap<String, u64>,
    /// Where each function is defined: errors without a position of their
    /// own (the operation limit) point at the function that was running.
    definitions: HashMap<String, Position>,
    /// Arity of `on_update`, looked up once so that the per-frame path does
    /// no name lookup.
    on_update: Option<usize>,
}

impl CompiledScript {
    fn compile(
        engine: &Engine,
        path: &str,
        source: &str,
        content_hash: u64,
    ) -> Result<Self, ScriptError> {
        let mut ast = engine
            .compile(source)
            .map_err(|error| ScriptError::parse(path, &error))?;
        ast.set_source(path);

        // Top-level code runs once per version, here, to compute the
        // constants and the state defaults; handler calls never re-run it.
        let mut top_level = Scope::new();
        run_in_context(None, None, path, None, || {
            engine.run_ast_with_scope(&mut top_level, &ast)
        })
        .map_err(|error| ScriptError::top_level(path, &error))?;

        let mut constants = ScriptConstants::default();
        // The same constants, in the form Rhai's optimizer takes.
        let mut constant_scope = Scope::new();
        let mut defaults = Scope::new();
        for (name, is_constant, value) in top_level.iter() {
            if is_constant {
                constant_scope.push_constant_dynamic(name, value.clone());
                constants.push(name, value);
            } else {
                defaults.set_or_push(name, value);
            }
        }

        // Rhai functions cannot see top-level constants (see `constants`):
        // fold them into the function bodies where the optimizer can.
        if !constants.is_empty() {
            let level = match engine.optimization_level() {
                OptimizationLevel::None => OptimizationLevel::Simple,
                level => level,
            };
            ast = engine.optimize_ast(&constant_scope, ast, level);
            ast.set_source(path);
        }

        let mut arities = HashMap::<String, u64>::new();
        for function in ast.iter_functions() {
            let arity = function.params.len().min(63);
            *arities.entry(function.name.to_owned()).or_default() |= 1 << arity;
        }
        let definitions = find_definitions(source, arities.keys());
        let mut compiled = Self {
            path: path.to_owned(),
            content_hash,
            ast,
            defaults,
            constants,
            arities,
            definitions,
            on_update: None,
        };
        compiled.on_update = compiled.handler_arity(crate::dispatch::ON_UPDATE, 1);
        Ok(compiled)
    }

    /// The script's asset path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// A hash of the source this version was compiled from.
    pub fn content_hash(&self) -> u64 {
        self.content_hash
    }

    /// The compiled Rhai AST.
    pub fn ast(&self) -> &AST {
        &self.ast
    }

    /// The top-level `let` variables and their initial values.
    pub fn defaults(&self) -> &Scope<'static> {
        &self.defaults
    }

    pub(crate) fn constants(&self) -> &ScriptConstants {
        &self.constants
    }

    /// Whether the script defines `name` with `arity` parameters.
    pub fn defines(&self, name: &str, arity: usize) -> bool {
        self.arities
            .get(name)
            .is_some_and(|mask| arity < 64 && mask & (1 << arity) != 0)
    }

    /// The largest arity, up to `max_args`, that `name` is defined with: a
    /// handler may leave out trailing arguments it does not use.
    pub(crate) fn handler_arity(&self, name: &str, max_args: usize) -> Option<usize> {
        let mask = *self.arities.get(name)?;
        (0..=max_args.min(63))
            .rev()
            .find(|arity| mask & (1 << arity) != 0)
    }

    pub(crate) fn on_update_arity(&self) -> Option<usize> {
        self.on_update
    }

    /// Where function `name` is defined, or [`Position::NONE`].
    pub(crate) fn definition(&self, name: &str) -> Position {
        self.definitions
            .get(name)
            .copied()
            .unwrap_or(Position::NONE)
    }
}

/// Finds the line and column of `fn <name>(` for each function name. A plain
/// text scan is enough: it only serves errors that carry no position.
fn find_definitions<'a>(
    source: &str,
    names: impl Iterator<Item = &'a String>,
) -> HashMap<String, Position> {
    let mut definitions = HashMap::new();
    for name in names {
        let found = source.lines().enumerate().find_map(|(index, line)| {
            let column = line.find("fn ")?;
            let rest = line[column + 3..].trim_start();
            let after_name = rest.strip_prefix(name.as_str())?;
            after_name
                .trim_start()
                .starts_with('(')
                .then(|| Position::new((index + 1) as u16, (column + 1) as u16))
        });
        if let Some(position) = found {
            definitions.insert(name.clone(), position);
        }
    }
    definitions
}

fn hash_of(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

/// Loads `.rhai` files into [`RhaiScript`] assets, compiling them with the
/// app's script engine.
#[derive(TypePath)]
pub(crate) struct RhaiScriptLoader {
    pub(crate) engine: Arc<Engine>,
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
        let mut source = Vec::new();
        reader.read_to_end(&mut source).await?;
        let path = load_context.path().to_string();
        Ok(RhaiScript::compile(&self.engine, path, &source))
    }

    fn extensions(&self) -> &[&str] {
        &["rhai"]
    }
}
