//! A script version, compiled: parsed, its top-level code run once (its
//! constants kept for its functions, see `constants`), and built whole or
//! as a patch of the version before.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use bevy::ecs::entity::Entity;
use bevy::log::debug;
use rhai::{AST, Engine, EvalAltResult, Module, OptimizationLevel, Position, Scope};

use super::constants::{ScriptConstants, names_bound_in_functions};
use super::error::{ScriptError, ScriptLocation, call_chain, innermost_with_source};
use super::hooks::ON_UPDATE;
use super::modules::{
    ImportStatement, ScriptModules, imports_of, uses_global_namespace, with_importable,
};
use super::outline::{ClosureOutline, FunctionKey, NamedDiff, Outline, is_closure};
use super::parallel::{ParallelPolicy, QueryNames, UpdatePhase, update_phase};

mod function_edit;

use function_edit::FunctionEdit;

/// The longest script, in lines: Rhai counts lines in 16 bits, so past
/// this its positions wrap and errors would name the wrong line.
pub(crate) const MAX_LINES: usize = u16::MAX as usize;

/// One compiled version of a script, shared by every entity that runs it.
///
/// A version built from an edit of the live version is a *patch* when only
/// functions changed: it shares every unchanged function with the live
/// version and compiles only the changed and added ones. Otherwise it is
/// built whole.
#[derive(Debug)]
pub struct CompiledScript {
    path: String,
    content_hash: u64,
    /// The file's text, to show the line of an error.
    source: Arc<str>,
    ast: AST,
    /// Values of the top-level `let` variables: each entity's state starts
    /// as a copy of these.
    defaults: Scope<'static>,
    constants: ScriptConstants,
    /// Which arities each script function is defined with, as a bit mask;
    /// shared with the version before when the edit kept the same functions.
    arities: Arc<HashMap<String, u64>>,
    /// The functions of the file this version was built from.
    outline: Outline,
    /// Each closure in `ast`, as outlined in the version that compiled it.
    /// Closures of older versions stay: entity state may still hold them.
    closures: HashMap<String, ClosureOutline>,
    /// Closures of older versions that no code of this version makes any
    /// more: kept only while some entity's state may hold them.
    carried: HashSet<String>,
    /// Functions (and their closures) kept from a version whose file had
    /// them higher or lower, by name: how many lines to add to a position
    /// in their code to get the line in the current file. A name here has
    /// one function (see `function_edit`).
    shifts: HashMap<String, isize>,
    /// The names top-level statements call (see `function_edit`).
    top_level_calls: Arc<HashSet<String>>,
    /// The content hash of the version this one patched, if it is a patch.
    patched_from: Option<u64>,
    /// Arity of `on_update`, looked up once so that the per-frame path does
    /// no name lookup.
    on_update: Option<usize>,
    /// The modules it imports, if it imports any.
    modules: Option<Arc<ScriptModules>>,
    /// What handler calls run on when the script imports modules: its
    /// top-level imports, then the call (Rhai forgets imports between calls).
    calls_ast: Option<AST>,
    /// Handlers that hit a limit: not called again for this version.
    suspended: RwLock<HashSet<String>>,
    /// Whether `suspended` has any entry: the per-call check is one load.
    any_suspended: AtomicBool,
    /// Where `on_update` runs, found the first time it is called, and the
    /// queries it makes there (see `parallel`).
    update_phase: OnceLock<(UpdatePhase, Vec<QueryNames>)>,
    /// How its functions differ from the version it was built on (by
    /// content hash), found where it was built (see [`NamedDiff`]).
    diff_from_base: Option<(u64, Arc<NamedDiff>)>,
}

/// A script version that has been parsed but not built: the first of the two
/// steps the asset loader takes (see [`ParsedScript::build`]).
#[derive(Debug)]
pub struct ParsedScript {
    path: String,
    content_hash: u64,
    source: Arc<str>,
    ast: AST,
    outline: Outline,
    imports: Vec<ImportStatement>,
    modules: Option<ScriptModules>,
    /// Set when only one function was parsed (see `function_edit`).
    edit: Option<FunctionEdit>,
}

/// What running a version's top-level code yields.
struct TopLevel {
    constants: ScriptConstants,
    defaults: Scope<'static>,
}

impl ParsedScript {
    /// Parses `source`, the contents of the script at `path`.
    pub fn parse(engine: &Engine, path: &str, source: &str) -> Result<Self, ScriptError> {
        let lines = source.lines().count();
        if lines > MAX_LINES {
            return Err(ScriptError::Compile {
                location: ScriptLocation::new(path, Position::new(1, 1)),
                message: format!(
                    "the script has {lines} lines; Rhai counts lines in 16 bits, so \
                     scripts over {MAX_LINES} lines would report wrong lines and are refused: \
                     split it into smaller scripts"
                ),
            });
        }
        let mut ast = engine
            .compile(source)
            .map_err(|error| ScriptError::parse(path, &error, source))?;
        ast.set_source(path);
        let imports = imports_of(&ast).map_err(|(position, message)| ScriptError::Compile {
            location: ScriptLocation::new(path, position).with_source(source),
            message,
        })?;
        let outline = Outline::of(source, &ast);
        Ok(Self {
            path: path.to_owned(),
            content_hash: hash_of(source.as_bytes()),
            source: source.into(),
            ast,
            outline,
            imports,
            modules: None,
            edit: None,
        })
    }

    /// Parses `source`, the contents of the script at `path` that `base`
    /// runs now: a save that changed one function only is parsed by that
    /// function alone where the whole file means the same (see
    /// `function_edit`).
    pub fn parse_against(
        engine: &Engine,
        path: &str,
        source: &str,
        base: Option<&CompiledScript>,
    ) -> Result<Self, ScriptError> {
        if let Some(parsed) = base.and_then(|base| function_edit::parse(engine, path, source, base))
        {
            return Ok(parsed);
        }
        Self::parse(engine, path, source)
    }

    /// Whether this save was parsed by its one changed function alone,
    /// against the live version (see [`ParsedScript::parse_against`]).
    pub fn is_function_edit(&self) -> bool {
        self.edit.is_some()
    }

    /// The script's text.
    pub(crate) fn source(&self) -> &Arc<str> {
        &self.source
    }

    /// The script's top-level `import` statements.
    pub(crate) fn imports(&self) -> &[ImportStatement] {
        &self.imports
    }

    /// Gives the script the modules its `import` statements name. A version
    /// is told from the others by its text and its modules' versions, so
    /// that a module's edit makes a new version of every importer.
    pub(crate) fn with_modules(mut self, modules: ScriptModules) -> Self {
        let mut hasher = DefaultHasher::new();
        (self.content_hash, modules.key()).hash(&mut hasher);
        self.content_hash = hasher.finish();
        self.modules = Some(modules);
        self
    }

    /// The hash that tells this version from others (see [`Self::with_modules`]).
    pub(crate) fn content_hash(&self) -> u64 {
        self.content_hash
    }

    /// Builds the runnable version. With `base`, the version now live, a
    /// version whose edit changed only functions is a patch of `base`:
    /// unchanged functions are shared, not rebuilt.
    pub fn build(
        mut self,
        engine: &Engine,
        base: Option<&CompiledScript>,
    ) -> Result<CompiledScript, ScriptError> {
        if let Some(edit) = self.edit.take() {
            let built = base.and_then(|base| function_edit::build(&mut self, &edit, engine, base));
            return match built {
                Some(built) => built,
                None => Self::parse(engine, &self.path, &self.source)?.build(engine, base),
            };
        }
        // Top-level code runs once per version, here, to compute the
        // constants and the state defaults; handler calls never re-run it.
        // It runs on the new text even for a patch: it may call a function
        // the edit changed.
        let mut modules = self.modules.take();
        let top_level = match &modules {
            Some(modules) => with_importable(modules, || self.run_top_level(engine))?,
            None => self.run_top_level(engine)?,
        };
        // Rhai's `global::NAME` finds top-level constants only while
        // top-level code runs; handlers get them as an imported module.
        if uses_global_namespace(&self.ast) {
            (modules.get_or_insert_default()).add_global_constants(top_level.constants.to_module());
        }
        let top_level_calls = Arc::new(function_edit::top_level_calls(&self.ast));
        let mut compiled = self.build_with(engine, base, top_level);
        compiled.top_level_calls = top_level_calls;
        if let Some(modules) = modules {
            compiled.calls_ast = modules.calls_ast(&compiled.ast);
            compiled.modules = Some(Arc::new(modules));
        }
        Ok(compiled)
    }

    fn build_with(
        self,
        engine: &Engine,
        base: Option<&CompiledScript>,
        top_level: TopLevel,
    ) -> CompiledScript {
        let patchable = base.filter(|base| {
            base.outline.complete
                && self.outline.complete
                && base.outline.top_level == self.outline.top_level
                && base.constants.same_values(&top_level.constants)
        });
        match patchable {
            Some(base) => self.patch(engine, base, top_level),
            None => self.build_whole(engine, base, top_level),
        }
    }

    fn run_top_level(&self, engine: &Engine) -> Result<TopLevel, ScriptError> {
        let (constants, defaults) = self.run_statements(engine, &self.ast)?;
        Ok(TopLevel {
            constants,
            defaults,
        })
    }

    /// Runs the top-level statements of `ast`: its constants, and the
    /// initial values of its state variables.
    fn run_statements(
        &self,
        engine: &Engine,
        ast: &AST,
    ) -> Result<(ScriptConstants, Scope<'static>), ScriptError> {
        let mut scope = Scope::new();
        engine
            .run_ast_with_scope(&mut scope, ast)
            .map_err(|error| ScriptError::top_level(&self.path, &error, &self.source))?;
        let mut constants = ScriptConstants::default();
        let mut defaults = Scope::new();
        for (name, is_constant, value) in scope.iter() {
            if is_constant {
                constants.push(name, value);
            } else {
                defaults.set_or_push(name, value);
            }
        }
        Ok((constants, defaults))
    }

    /// Builds every function of the new text.
    fn build_whole(
        self,
        engine: &Engine,
        base: Option<&CompiledScript>,
        top_level: TopLevel,
    ) -> CompiledScript {
        let mut ast = fold_constants(engine, &top_level.constants, self.ast);
        let mut closures = self.outline.closures.clone();
        let mut carried_names = HashSet::new();
        if let Some(base) = base {
            // Closures are values: one kept in an entity's state keeps
            // running the code it was made from.
            let mut carried = Module::new();
            for function in base.ast.iter_fn_def() {
                let name = function.name.as_str();
                if is_closure(name) && !closures.contains_key(name) {
                    carried.set_script_fn(function.clone());
                    if let Some(closure) = base.closures.get(name) {
                        closures.insert(name.to_owned(), closure.clone());
                    }
                    carried_names.insert(name.to_owned());
                }
            }
            ast += AST::new([], carried);
        }
        ast.set_source(self.path.as_str());
        let mut compiled = CompiledScript::new(
            self.path,
            self.content_hash,
            self.source,
            ast,
            top_level,
            self.outline,
            closures,
            None,
            None,
        );
        compiled.carried = carried_names;
        compiled
    }

    /// Builds only the changed and added functions and takes the others,
    /// with their closures, from `base`.
    fn patch(self, engine: &Engine, base: &CompiledScript, top_level: TopLevel) -> CompiledScript {
        // A function is `base`'s own, untouched, only where its text and its
        // place in the file are both the same, so that every position it
        // reports is right; any other is compiled anew (a layout-only change
        // is still not reported as a change).
        // A function `base` kept from a file where it was elsewhere (see
        // `shifts`) is kept again only while no other function shares its
        // name: an error names a function, not its arity or type.
        let mut name_counts: HashMap<&str, usize> = HashMap::new();
        for key in self.outline.functions.keys() {
            *name_counts.entry(key.name.as_str()).or_default() += 1;
        }
        let kept = |key: &FunctionKey| match (
            self.outline.functions.get(key),
            base.outline.functions.get(key),
        ) {
            (Some(new), Some(old)) => {
                new.exact == old.exact
                    && new.definition == old.definition
                    && (!base.shifts.contains_key(&key.name) || name_counts[key.name.as_str()] == 1)
            }
            _ => false,
        };
        // A closure written in top-level code is new with every version
        // that runs it (its name hashes its position), and the new state
        // defaults hold it: it is always taken from the new text.
        let fresh_closure = |name: &str| match self.outline.closures.get(name) {
            Some(ClosureOutline {
                owner: Some(owner), ..
            }) => !kept(owner),
            Some(_) | None => true,
        };

        let mut fresh = Module::new();
        for function in self.ast.iter_fn_def() {
            let is_fresh = if is_closure(&function.name) {
                fresh_closure(&function.name)
            } else {
                !kept(&FunctionKey::of(function))
            };
            if is_fresh {
                fresh.set_script_fn(function.clone());
            }
        }
        let fresh = fold_constants(engine, &top_level.constants, AST::new([], fresh));

        // Closures are values: one kept in an entity's state keeps running
        // the code it was made from, so all of `base`'s stay.
        let mut closures = HashMap::new();
        let mut carried = HashSet::new();
        let mut shifts = HashMap::new();
        for (name, closure) in &base.closures {
            // A closure a kept function makes is still made; any other of
            // the old version's is only held, if at all.
            let still_made = closure.owner.as_ref().is_some_and(kept);
            let made_now = still_made || self.outline.closures.contains_key(name);
            if base.carried.contains(name) || !made_now {
                carried.insert(name.clone());
            } else if let Some(shift) = base.shifts.get(name).filter(|_| still_made) {
                shifts.insert(name.clone(), *shift);
            }
            closures.insert(name.clone(), closure.clone());
        }
        for key in base.outline.functions.keys().filter(|key| kept(key)) {
            if let Some(shift) = base.shifts.get(&key.name) {
                shifts.insert(key.name.clone(), *shift);
            }
        }
        note_fresh_closures(
            &fresh,
            &self.outline,
            &mut closures,
            &mut carried,
            &mut shifts,
        );
        let removed: HashSet<&FunctionKey> = (base.outline.functions.keys())
            .filter(|key| !self.outline.functions.contains_key(*key))
            .collect();
        let same_functions =
            removed.is_empty() && self.outline.functions.len() == base.outline.functions.len();

        // The live version's function table, shared until the rebuilt
        // functions go in (one copy then); they replace their old versions
        // (the same key), and removed functions go.
        let lib = base.ast.shared_lib().clone();
        let mut ast = AST::new(self.ast.statements().iter().cloned(), lib);
        if !removed.is_empty() {
            // Rhai's filter sees names and arities, not the type of `this`:
            // where a kept typed method shares both with a removed function,
            // the table is made anew instead.
            let pair = |key: &FunctionKey| (key.name.clone(), key.arity);
            let removed_pairs: HashSet<(String, usize)> =
                removed.iter().map(|key| pair(key)).collect();
            let ambiguous = (base.outline.functions.keys())
                .any(|key| !removed.contains(key) && removed_pairs.contains(&pair(key)));
            if ambiguous {
                let mut lib = Module::new();
                for function in base.ast.iter_fn_def() {
                    if is_closure(&function.name) || !removed.contains(&FunctionKey::of(function)) {
                        lib.set_script_fn(function.clone());
                    }
                }
                ast = AST::new(self.ast.statements().iter().cloned(), lib);
            } else {
                ast.retain_functions(|_, _, name, arity| {
                    let is_removed =
                        |(removed, at): &(String, usize)| removed == name && *at == arity;
                    is_closure(name) || !removed_pairs.iter().any(is_removed)
                });
            }
        }
        ast += fresh;

        let ParsedScript {
            path,
            content_hash,
            source,
            ast: parsed,
            outline,
            ..
        } = self;
        ast.set_source(path.as_str());
        // The new parse of the functions kept from `base` is unused. Freeing
        // thousands of them takes milliseconds, a thread of its own far
        // less; a few are freed here, quicker than starting a thread.
        if parsed.iter_fn_def().nth(FREED_HERE).is_some() {
            free_in_background(parsed);
        }
        let mut compiled = CompiledScript::new(
            path,
            content_hash,
            source,
            ast,
            top_level,
            outline,
            closures,
            Some(base.content_hash),
            same_functions.then_some(base),
        );
        compiled.carried = carried;
        compiled.shifts = shifts;
        compiled
    }
}

/// Records the closures of `fresh`, functions compiled from the text that
/// `outline` outlines: made by this version, where the outline says, not
/// carried from an older one and not moved since.
fn note_fresh_closures(
    fresh: &AST,
    outline: &Outline,
    closures: &mut HashMap<String, ClosureOutline>,
    carried: &mut HashSet<String>,
    shifts: &mut HashMap<String, isize>,
) {
    for function in fresh.iter_fn_def() {
        let name = function.name.as_str();
        if let Some(closure) = outline.closures.get(name) {
            carried.remove(name);
            shifts.remove(name);
            closures.insert(name.to_owned(), closure.clone());
        }
    }
}

/// How many parsed functions a build frees on its own thread, at most.
const FREED_HERE: usize = 200;

/// Frees `value` on a thread of its own: freeing a big script's syntax
/// tree takes milliseconds (hundreds for 10 MB) that neither a reload nor
/// a frame need wait for. Bevy's task pools would run it on the main
/// thread without the `multi_threaded` feature.
fn free_in_background<T: Send + 'static>(value: T) {
    // Without a thread to be had, the closure and `value` are freed here.
    let _detached = std::thread::Builder::new()
        .name("rhai script free".into())
        .spawn(move || drop(value));
}

/// From how many bytes of text a dropped version is freed on a thread of
/// its own: a 100 KB script's tree frees in well under a millisecond, less
/// than a thread costs to start and than the freeing thread takes from a
/// compile running beside it on a 2-core machine.
const FREED_ELSEWHERE_FROM: usize = 512 << 10;

/// Whoever drops the last handle to a big version (the asset server
/// replacing an asset on the main thread, a reload replacing the live
/// version) hands its syntax tree to a thread of its own: freeing a 10 MB
/// script's tree took a 300 ms frame.
impl Drop for CompiledScript {
    fn drop(&mut self) {
        if self.source.len() >= FREED_ELSEWHERE_FROM {
            free_in_background((
                std::mem::take(&mut self.ast),
                self.calls_ast.take(),
                std::mem::take(&mut self.outline),
                std::mem::take(&mut self.closures),
            ));
        }
    }
}

/// Folds `constants` into the functions of `ast` where no function of
/// `ast` binds the same name (see `constants`). Whether a function binds a
/// name is its own matter, so a patch's functions are folded alone. Rhai's
/// `Simple` level only propagates values; it never evaluates a call, which
/// could pick a native function over the script's own of the same name
/// when a patch's functions are folded apart from the rest.
fn fold_constants(engine: &Engine, constants: &ScriptConstants, ast: AST) -> AST {
    if constants.is_empty() {
        return ast;
    }
    let foldable = constants.foldable(names_bound_in_functions(&ast).as_ref());
    if foldable.is_empty() {
        return ast;
    }
    engine.optimize_ast(&foldable, ast, OptimizationLevel::Simple)
}

impl CompiledScript {
    fn new(
        path: String,
        content_hash: u64,
        source: Arc<str>,
        ast: AST,
        top_level: TopLevel,
        outline: Outline,
        closures: HashMap<String, ClosureOutline>,
        patched_from: Option<u64>,
        same_arities_as: Option<&CompiledScript>,
    ) -> Self {
        let arities = match same_arities_as {
            Some(base) => base.arities.clone(),
            None => {
                // From the AST, not the outline: an outline may not know
                // every function (see `Outline::complete`).
                let mut arities = HashMap::<String, u64>::new();
                for function in ast.iter_fn_def().filter(|f| !is_closure(&f.name)) {
                    let arity = function.params.len().min(63);
                    *arities.entry(function.name.to_string()).or_default() |= 1 << arity;
                }
                Arc::new(arities)
            }
        };
        let mut compiled = Self {
            path,
            content_hash,
            source,
            ast,
            defaults: top_level.defaults,
            constants: top_level.constants,
            shifts: HashMap::new(),
            top_level_calls: Arc::default(),
            arities,
            outline,
            closures,
            carried: HashSet::new(),
            patched_from,
            modules: None,
            calls_ast: None,
            on_update: None,
            suspended: RwLock::default(),
            any_suspended: AtomicBool::new(false),
            update_phase: OnceLock::new(),
            diff_from_base: None,
        };
        compiled.on_update = compiled.handler_arity(ON_UPDATE, 1);
        compiled
    }

    /// Parses and builds `source` in one go (see [`ParsedScript`]).
    pub fn compile(
        engine: &Engine,
        path: &str,
        source: &str,
        base: Option<&CompiledScript>,
    ) -> Result<Self, ScriptError> {
        ParsedScript::parse_against(engine, path, source, base)?.build(engine, base)
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

    /// Whether this version is a patch of the version with content hash
    /// `base`: it shares that version's unchanged functions.
    pub fn is_patch_of(&self, base: u64) -> bool {
        self.patched_from == Some(base)
    }

    pub(crate) fn constants(&self) -> &ScriptConstants {
        &self.constants
    }

    /// The modules this version imports, if any.
    pub(crate) fn modules(&self) -> Option<&ScriptModules> {
        self.modules.as_deref()
    }

    /// The asset paths of the modules this version imports, directly or not.
    pub(crate) fn module_paths(&self) -> impl Iterator<Item = &str> {
        self.modules
            .iter()
            .flat_map(|modules| modules.versions().keys().map(String::as_str))
    }

    /// The closures this version keeps from older versions (entity state
    /// may hold them), by Rhai's name for them.
    pub(crate) fn carried_closures(&self) -> impl Iterator<Item = &str> {
        self.carried.iter().map(String::as_str)
    }

    /// This version without the closures in `unused`, closures it kept from
    /// older versions that no entity holds any more: every edit that moves
    /// a closure would otherwise keep its old code for good, and Rhai finds
    /// functions by a scan that each one makes longer.
    pub(crate) fn without_closures(&self, unused: &HashSet<String>) -> CompiledScript {
        let mut ast = self.ast.clone();
        ast.retain_functions(|_, _, name, _| !unused.contains(name));
        let keep = |name: &String| !unused.contains(name);
        let calls_ast = self
            .modules
            .as_ref()
            .and_then(|modules| modules.calls_ast(&ast));
        CompiledScript {
            path: self.path.clone(),
            content_hash: self.content_hash,
            source: self.source.clone(),
            ast,
            defaults: self.defaults.clone(),
            constants: self.constants.clone(),
            arities: self.arities.clone(),
            outline: self.outline.clone(),
            closures: (self.closures.iter())
                .filter(|(name, _)| keep(name))
                .map(|(name, closure)| (name.clone(), closure.clone()))
                .collect(),
            carried: self
                .carried
                .iter()
                .filter(|name| keep(name))
                .cloned()
                .collect(),
            shifts: (self.shifts.iter())
                .filter(|(name, _)| keep(name))
                .map(|(name, shift)| (name.clone(), *shift))
                .collect(),
            top_level_calls: self.top_level_calls.clone(),
            patched_from: self.patched_from,
            modules: self.modules.clone(),
            calls_ast,
            on_update: self.on_update,
            suspended: RwLock::default(),
            any_suspended: AtomicBool::new(false),
            update_phase: OnceLock::new(),
            diff_from_base: self.diff_from_base.clone(),
        }
    }

    /// Records how this version differs from `base`, the version it was
    /// built on: done where it is built, off the main thread.
    pub(crate) fn compare_with(&mut self, base: &CompiledScript) {
        let diff = self.outline.named_diff_from(&base.outline);
        self.diff_from_base = Some((base.content_hash, Arc::new(diff)));
    }

    /// How this version's functions differ from `previous`'s: recorded
    /// when it was built on `previous` (the usual case), else found now.
    pub(crate) fn diff_from(&self, previous: &CompiledScript) -> Arc<NamedDiff> {
        match &self.diff_from_base {
            Some((base, diff)) if *base == previous.content_hash => diff.clone(),
            _ => Arc::new(self.outline.named_diff_from(&previous.outline)),
        }
    }

    /// The modules whose versions differ between this version and `other`,
    /// by asset path.
    pub(crate) fn modules_changed_from(&self, other: &CompiledScript) -> Vec<String> {
        match &self.modules {
            Some(modules) => modules.changed_from(other.modules()),
            None => other
                .modules()
                .map(|modules| modules.changed_from(None))
                .unwrap_or_default(),
        }
    }

    /// What handler calls run on, and whether Rhai should run its
    /// statements (the script's top-level imports) first.
    pub(crate) fn calls_ast(&self) -> (&AST, bool) {
        match &self.calls_ast {
            Some(ast) => (ast, true),
            None => (&self.ast, false),
        }
    }

    pub(crate) fn outline(&self) -> &Outline {
        &self.outline
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

    /// Where this version's `on_update` runs: `None` until the plugin first
    /// called it (see [`ParallelUpdate`](crate::ParallelUpdate)).
    pub fn update_phase(&self) -> Option<&UpdatePhase> {
        self.update_phase.get().map(|(phase, _)| phase)
    }

    /// The queries (by component names, literal in the code) that
    /// `on_update` may make in the parallel phase: prepared before it.
    pub(crate) fn phase_queries(&self, policy: &ParallelPolicy) -> &[QueryNames] {
        self.update_phase_under(policy);
        self.update_phase
            .get()
            .map_or(&[], |(_, queries)| queries.as_slice())
    }

    /// Where this version's `on_update` runs, found once per version; the
    /// first time says so in the log.
    pub(crate) fn update_phase_under(&self, policy: &ParallelPolicy) -> &UpdatePhase {
        let (phase, _) = self.update_phase.get_or_init(|| {
            let (phase, queries) = update_phase(&self.ast, self.modules.as_deref(), policy);
            match &phase {
                UpdatePhase::Parallel => {
                    debug!("{}: on_update can run in the parallel phase", self.path);
                }
                UpdatePhase::Sequential(reason) => {
                    debug!(
                        "{}: on_update runs in the sequential phase: it {reason}",
                        self.path
                    );
                }
                UpdatePhase::ParallelIfListed(reason) => {
                    debug!(
                        "{}: on_update runs in the sequential phase unless the script is \
                         listed in ParallelUpdate::parallel_scripts: it {reason}",
                        self.path
                    );
                }
            }
            (phase, queries)
        });
        phase
    }

    /// Where function `name` is defined in the current file, or
    /// [`Position::NONE`].
    pub(crate) fn definition(&self, name: &str) -> Position {
        self.outline.definition(name)
    }

    /// The error that handler `function` of this version raised for
    /// `entity`, located in the current file.
    /// Whether handler `function` hit a limit in this version and is no
    /// longer called (see [`CompiledScript::resume_handlers`]).
    pub fn is_suspended(&self, function: &str) -> bool {
        self.any_suspended.load(Ordering::Relaxed)
            && (self.suspended.read())
                .unwrap_or_else(PoisonError::into_inner)
                .contains(function)
    }

    /// Stops calling handler `function` for this version; `false` if it
    /// was stopped already.
    pub(crate) fn suspend(&self, function: &str) -> bool {
        self.any_suspended.store(true, Ordering::Relaxed);
        (self.suspended.write())
            .unwrap_or_else(PoisonError::into_inner)
            .insert(function.to_owned())
    }

    /// The handlers of this version that hit a limit and are no longer
    /// called, by name.
    pub fn suspended_handlers(&self) -> Vec<String> {
        let suspended = self
            .suspended
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let mut names: Vec<String> = suspended.iter().cloned().collect();
        names.sort_unstable();
        names
    }

    /// Calls the handlers that hit a limit again, on every entity. A new
    /// version of the script (any save) starts with none suspended.
    pub fn resume_handlers(&self) {
        self.suspended
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.any_suspended.store(false, Ordering::Relaxed);
    }

    pub(crate) fn runtime_error(
        &self,
        entity: Entity,
        function: &str,
        error: &EvalAltResult,
    ) -> ScriptError {
        let (message, position, inside, source) = innermost_with_source(error);
        // An error inside an imported module's function is located there.
        let module_text = source
            .filter(|source| *source != self.path)
            .and_then(|source| Some((source, self.modules.as_ref()?.text_of(source)?)));
        let location = if let Some((module, text)) = module_text {
            ScriptLocation::new(module, position).with_source(text)
        } else {
            let position = if position.is_none() {
                // No position (the operation limit): point at the handler.
                self.definition(function)
            } else {
                self.in_current_file(inside.unwrap_or(function), position)
            };
            ScriptLocation::new(&self.path, position).with_source(&self.source)
        };
        let mut calls = call_chain(error);
        if calls.first().is_none_or(|outer| outer != function) {
            calls.insert(0, function.to_owned());
        }
        ScriptError::Runtime {
            location,
            entity,
            function: function.to_owned(),
            message,
            calls,
        }
    }

    /// Moves `position`, inside function `function` of this version's AST,
    /// to where that code is in the current file: by the lines it moved
    /// since it compiled (see `shifts`), or, for a closure of an older
    /// version, to where the same closure is now.
    pub(crate) fn in_current_file(&self, function: &str, position: Position) -> Position {
        if let (Some(shift), Some(line)) = (self.shifts.get(function), position.line()) {
            let line = line.saturating_add_signed(*shift).clamp(1, MAX_LINES);
            return Position::new(line as u16, position.position().unwrap_or(0) as u16);
        }
        if self.outline.closures.contains_key(function) {
            return position;
        }
        match self.closures.get(function) {
            Some(closure) => self.outline.closure_moved(closure, position),
            None => position,
        }
    }
}

pub(crate) fn hash_of(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}
