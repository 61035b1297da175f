//! `import`: the modules a script version imports.
//!
//! The asset loader reads and compiles the modules (see `asset::imports`);
//! here is what a version keeps of them and how Rhai finds them. Rhai looks
//! an `import` path up in the engine's module resolver when the statement
//! runs; the plugin's resolver knows only the modules of the script running
//! on this thread ([`with_importable`]), so two scripts that import the same
//! path can run two versions of it while one of them waits for a fix.
//!
//! Rhai forgets a script's imports between calls into it, so a version that
//! imports keeps its top-level `import ... as ...` statements apart and runs
//! them before each handler call (see [`ScriptModules::calls_ast`]).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rhai::{
    AST, ASTNode, Engine, EvalAltResult, Expr, Ident, Module, ModuleResolver, Position, Scope,
    Shared, Stmt,
};

/// A compiled module, shared by its importers.
type SharedModule = Shared<Module>;

use super::error::{ScriptError, ScriptLocation};

/// One `import` statement at the top level of a file.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ImportStatement {
    /// The path as written: `lib/steering` in `import "lib/steering" as steer;`.
    pub(crate) literal: String,
    /// The name the module is imported as, for a statement directly at the
    /// top level (not in a block): such imports are visible in functions.
    pub(crate) alias: Option<String>,
    pub(crate) position: Position,
}

/// The `import` statements of `ast`'s top-level code, or where one is
/// refused and why: a path that is not a string literal cannot be loaded
/// ahead of time, and an `import` inside a function is not supported.
pub(crate) fn imports_of(ast: &AST) -> Result<Vec<ImportStatement>, (Position, String)> {
    let mut imports = Vec::new();
    let mut refused = None;
    for statement in ast.statements() {
        statement.walk(&mut Vec::new(), &mut |path: &[ASTNode]| {
            let Some(ASTNode::Stmt(Stmt::Import(import, position))) = path.last() else {
                return true;
            };
            let (expression, Ident { name, .. }) = &**import;
            match expression {
                Expr::StringConstant(literal, _) => imports.push(ImportStatement {
                    literal: literal.to_string(),
                    alias: (path.len() == 1 && !name.is_empty()).then(|| name.to_string()),
                    position: *position,
                }),
                _ => {
                    refused = Some((
                        *position,
                        "the module path must be a string literal, such as \
                         import \"lib/steering\" as steer: modules load ahead of time, \
                         through the asset server"
                            .to_owned(),
                    ));
                    return false;
                }
            }
            true
        });
        if let Some(refused) = refused {
            return Err(refused);
        }
    }
    // `walk` visits the top level first, then the functions: any import
    // past the top level's is inside a function.
    let mut seen = 0;
    ast.walk(&mut |path: &[ASTNode]| {
        if let Some(ASTNode::Stmt(Stmt::Import(_, position))) = path.last() {
            seen += 1;
            if seen > imports.len() {
                refused = Some((
                    *position,
                    "import inside a function is not supported: import the module at the \
                     top of the file, where every function sees it"
                        .to_owned(),
                ));
                return false;
            }
        }
        true
    });
    match refused {
        Some(refused) => Err(refused),
        None => Ok(imports),
    }
}

/// The asset path of the module that `literal` names in the script at
/// `importer`, or why the path is refused. Paths are relative to the asset
/// folder, `./` and `../` to the importing file's folder; they may not leave
/// the asset folder or name another asset source. `extension` is added
/// when the path has none.
pub(crate) fn module_asset_path(
    importer: &str,
    literal: &str,
    extensions: &[&str],
) -> Result<String, String> {
    if literal.contains("://") {
        return Err(format!(
            "cannot import \"{literal}\": modules load from the same asset source as the script"
        ));
    }
    let is_absolute = literal.starts_with('/')
        || literal.starts_with('\\')
        || literal.as_bytes().get(1) == Some(&b':');
    if is_absolute {
        return Err(format!(
            "cannot import \"{literal}\": absolute paths are refused; write the path from \
             the assets folder, such as \"lib/steering\""
        ));
    }
    let relative = literal.starts_with("./") || literal.starts_with("../");
    let mut parts: Vec<&str> = if relative {
        let mut folder: Vec<&str> = importer.split('/').collect();
        folder.pop();
        folder
    } else {
        Vec::new()
    };
    for part in literal.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!(
                        "cannot import \"{literal}\": the path leaves the assets folder"
                    ));
                }
            }
            part => parts.push(part),
        }
    }
    let Some(file) = parts.last().filter(|_| !literal.ends_with(['/', '\\'])) else {
        return Err(format!(
            "cannot import \"{literal}\": the path names no file"
        ));
    };
    let extension = file.rsplit_once('.').map(|(_, extension)| extension);
    let mut path = parts.join("/");
    match extension {
        Some(extension) if extensions.contains(&extension) => {}
        Some(extension) if !extension.is_empty() && !extension.contains(' ') => {
            return Err(format!(
                "cannot import \"{literal}\": modules are .{} files, not .{extension}",
                extensions.first().copied().unwrap_or("rhai")
            ));
        }
        _ => {
            path.push('.');
            path.push_str(extensions.first().copied().unwrap_or("rhai"));
        }
    }
    Ok(path)
}

/// A module, compiled once per version of its file (and of the modules it
/// imports) and shared by every script that imports it.
#[derive(Debug)]
pub struct CompiledModule {
    /// The module's asset path.
    pub(crate) path: String,
    /// Tells this version from any other of the same file, the versions of
    /// the modules it imports included.
    pub(crate) key: u64,
    /// A hash of the module's text alone.
    pub(crate) text_hash: u64,
    pub(crate) module: SharedModule,
    /// The modules this one depends on, directly or not: path and text hash.
    pub(crate) depends_on: BTreeMap<String, u64>,
    /// The module's text, to show the line of an error.
    pub(crate) text: Arc<str>,
    /// The modules it imports.
    pub(crate) imports: Vec<Arc<CompiledModule>>,
}

impl CompiledModule {
    /// The text of this module or of one it imports, by asset path.
    fn text_of(&self, path: &str) -> Option<&Arc<str>> {
        if self.path == path {
            return Some(&self.text);
        }
        self.imports.iter().find_map(|module| module.text_of(path))
    }
}

/// The modules one script version imports.
#[derive(Debug, Default, Clone)]
pub struct ScriptModules {
    /// By the path as written in the script's `import` statements.
    by_literal: Arc<HashMap<String, SharedModule>>,
    /// Every module the script depends on, directly or not: asset path and
    /// text hash. The texts of all the modules tell the versions apart.
    versions: BTreeMap<String, u64>,
    /// The top-level `import ... as ...` statements.
    imports: Vec<Stmt>,
    /// The modules, as the statements list them.
    modules: Vec<Arc<CompiledModule>>,
}

impl ScriptModules {
    /// The modules of a file whose `import` statements are `statements`, by
    /// statement: `modules[i]` is what `statements[i]` imports.
    pub(crate) fn new(statements: &[ImportStatement], modules: &[Arc<CompiledModule>]) -> Self {
        let mut script_modules = Self::default();
        let mut by_literal = HashMap::new();
        for (statement, module) in statements.iter().zip(modules) {
            by_literal.insert(statement.literal.clone(), module.module.clone());
            (script_modules.versions).insert(module.path.clone(), module.text_hash);
            (script_modules.versions).extend(module.depends_on.clone());
            if let Some(alias) = &statement.alias {
                let path = Expr::StringConstant(statement.literal.as_str().into(), Position::NONE);
                let name = Ident {
                    name: alias.as_str().into(),
                    pos: Position::NONE,
                };
                (script_modules.imports).push(Stmt::Import((path, name).into(), Position::NONE));
            }
        }
        script_modules.by_literal = Arc::new(by_literal);
        script_modules.modules = modules.to_vec();
        script_modules
    }

    /// Makes the script's top-level constants `global::NAME` in its
    /// handlers, as Rhai's `global` module makes them in top-level code.
    pub(crate) fn add_global_constants(&mut self, constants: Module) {
        Arc::make_mut(&mut self.by_literal).insert(GLOBAL_CONSTANTS.to_owned(), constants.into());
        let path = Expr::StringConstant(GLOBAL_CONSTANTS.into(), Position::NONE);
        let name = Ident {
            name: "global".into(),
            pos: Position::NONE,
        };
        self.imports
            .push(Stmt::Import((path, name).into(), Position::NONE));
    }

    /// The modules the script's `import` statements name.
    pub(crate) fn shared_modules(&self) -> impl Iterator<Item = &Module> {
        self.by_literal.values().map(|module| &**module)
    }

    /// The text of a module the script imports, directly or not, by asset
    /// path.
    pub(crate) fn text_of(&self, path: &str) -> Option<&Arc<str>> {
        self.modules.iter().find_map(|module| module.text_of(path))
    }

    /// Every module the script depends on, directly or not: asset path and
    /// a hash of its text.
    pub(crate) fn versions(&self) -> &BTreeMap<String, u64> {
        &self.versions
    }

    /// A hash of the modules' versions, to tell versions of the importing
    /// script apart when only a module changed.
    pub(crate) fn key(&self) -> u64 {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let mut hasher = DefaultHasher::new();
        self.versions.hash(&mut hasher);
        hasher.finish()
    }

    /// An AST that runs the top-level imports, then calls into `ast`'s
    /// functions (shared, not copied): what handler calls run on, with
    /// Rhai's `eval_ast` option. `None` when there are no such imports.
    pub(crate) fn calls_ast(&self, ast: &AST) -> Option<AST> {
        (!self.imports.is_empty()).then(|| {
            let mut calls = AST::new(self.imports.iter().cloned(), ast.shared_lib().clone());
            if let Some(source) = ast.source() {
                calls.set_source(source);
            }
            calls
        })
    }

    /// The modules' asset paths whose versions differ between `self` and
    /// `other` (or are in only one of them).
    pub(crate) fn changed_from(&self, other: Option<&ScriptModules>) -> Vec<String> {
        let empty = BTreeMap::new();
        let before = other.map_or(&empty, |other| &other.versions);
        let mut changed: Vec<String> = (self.versions.iter())
            .filter(|(path, key)| before.get(*path) != Some(key))
            .map(|(path, _)| path.clone())
            .collect();
        changed.extend(
            (before.keys())
                .filter(|path| !self.versions.contains_key(*path))
                .cloned(),
        );
        changed
    }
}

/// The path under which a script's own constants are imported as `global`:
/// no asset path can be written like it.
const GLOBAL_CONSTANTS: &str = "\0global constants";

/// Whether `ast` reads a `global::NAME`.
pub(crate) fn uses_global_namespace(ast: &AST) -> bool {
    let mut found = false;
    ast.walk(&mut |path: &[ASTNode]| {
        if let Some(ASTNode::Expr(Expr::Variable(variable, ..))) = path.last() {
            let namespace = &variable.2;
            if !namespace.is_empty() && namespace.root() == "global" {
                found = true;
                return false;
            }
        }
        true
    });
    found
}

thread_local! {
    static IMPORTABLE: RefCell<Option<Arc<HashMap<String, SharedModule>>>> =
        const { RefCell::new(None) };
}

/// The engine's module resolver: the modules of the script running on this
/// thread (see [`with_importable`]), by the path written in its `import`.
pub(crate) struct ImportedModuleResolver;

impl ModuleResolver for ImportedModuleResolver {
    fn resolve(
        &self,
        _engine: &Engine,
        _source: Option<&str>,
        path: &str,
        position: Position,
    ) -> Result<SharedModule, Box<EvalAltResult>> {
        IMPORTABLE
            .with_borrow(|modules| modules.as_ref()?.get(path).cloned())
            .ok_or_else(|| EvalAltResult::ErrorModuleNotFound(path.to_owned(), position).into())
    }
}

/// Runs `f` with `modules` importable by the path written in the script.
pub(crate) fn with_importable<R>(modules: &ScriptModules, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Arc<HashMap<String, SharedModule>>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            IMPORTABLE.set(self.0.take());
        }
    }
    let _restore = Restore(IMPORTABLE.replace(Some(modules.by_literal.clone())));
    f()
}

/// Parses the module at `path` and lists its imports.
pub(crate) fn parse_module(
    engine: &Engine,
    path: &str,
    text: &str,
) -> Result<(AST, Vec<ImportStatement>), ScriptError> {
    let mut ast = engine
        .compile(text)
        .map_err(|error| ScriptError::parse(path, &error, text))?;
    ast.set_source(path);
    let imports = imports_of(&ast).map_err(|(position, message)| ScriptError::Compile {
        location: ScriptLocation::new(path, position).with_source(text),
        message,
    })?;
    Ok((ast, imports))
}

/// Runs a parsed module's top-level code, once, with the modules it
/// imports (`modules[i]` for `imports[i]`), and makes the module.
pub(crate) fn build_module(
    engine: &Engine,
    path: &str,
    text: &Arc<str>,
    ast: &AST,
    imports: &[ImportStatement],
    modules: &[Arc<CompiledModule>],
    (key, text_hash): (u64, u64),
) -> Result<CompiledModule, ScriptError> {
    let importable = ScriptModules::new(imports, modules);
    let module = with_importable(&importable, || {
        Module::eval_ast_as_new(Scope::new(), ast, engine)
    })
    .map_err(|error| ScriptError::top_level(path, &error, text))?;
    Ok(CompiledModule {
        path: path.to_owned(),
        key,
        text_hash,
        module: module.into(),
        depends_on: importable.versions,
        text: text.clone(),
        imports: modules.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RHAI: &[&str] = &["rhai"];

    #[test]
    fn paths_resolve_from_the_assets_folder_or_the_importer() {
        let resolve = |literal| module_asset_path("scripts/enemy.rhai", literal, RHAI);
        assert_eq!(resolve("lib/steering").unwrap(), "lib/steering.rhai");
        assert_eq!(resolve("lib/steering.rhai").unwrap(), "lib/steering.rhai");
        assert_eq!(resolve("./util").unwrap(), "scripts/util.rhai");
        assert_eq!(resolve("../lib/a").unwrap(), "lib/a.rhai");
        assert_eq!(resolve("lib/./x/../y").unwrap(), "lib/y.rhai");
    }

    #[test]
    fn paths_outside_the_assets_are_refused() {
        let refused = |literal| module_asset_path("scripts/enemy.rhai", literal, RHAI).unwrap_err();
        assert!(refused("/etc/passwd").contains("absolute"));
        assert!(refused("C:/x").contains("absolute"));
        assert!(refused("../../etc/passwd").contains("leaves the assets folder"));
        assert!(refused("lib/../../x").contains("leaves the assets folder"));
        assert!(refused("other://lib/x").contains("asset source"));
        assert!(refused("lib/data.json").contains("not .json"));
        assert!(refused("../..").contains("leaves"));
        assert!(refused("./").contains("no file"));
        assert!(refused("lib/").contains("no file"));
    }
}
