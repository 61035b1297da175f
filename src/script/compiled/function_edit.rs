//! Saves that change one function's text and nothing else, parsed alone.
//!
//! Rhai parses a whole file at a cost that grows faster than its size (each
//! variable read is checked against every function parsed so far), so a
//! one-line edit in a script of thousands of functions would wait for the
//! whole parse. When the bytes that differ from the live version all fall
//! inside one function, and nothing the rest of the file means can depend
//! on that function's text, only that function is parsed: padded with
//! blank lines and spaces so that every position Rhai gives it is its
//! place in the file. Everything else is the live version's, with the code
//! after the edited function moved by as many lines as the edit added.
//!
//! Any doubt sends the save down the ordinary path (a whole parse), which
//! gives the same meaning: a syntax error in the edited function, an edit
//! that makes more than one function or touches code outside it, overloads
//! whose errors could not be told apart after a move, top-level code that
//! calls a script function (its constants could change), imported modules,
//! a first use of `global::`, or `OptimizationLevel::Full` (which needs
//! every function in view).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rhai::{AST, ASTNode, Engine, Expr, Module, OptimizationLevel};

use super::{CompiledScript, ParsedScript, fold_constants, hash_of, note_fresh_closures};
use crate::script::ScriptError;
use crate::script::modules::uses_global_namespace;
use crate::script::outline::{FunctionKey, Outline, is_closure};

/// What a save parsed alone changed in the live version it was parsed
/// against.
#[derive(Debug)]
pub(super) struct FunctionEdit {
    /// The live version's content hash.
    base: u64,
    /// The function whose text changed, as the live version keys it.
    replaced: FunctionKey,
    /// The function it became.
    key: FunctionKey,
    /// Where it ended in the live version's file, in bytes: the functions
    /// from there on moved.
    old_end: usize,
    /// How many lines they moved by.
    lines: isize,
}

/// Names whose call can reach any script function.
const INDIRECT_CALLS: [&str; 4] = ["call", "Fn", "curry", "eval"];

/// The names that top-level statements of `ast` call, as functions or as
/// methods: if none of them is a script function, top-level code (and so
/// every constant and state default) cannot depend on any function's text.
pub(super) fn top_level_calls(ast: &AST) -> HashSet<String> {
    let statements = AST::new(ast.statements().iter().cloned(), Module::new());
    let mut names = HashSet::new();
    statements.walk(&mut |path: &[ASTNode]| {
        if let Some(ASTNode::Expr(Expr::FnCall(call, _) | Expr::MethodCall(call, _))) = path.last()
        {
            names.insert(call.name.to_string());
        }
        true
    });
    names
}

/// Parses `source`, a save of the script `base` runs, by its one changed
/// function alone, if it is such a save (see the module docs).
pub(super) fn parse(
    engine: &Engine,
    path: &str,
    source: &str,
    base: &CompiledScript,
) -> Option<ParsedScript> {
    // Imported modules are read by the whole-file path, which also makes
    // Bevy reload the script when one of them changes.
    let imports_modules =
        (base.modules.as_ref()).is_some_and(|modules| !modules.versions().is_empty());
    if imports_modules
        || !base.outline.complete
        || engine.optimization_level() == OptimizationLevel::Full
    {
        return None;
    }
    let old = &*base.source;
    let prefix = common_prefix(old.as_bytes(), source.as_bytes());
    let longest_suffix = old.len().min(source.len()) - prefix;
    let suffix = common_suffix(old.as_bytes(), source.as_bytes()).min(longest_suffix);
    let changed = prefix..old.len() - suffix;

    let (replaced, function) = (base.outline.functions.iter()).find(|(_, function)| {
        function.span.start <= changed.start && changed.end <= function.span.end
    })?;
    let span = function.span.clone();
    let bytes = source.len() as isize - old.len() as isize;
    let new_end = span.end.checked_add_signed(bytes)?;
    let text = source.get(span.start..new_end)?;
    let old_text = &old[span.clone()];
    let lines = count_lines(text) as isize - count_lines(old_text) as isize;
    let definition = function.definition;
    let (Some(line), Some(column)) = (definition.line(), definition.position()) else {
        return None;
    };

    // Top-level statements after it would move, and their positions are
    // the live version's.
    let statements_before = (base.ast.statements().iter())
        .all(|statement| statement.position().line().is_some_and(|at| at < line));
    // Code after it on its last line would move sideways.
    let last_line = line + count_lines(old_text);
    let alone_on_its_last_line = (base.outline.functions.values())
        .all(|other| other.span.start < span.end || other.definition.line() != Some(last_line));
    if !statements_before || !alone_on_its_last_line {
        return None;
    }

    let padding = "\n".repeat(line - 1) + " ".repeat(column - 1).as_str();
    let padded = padding.clone() + text;
    let ast = engine.compile(&padded).ok()?;
    let key = {
        let mut named = ast
            .iter_fn_def()
            .filter(|function| !is_closure(&function.name));
        let (Some(edited), None) = (named.next(), named.next()) else {
            return None;
        };
        FunctionKey::of(edited)
    };
    if !ast.statements().is_empty()
        || (key != *replaced && base.outline.functions.contains_key(&key))
        || (base.modules.is_none() && uses_global_namespace(&ast))
    {
        return None;
    }

    // The names of the new version's functions: none may be called from
    // top-level code, and a name whose functions move must have one
    // function (runtime errors name a function, not its arity or type).
    let mut name_counts: HashMap<&str, usize> = HashMap::new();
    for other in base
        .outline
        .functions
        .keys()
        .filter(|other| *other != replaced)
    {
        *name_counts.entry(other.name.as_str()).or_default() += 1;
    }
    *name_counts.entry(key.name.as_str()).or_default() += 1;
    let calls_script = (base.top_level_calls.iter()).any(|name| {
        name_counts.contains_key(name.as_str()) || INDIRECT_CALLS.contains(&name.as_str())
    });
    let moved_overloaded = (base.outline.functions.iter())
        .filter(|(_, other)| lines != 0 && other.span.start >= span.end)
        .map(|(other, _)| other.name.as_str())
        .chain(base.shifts.keys().map(String::as_str))
        .any(|name| name_counts.get(name).copied().unwrap_or(0) > 1);
    if calls_script || moved_overloaded {
        return None;
    }

    let outline = Outline::of(&padded, &ast);
    let outline = base
        .outline
        .edited(replaced, outline, padding.len(), bytes, lines);
    Some(ParsedScript {
        path: path.to_owned(),
        content_hash: hash_of(source.as_bytes()),
        source: source.into(),
        ast,
        outline,
        imports: Vec::new(),
        modules: None,
        edit: Some(FunctionEdit {
            base: base.content_hash,
            replaced: replaced.clone(),
            key,
            old_end: span.end,
            lines,
        }),
    })
}

/// Builds a save that [`parse`] parsed alone as a patch of `base`, the
/// version it was parsed against; `None` if it cannot be one after all
/// (the caller then parses the whole file).
pub(super) fn build(
    parsed: &mut ParsedScript,
    edit: &FunctionEdit,
    engine: &Engine,
    base: &CompiledScript,
) -> Option<Result<CompiledScript, ScriptError>> {
    if base.content_hash != edit.base {
        return None;
    }
    // The edited function, folded with the constants; the others were
    // folded when they compiled, and the values are the same (top-level
    // code calls no script function).
    let fresh = fold_constants(engine, &base.constants, parsed.ast.clone_functions_only());

    let moved = |key: &FunctionKey| {
        (base.outline.functions.get(key))
            .is_some_and(|function| function.span.start >= edit.old_end)
    };
    let mut closures = HashMap::new();
    let mut carried = HashSet::new();
    let mut shifts = base.shifts.clone();
    shifts.remove(&edit.replaced.name);
    if edit.lines != 0 {
        for key in base.outline.functions.keys().filter(|key| moved(key)) {
            *shifts.entry(key.name.clone()).or_default() += edit.lines;
        }
    }
    for (name, closure) in &base.closures {
        let owner = closure.owner.as_ref();
        let still_made = owner.is_some_and(|owner| *owner != edit.replaced);
        if base.carried.contains(name) || !still_made {
            carried.insert(name.clone());
            // A held closure is found again by its text (see
            // `Outline::closure_moved`), from where it was compiled.
            shifts.remove(name);
        } else if edit.lines != 0 && owner.is_some_and(moved) {
            *shifts.entry(name.clone()).or_default() += edit.lines;
        }
        closures.insert(name.clone(), closure.clone());
    }
    note_fresh_closures(
        &fresh,
        &parsed.outline,
        &mut closures,
        &mut carried,
        &mut shifts,
    );
    // The live version's table, shared until the edited function goes in
    // (one copy then), over its old version when it kept its key.
    let statements = base.ast.statements().iter().cloned();
    let mut ast = if edit.key == edit.replaced {
        AST::new(statements, base.ast.shared_lib().clone())
    } else {
        let mut lib = Module::new();
        for function in base.ast.iter_fn_def() {
            if is_closure(&function.name) || FunctionKey::of(function) != edit.replaced {
                lib.set_script_fn(function.clone());
            }
        }
        AST::new(statements, lib)
    };
    ast += fresh;
    ast.set_source(parsed.path.as_str());

    // Top-level code runs once per version (its side effects, `print`
    // among them, are the script's); its values cannot have changed.
    let top_level = match parsed.run_statements(engine, &ast) {
        Ok(top_level) => top_level,
        Err(error) => return Some(Err(error)),
    };
    if !base.constants.same_values(&top_level.0) {
        // A constant that is not the same value twice (a clock's): the
        // whole file is parsed and built again.
        return None;
    }
    let same_functions = edit.key == edit.replaced;
    let mut compiled = CompiledScript::new(
        parsed.path.clone(),
        parsed.content_hash,
        parsed.source.clone(),
        ast,
        super::TopLevel {
            constants: top_level.0,
            defaults: top_level.1,
        },
        std::mem::take(&mut parsed.outline),
        closures,
        Some(base.content_hash),
        same_functions.then_some(base),
    );
    compiled.carried = carried;
    compiled.shifts = shifts;
    compiled.top_level_calls = Arc::clone(&base.top_level_calls);
    // The constants `global::` reads, as before.
    if let Some(modules) = &base.modules {
        compiled.calls_ast = modules.calls_ast(&compiled.ast);
        compiled.modules = Some(Arc::clone(modules));
    }
    Some(Ok(compiled))
}

/// How many line breaks `text` has.
fn count_lines(text: &str) -> usize {
    text.bytes().filter(|byte| *byte == b'\n').count()
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(a, b)| a == b).count()
}

fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    (a.iter().rev())
        .zip(b.iter().rev())
        .take_while(|(a, b)| a == b)
        .count()
}
