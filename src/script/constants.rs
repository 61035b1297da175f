//! Top-level `const`s, visible inside every function of their script.
//!
//! Rhai functions cannot see a script's top-level constants. Two mechanisms
//! close the gap, and both leave names bound exactly as Rhai binds them (a
//! parameter `K` hides `const K`):
//! - the engine's variable resolver (in `engine::context`) looks a name
//!   that no parameter, `let`, loop, `catch`, closure capture or `eval`
//!   binds up among the running script's constants when it is read;
//! - where that cannot change the meaning, values are folded into the
//!   function bodies when a version compiles, at no cost per read. Rhai's
//!   optimizer would also replace a name that a parameter or a local
//!   binds, so a constant is folded only when none of the functions folded
//!   together (the whole script, or the ones a patch rebuilds) binds its
//!   name anywhere (and none calls `eval`), and only plain values (numbers,
//!   strings, arrays, maps): function pointers and app types are looked up.
//!
//! `global::NAME` reaches the constants the way Rhai's own `global` module
//! does in top-level code: the handlers of a script that writes it import
//! the constants as a module named `global` (see `modules`).

use std::collections::HashSet;

use rhai::{AST, ASTNode, Dynamic, Expr, Scope, Stmt};

/// The constants of one script version.
#[derive(Debug, Default, Clone)]
pub(crate) struct ScriptConstants {
    /// One bit per (first byte, length) class of the names present, so that
    /// looking up an ordinary variable usually costs one test.
    classes: u64,
    values: Vec<(String, Dynamic)>,
}

fn class_bit(name: &str) -> u64 {
    let first = name.as_bytes().first().copied().unwrap_or(0) as usize;
    1 << ((first * 7 + name.len()) % 64)
}

impl ScriptConstants {
    pub(crate) fn push(&mut self, name: &str, value: Dynamic) {
        self.classes |= class_bit(name);
        match self.values.iter_mut().find(|(known, _)| known == name) {
            Some((_, known_value)) => *known_value = value,
            None => self.values.push((name.to_owned(), value)),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Dynamic> {
        if self.classes & class_bit(name) == 0 {
            return None;
        }
        self.values
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value)
    }

    /// Whether `other` has the same constants with the same values. Values
    /// that cannot be compared reliably count as different.
    pub(crate) fn same_values(&self, other: &ScriptConstants) -> bool {
        self.values.len() == other.values.len()
            && (self.values.iter().zip(&other.values))
                .all(|(a, b)| a.0 == b.0 && surely_equal(&a.1, &b.1))
    }

    /// The constants that can be folded into the functions of a script
    /// whose functions bind `bound` (see [`names_bound_in_functions`]), as
    /// Rhai's optimizer takes them.
    pub(crate) fn foldable(&self, bound: Option<&HashSet<String>>) -> Scope<'static> {
        let mut scope = Scope::new();
        let Some(bound) = bound else {
            return scope;
        };
        for (name, value) in &self.values {
            let plain = value.is_unit()
                || value.is_int()
                || value.is_float()
                || value.is_bool()
                || value.is_char()
                || value.is_string()
                || value.is_array()
                || value.is_map();
            if plain && !bound.contains(name) {
                scope.push_constant_dynamic(name.as_str(), value.clone());
            }
        }
        scope
    }

    /// The constants as a module's variables, for `global::NAME`.
    pub(crate) fn to_module(&self) -> rhai::Module {
        let mut module = rhai::Module::new();
        for (name, value) in &self.values {
            module.set_var(name.as_str(), value.clone());
        }
        module.build_index();
        module
    }
}

/// Whether `a` and `b` are certainly the same value. Rhai's own values are
/// compared by value; of the app's types, the math and transform types
/// the plugin registers are too. Any other type (its `Debug` text may
/// print only the type's name) is never called equal, so that a changed
/// value cannot go unnoticed.
fn surely_equal(a: &Dynamic, b: &Dynamic) -> bool {
    use bevy::math::{Quat, Vec2, Vec3};
    use bevy::transform::components::Transform;
    use rhai::{Array, Blob, ImmutableString, Map};

    if a.type_id() != b.type_id() {
        return false;
    }
    macro_rules! by_value {
        ($($kind:ty),*) => {
            $(if let (Some(a), Some(b)) = (a.read_lock::<$kind>(), b.read_lock::<$kind>()) {
                return *a == *b;
            })*
        };
    }
    by_value!(
        (),
        bool,
        rhai::INT,
        rhai::FLOAT,
        char,
        ImmutableString,
        Blob,
        Vec2,
        Vec3,
        Quat,
        Transform,
        bevy::ecs::entity::Entity
    );
    if let (Some(a), Some(b)) = (a.read_lock::<Array>(), b.read_lock::<Array>()) {
        return a.len() == b.len() && a.iter().zip(b.iter()).all(|(a, b)| surely_equal(a, b));
    }
    if let (Some(a), Some(b)) = (a.read_lock::<Map>(), b.read_lock::<Map>()) {
        return a.len() == b.len()
            && (a.iter()).all(|(key, a)| b.get(key).is_some_and(|b| surely_equal(a, b)));
    }
    false
}

/// Every name a function of `ast` binds (its parameters, closures'
/// parameters and captures, `let`s, and the variables it reads that the
/// parser bound locally: loop and `catch` variables among them), or `None`
/// when the script calls `eval`, which may bind any name.
pub(crate) fn names_bound_in_functions(ast: &AST) -> Option<HashSet<String>> {
    let mut bound: HashSet<String> = HashSet::new();
    for function in ast.iter_fn_def() {
        bound.extend(function.params.iter().map(|param| param.to_string()));
    }
    let top_level = ast.statements().len();
    let mut roots = 0;
    let mut calls_eval = false;
    ast.walk(&mut |path: &[ASTNode]| {
        if path.len() == 1 {
            roots += 1;
        }
        match path.last() {
            // A call as a statement of its own is a `Stmt::FnCall`.
            Some(ASTNode::Expr(Expr::FnCall(call, _)) | ASTNode::Stmt(Stmt::FnCall(call, _)))
                if call.name == "eval" =>
            {
                calls_eval = true;
                return false;
            }
            // The top level's own statements declare the constants.
            _ if roots <= top_level => {}
            Some(ASTNode::Stmt(Stmt::Var(declaration, ..))) => {
                bound.insert(declaration.0.name.to_string());
            }
            Some(ASTNode::Stmt(Stmt::For(looping, _))) => {
                bound.insert(looping.0.name.to_string());
                if let Some(counter) = &looping.1 {
                    bound.insert(counter.name.to_string());
                }
            }
            Some(ASTNode::Expr(Expr::Variable(variable, short_index, _)))
                if variable.0.is_some() || short_index.is_some() =>
            {
                bound.insert(variable.1.to_string());
            }
            _ => {}
        }
        true
    });
    (!calls_eval).then_some(bound)
}
