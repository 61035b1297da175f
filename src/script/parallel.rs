//! Whether a script's `on_update` may run in the parallel phase, found by
//! walking the code it can reach.
//!
//! In the parallel phase a call reads the world as it was when the phase
//! began and writes only its own entity's state and `Transform`, or
//! through commands applied after the phase (see `runtime::update`). The
//! crate's own functions all work that way, except those that write other
//! entities or resources at once or reach components through reflection;
//! a function the app registered may do anything, so the plugin cannot
//! know. A script runs in the parallel phase when nothing its `on_update`
//! (or a timer callback) can reach calls one of those, `eval`, or a
//! function through a pointer that may be one of those.
//!
//! Reaching components through reflection (`me.Health`, `has`, `exists`,
//! `value`, `resource`, and `query` with literal names, whose queries are
//! prepared before the phase) is allowed there only for the scripts the app
//! lists in `ParallelUpdate::parallel_scripts`: in the parallel phase
//! those read other entities and resources as they were when the phase
//! began, and write only their own entity's components, which a script
//! running sequentially need not do.

use std::collections::HashSet;

use rhai::{AST, ASTNode, Expr, Module, Position};

use super::modules::ScriptModules;
use crate::script::hooks::ON_UPDATE;

/// What the walk must know about the engine's native functions.
#[derive(Clone, Debug, Default)]
pub(crate) struct ParallelPolicy {
    /// Native functions, by name and number of arguments (`this` counts),
    /// that need the sequential phase.
    sequential_functions: HashSet<(String, usize)>,
    /// Those of `sequential_functions` that only read through
    /// reflection: allowed for listed scripts (see the module docs).
    reflection_reads: HashSet<(String, usize)>,
    /// Component names scripts reach through reflection: `me.Health`,
    /// `me["Health"]`.
    component_names: HashSet<String>,
    /// Functions (by name and arguments) that query by component names:
    /// allowed for listed scripts when the names are literals.
    queries: HashSet<(String, usize)>,
}

/// A query's component names: those required and those excluded.
pub(crate) type QueryNames = (Vec<String>, Vec<String>);

impl ParallelPolicy {
    /// A policy where calls to `functions` (name, arguments) and access
    /// to the components named `components` need the sequential phase.
    pub(crate) fn new(
        functions: impl IntoIterator<Item = (String, usize)>,
        components: impl IntoIterator<Item = String>,
    ) -> Self {
        Self {
            sequential_functions: functions.into_iter().collect(),
            reflection_reads: HashSet::new(),
            component_names: components.into_iter().collect(),
            queries: HashSet::new(),
        }
    }

    /// This policy, with calls to `functions` that query by literal names
    /// allowed for listed scripts.
    pub(crate) fn with_queries(
        mut self,
        functions: impl IntoIterator<Item = (String, usize)>,
    ) -> Self {
        self.queries.extend(functions);
        self
    }

    /// This policy, with calls to `functions` allowed for listed scripts.
    pub(crate) fn with_reflection_reads(
        mut self,
        functions: impl IntoIterator<Item = (String, usize)>,
    ) -> Self {
        self.reflection_reads.extend(functions);
        self
    }
}

/// Where a script version's `on_update` runs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpdatePhase {
    /// In the parallel phase, beside other scripts' entities (when the app
    /// runs more than one thread; see `ParallelUpdate`).
    Parallel,
    /// In the sequential phase, for the reason given (what the code calls,
    /// and where).
    Sequential(String),
    /// In the sequential phase unless the app lists the script in
    /// `ParallelUpdate::parallel_scripts`: it reaches components through
    /// reflection, for the reason given (see `ParallelUpdate`).
    ParallelIfListed(String),
}

/// What keeps a script out of the parallel phase, and where.
struct Blocked {
    what: String,
    position: Position,
    /// Whether it is only reflection, which listing the script allows.
    reflection: bool,
    /// The query it makes, if it is one.
    query: Option<QueryNames>,
}

/// The reflection a walk met: the first use, and every query.
#[derive(Default)]
struct Reflection {
    first: Option<Blocked>,
    queries: Vec<QueryNames>,
}

impl Blocked {
    fn new(what: String, position: Position) -> Self {
        Self {
            what,
            position,
            reflection: false,
            query: None,
        }
    }

    fn reflection(what: String, position: Position) -> Self {
        Self {
            what,
            position,
            reflection: true,
            query: None,
        }
    }

    /// `what`, and where in the file when known.
    fn describe(self) -> String {
        if self.position.is_none() {
            return self.what;
        }
        format!(
            "{} (line {}, column {})",
            self.what,
            self.position.line().unwrap_or(0),
            self.position.position().unwrap_or(0)
        )
    }
}

/// Where the `on_update` of the script `ast` (importing `modules`) runs,
/// and the queries it makes there if listed (see `ParallelPolicy`).
pub(crate) fn update_phase(
    ast: &AST,
    modules: Option<&ScriptModules>,
    policy: &ParallelPolicy,
) -> (UpdatePhase, Vec<QueryNames>) {
    let mut reflection = Reflection::default();
    let result = walk_script(ast, policy, &mut reflection).and_then(|()| match modules {
        Some(modules) => (modules.shared_modules())
            .try_for_each(|module| walk_module(module, policy, &mut reflection)),
        None => Ok(()),
    });
    let phase = match (result, reflection.first) {
        (Err(blocked), _) => UpdatePhase::Sequential(blocked.describe()),
        (Ok(()), Some(blocked)) => UpdatePhase::ParallelIfListed(blocked.describe()),
        (Ok(()), None) => UpdatePhase::Parallel,
    };
    let mut queries = reflection.queries;
    queries.sort();
    queries.dedup();
    (phase, queries)
}

/// The calls one function's body makes, as far as the walk cares.
#[derive(Default)]
struct Calls {
    /// Script functions it may call, by name and arity.
    script: HashSet<(String, usize)>,
    /// Functions named by string literals given to `after` and `every`.
    timers: Vec<String>,
    /// Whether it makes a function pointer or calls one: then any script
    /// function may run.
    dynamic: bool,
    /// The functions its pointers name, where they are made; `None` for a
    /// name computed at run time.
    pointers: Vec<(Option<String>, Position)>,
}

/// Walks what the `on_update` of `ast` can reach; the first reflection
/// it meets goes to `reflection`.
fn walk_script(
    ast: &AST,
    policy: &ParallelPolicy,
    reflection: &mut Reflection,
) -> Result<(), Blocked> {
    let arities: HashSet<(&str, usize)> = (ast.iter_fn_def())
        .map(|function| (function.name.as_str(), function.params.len()))
        .collect();
    let defined = |name: &str, arity: usize| arities.contains(&(name, arity));
    // Timer callbacks may be set up anywhere (often in `init`): gather the
    // names every function and the top level give `after` and `every`.
    let everything = calls_of(ast, policy, &defined, None)?;
    let mut frontier: HashSet<(String, usize)> = timer_roots(&everything.timers).collect();
    frontier.extend([(ON_UPDATE.to_owned(), 0), (ON_UPDATE.to_owned(), 1)]);
    if everything.dynamic {
        // A function pointer may name any function: all of them count.
        frontier.extend(
            arities
                .iter()
                .map(|(name, arity)| ((*name).to_owned(), *arity)),
        );
        // And so do the native functions pointers name.
        for (target, position) in &everything.pointers {
            let blocked = match target {
                None => {
                    Some("makes a function pointer from a name computed at run time".to_owned())
                }
                Some(target) => (policy.sequential_functions.iter())
                    .any(|(name, _)| name == target)
                    .then(|| format!("makes a pointer to {target}(), which needs the whole world")),
            };
            if let Some(what) = blocked {
                return Err(Blocked::new(what, *position));
            }
        }
    }
    let mut seen: HashSet<(String, usize)> = HashSet::new();
    while !frontier.is_empty() {
        frontier.retain(|key| !seen.contains(key));
        seen.extend(frontier.iter().cloned());
        // Rhai shows a function's body only to a walk of an `AST`: one
        // with the functions of this step alone.
        let mut step = Module::new();
        for function in ast.iter_fn_def() {
            if frontier.contains(&(function.name.to_string(), function.params.len())) {
                step.set_script_fn(function.clone());
            }
        }
        let step = AST::new(Vec::new(), step);
        frontier = calls_of(&step, policy, &defined, Some(&mut *reflection))?.script;
    }
    Ok(())
}

/// A timer calls its function with or without the payload.
fn timer_roots(names: &[String]) -> impl Iterator<Item = (String, usize)> + '_ {
    names
        .iter()
        .flat_map(|name| [(name.clone(), 0), (name.clone(), 1)])
}

/// Every function of a module (and of the modules it imports) counts: the
/// walk does not follow calls into modules one by one.
fn walk_module(
    module: &Module,
    policy: &ParallelPolicy,
    reflection: &mut Reflection,
) -> Result<(), Blocked> {
    let functions = AST::new(Vec::new(), module.clone());
    calls_of(&functions, policy, &|_, _| true, Some(&mut *reflection))?;
    for (_, sub_module) in module.iter_sub_modules() {
        walk_module(sub_module, policy, reflection)?;
    }
    Ok(())
}

/// Walks `ast` for what it calls. With `check`, a call that needs the
/// sequential phase stops the walk, and the first use of reflection goes
/// to `check`; without, only the timers, script calls and function
/// pointers are gathered.
fn calls_of(
    ast: &AST,
    policy: &ParallelPolicy,
    defined: &dyn Fn(&str, usize) -> bool,
    mut check: Option<&mut Reflection>,
) -> Result<Calls, Blocked> {
    let mut calls = Calls::default();
    let mut blocked: Option<Blocked> = None;
    ast.walk(&mut |path: &[ASTNode]| -> bool {
        let found = match path.last() {
            Some(
                ASTNode::Expr(Expr::FnCall(call, position))
                | ASTNode::Stmt(rhai::Stmt::FnCall(call, position)),
            ) => visit_call(
                call,
                call.args.len(),
                *position,
                policy,
                defined,
                &mut calls,
            ),
            Some(ASTNode::Expr(Expr::MethodCall(call, position))) => visit_call(
                call,
                call.args.len() + 1,
                *position,
                policy,
                defined,
                &mut calls,
            ),
            Some(ASTNode::Expr(Expr::DynamicConstant(value, position))) => {
                if let Some(pointer) = value.read_lock::<rhai::FnPtr>() {
                    calls.dynamic = true;
                    calls
                        .pointers
                        .push((Some(pointer.fn_name().to_owned()), *position));
                }
                None
            }
            Some(ASTNode::Expr(Expr::Property(property, position)))
                if policy.component_names.contains(property.2.as_str()) =>
            {
                Some(Blocked::reflection(
                    format!("reaches the component {} through reflection", property.2),
                    *position,
                ))
            }
            Some(ASTNode::Expr(Expr::Index(index, _, position))) => match &index.rhs {
                Expr::StringConstant(name, _) if policy.component_names.contains(name.as_str()) => {
                    Some(Blocked::reflection(
                        format!("reaches the component {name} through reflection"),
                        *position,
                    ))
                }
                _ => None,
            },
            _ => None,
        };
        match (found, check.as_deref_mut()) {
            (Some(mut found), Some(reflection)) if found.reflection => {
                reflection.queries.extend(found.query.take());
                reflection.first.get_or_insert(found);
                true
            }
            (Some(found), Some(_)) => {
                blocked = Some(found);
                false
            }
            _ => true,
        }
    });
    match blocked {
        Some(blocked) => Err(blocked),
        None => Ok(calls),
    }
}

/// The component names `expr` gives a query, if it is a literal: a name,
/// an array of names, or `()` for none.
fn literal_names(expr: &Expr) -> Option<Vec<String>> {
    let name = |value: &rhai::Dynamic| {
        (value.read_lock::<rhai::ImmutableString>()).map(|name| name.to_string())
    };
    match expr {
        Expr::StringConstant(name, _) => Some(vec![name.to_string()]),
        Expr::Unit(_) => Some(Vec::new()),
        Expr::Array(items, _) => items
            .iter()
            .map(|item| match item {
                Expr::StringConstant(name, _) => Some(name.to_string()),
                _ => None,
            })
            .collect(),
        Expr::DynamicConstant(value, _) => match value.read_lock::<rhai::Array>() {
            Some(items) => items.iter().map(name).collect(),
            None => name(value).map(|name| vec![name]),
        },
        _ => None,
    }
}

/// Function-pointer calls: any script function may run.
const DYNAMIC_CALLS: [&str; 3] = ["call", "Fn", "curry"];

fn visit_call(
    call: &rhai::FnCallExpr,
    arity: usize,
    position: Position,
    policy: &ParallelPolicy,
    defined: &dyn Fn(&str, usize) -> bool,
    calls: &mut Calls,
) -> Option<Blocked> {
    let name = call.name.as_str();
    if call.is_qualified() {
        // Module functions are walked whole (see `walk_module`).
        return None;
    }
    if name == "eval" {
        return Some(Blocked::new(
            "calls eval, which may run anything".to_owned(),
            position,
        ));
    }
    if DYNAMIC_CALLS.contains(&name) {
        calls.dynamic = true;
    }
    if name == "Fn" {
        let named = match call.args.first() {
            Some(Expr::StringConstant(target, _)) => Some(target.to_string()),
            _ => None,
        };
        calls.pointers.push((named, position));
    }
    if (name == "after" || name == "every") && arity >= 2 {
        match &call.args[1] {
            Expr::StringConstant(function, _) => calls.timers.push(function.to_string()),
            _ => calls.dynamic = true,
        }
    }
    if defined(name, arity) {
        // A script function of this name and arity is what Rhai calls.
        calls.script.insert((name.to_owned(), arity));
        return None;
    }
    let key = (name.to_owned(), arity);
    if policy.queries.contains(&key) {
        let names: Option<Vec<Vec<String>>> = call.args.iter().map(literal_names).collect();
        return Some(match names {
            Some(mut names) => {
                let without = if names.len() > 1 {
                    names.pop().unwrap_or_default()
                } else {
                    Vec::new()
                };
                let with = names.pop().unwrap_or_default();
                let mut blocked = Blocked::reflection(
                    format!(
                        "calls {name}() with {arity} argument(s), which queries through reflection"
                    ),
                    position,
                );
                blocked.query = Some((with, without));
                blocked
            }
            None => Blocked::new(
                format!("calls {name}() with component names computed at run time"),
                position,
            ),
        });
    }
    if policy.reflection_reads.contains(&key) {
        return Some(Blocked::reflection(
            format!(
                "calls {name}() with {arity} argument(s), which reaches components through reflection"
            ),
            position,
        ));
    }
    policy.sequential_functions.contains(&key).then(|| {
        Blocked::new(
            format!("calls {name}() with {arity} argument(s), which needs the whole world"),
            position,
        )
    })
}

#[cfg(test)]
mod tests {
    use rhai::Engine;

    use super::*;

    fn phase(source: &str) -> UpdatePhase {
        let policy = ParallelPolicy::new(
            [
                ("heal".to_owned(), 1),
                ("set_transform".to_owned(), 2),
                ("has".to_owned(), 2),
            ],
            ["Health".to_owned()],
        )
        .with_reflection_reads([("has".to_owned(), 2)])
        .with_queries([("query".to_owned(), 1), ("query".to_owned(), 2)]);
        let ast = Engine::new().compile(source).expect("compiles");
        update_phase(&ast, None, &policy).0
    }

    fn sequential(source: &str) -> String {
        match phase(source) {
            UpdatePhase::Sequential(reason) => reason,
            other => panic!("expected sequential, got {other:?}: {source}"),
        }
    }

    #[test]
    fn literal_queries_are_gathered_for_the_phase() {
        let policy = ParallelPolicy::new([], [])
            .with_queries([("query".to_owned(), 1), ("query".to_owned(), 2)]);
        let ast = Engine::new()
            .compile("fn on_update() { query(\"A\"); helper() } fn helper() { query([\"B\", \"C\"], [\"D\"]); query(\"A\") }")
            .expect("compiles");
        let (phase, queries) = update_phase(&ast, None, &policy);
        assert!(
            matches!(phase, UpdatePhase::ParallelIfListed(_)),
            "{phase:?}"
        );
        let names = |names: &[&str]| {
            names
                .iter()
                .map(|name| (*name).to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            queries,
            [
                (names(&["A"]), Vec::new()),
                (names(&["B", "C"]), names(&["D"])),
            ]
        );
    }

    #[test]
    fn plain_code_and_safe_calls_run_in_parallel() {
        assert_eq!(
            phase("let x = 0; fn on_update(dt) { x += step(dt); } fn step(dt) { dt * 2.0 }"),
            UpdatePhase::Parallel
        );
        // A function that is never reached from on_update does not count.
        assert_eq!(
            phase("fn on_update() { 1 } fn on_hit() { heal(1) }"),
            UpdatePhase::Parallel
        );
        // A script function of the same name and arity is what Rhai calls.
        assert_eq!(
            phase("fn on_update() { heal(1) } fn heal(x) { x }"),
            UpdatePhase::Parallel
        );
    }

    #[test]
    fn a_reachable_world_call_makes_it_sequential_and_names_the_place() {
        let reason = sequential("fn on_update() {\n  helper();\n}\nfn helper() {\n  heal(2);\n}");
        assert!(
            reason.contains("heal()") && reason.contains("line 5"),
            "{reason}"
        );
        // By arity: `set_transform(t)` is fine, `set_transform(e, t)` is not.
        assert_eq!(
            phase("fn on_update() { set_transform(1) }"),
            UpdatePhase::Parallel
        );
        sequential("fn on_update() { set_transform(1, 2) }");
        // As a method call, `this` counts as an argument.
        sequential("fn on_update() { let e = 1; e.set_transform(2) }");
    }

    #[test]
    fn eval_pointers_timers_and_reflection_are_followed() {
        sequential("fn on_update() { eval(\"1\") }");
        // A pointer may name any function, reached or not.
        sequential("fn on_update() { let f = Fn(\"g\"); f.call() } fn g() { heal(1) }");
        sequential("fn on_update() { [1].map(|x| x + 1) } fn other() { heal(1) }");
        // A pointer to a native function that needs the world, made anywhere.
        let reason =
            sequential("let f = Fn(\"heal\"); fn on_update() { 1 } fn init() { f.call(1) }");
        assert!(reason.contains("pointer to heal()"), "{reason}");
        sequential("fn on_update(name) { let f = Fn(name); f.call() }");
        // A timer callback runs in the update pass too.
        sequential("fn init() { every(1.0, \"tick\") } fn on_update() {} fn tick() { heal(1) }");
        // Reflection keeps a script sequential unless the app lists it.
        let listed = |source: &str| match phase(source) {
            UpdatePhase::ParallelIfListed(reason) => reason,
            other => panic!("expected parallel if listed, got {other:?}: {source}"),
        };
        let reason = listed("fn on_update() {\n  let e = 1;\n  e.Health.hp -= 1.0;\n}");
        assert!(
            reason.contains("Health") && reason.contains("line 3"),
            "{reason}"
        );
        listed("fn on_update() { let e = 1; e[\"Health\"] }");
        listed("fn on_update() { let e = 1; e.has(\"Health\") }");
        // Queries with literal names are prepared before the phase.
        listed("fn on_update() { for e in query(\"Enemy\") {} query([\"A\", \"B\"], \"C\") }");
        let reason = sequential("fn on_update(name) { query(name) }");
        assert!(reason.contains("computed at run time"), "{reason}");
        // Listing lifts reflection only: anything else still counts.
        let reason = sequential("fn on_update() { let e = 1; e.Health.hp -= 1.0; heal(1); }");
        assert!(reason.contains("heal()"), "{reason}");
        assert_eq!(
            phase("fn on_update() { let m = #{ hp: 1 }; m.hp += 1; m[\"hp\"] }"),
            UpdatePhase::Parallel
        );
    }
}
