//! Property: after any sequence of saves, a running entity behaves exactly
//! as an entity of a fresh app that loaded the last good text from scratch.
//!
//! A seeded generator writes scripts and edits them: function bodies,
//! literals, functions added and removed, arities, order, comments and blank
//! lines, indentation, overloads, typed methods, `private`, closures held in
//! state, constants of every kind (an app type and one computed by a
//! function among them) used and shadowed in functions, `global::`, syntax
//! errors and their fixes, CRLF line ends, under every optimization level.
//! After every save, every function is called (through an ad-hoc event
//! handler per function) on the entity that ran since the start, on an
//! entity spawned after the save, and on an entity of a second app that
//! loaded the same text fresh: values must be equal, and errors equal in
//! message, line and column.
//!
//! `cargo test` runs 200 sequences of 10 saves. `EDIT_SEQUENCES=5000` runs
//! more; `EDIT_SEED=<seed>` replays one sequence (a failure prints its
//! seed and every version it saved); `EDIT_SHOW=1` prints each good text
//! and what its probes gave.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use common::Harness;

const SEQUENCES: u64 = 200;
const SAVES: usize = 10;
/// The tests that split the sequences between them, to use every core.
const SHARDS: u64 = 4;

/// SplitMix64: small, seedable, good enough to pick edits.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A top-level constant's value.
#[derive(Clone, Copy, Debug)]
enum ConstKind {
    Int,
    Float,
    Text,
    Array,
    Map,
    Bool,
    /// An app type: the plugin's `Vec3`.
    Vector,
    /// Computed by the script's function `make_c`.
    Computed,
    /// An app type computed by the script's function `make_w`.
    ComputedVector,
}

const CONST_NAMES: &[&str] = &["K", "N", "FL", "S", "ARR", "M", "B", "V", "C", "W"];
const FUNCTION_NAMES: &[&str] = &["f", "g", "h", "calc", "step", "max"];
const PARAM_NAMES: &[&str] = &["a", "b", "x", "K", "S", "ARR"];

#[derive(Clone, Debug)]
struct Constant {
    name: &'static str,
    kind: ConstKind,
    literal: i64,
    gap: String,
}

#[derive(Clone, Debug)]
struct Function {
    name: String,
    this_type: Option<&'static str>,
    params: Vec<&'static str>,
    body: String,
    private: bool,
    indent: usize,
    gap: String,
    /// Blank lines inside the body, before its expression.
    inner_lines: usize,
    /// Functions call only functions of a lower rank: no recursion.
    rank: usize,
}

impl Function {
    fn key(&self) -> String {
        match self.this_type {
            Some(this_type) => format!("{this_type}_{}_{}", self.name, self.params.len()),
            None => format!("{}_{}", self.name, self.params.len()),
        }
    }
}

/// A script, as the generator sees it.
#[derive(Clone, Debug)]
struct Model {
    constants: Vec<Constant>,
    functions: Vec<Function>,
    /// Blank lines and comments before the state variables.
    state_gap: String,
    crlf: bool,
    next_rank: usize,
}

impl Model {
    fn render(&self) -> String {
        let mut text = String::new();
        text.push_str(&self.state_gap);
        // State: closures held from the first version on, whose text never
        // changes (a changed closure in state is the old code by design).
        text.push_str("let out = #{};\nlet cl = |x| x * 3 + 1;\nlet bad = |x| x / 0;\n");
        for constant in &self.constants {
            text.push_str(&constant.gap);
            let value = match constant.kind {
                ConstKind::Int => constant.literal.to_string(),
                ConstKind::Float => format!("{}.5", constant.literal),
                ConstKind::Text => format!("\"text{}\"", constant.literal),
                ConstKind::Array => format!("[{}, 2, 3]", constant.literal),
                ConstKind::Map => format!("#{{ a: {}, b: \"x\" }}", constant.literal),
                ConstKind::Bool => (constant.literal % 2 == 0).to_string(),
                ConstKind::Vector => format!("vec3({}.0, 2.0, 3.0)", constant.literal),
                ConstKind::Computed => "make_c()".to_owned(),
                ConstKind::ComputedVector => "make_w()".to_owned(),
            };
            writeln!(text, "const {} = {value};", constant.name).unwrap();
        }
        for function in &self.functions {
            text.push_str(&function.gap);
            let indent = " ".repeat(function.indent);
            let private = if function.private { "private " } else { "" };
            let this = function
                .this_type
                .map(|this_type| format!("{this_type}."))
                .unwrap_or_default();
            writeln!(
                text,
                "{indent}{private}fn {this}{}({}) {{\n{}{indent}    {}\n{indent}}}",
                function.name,
                function.params.join(", "),
                "\n".repeat(function.inner_lines),
                function.body
            )
            .unwrap();
        }
        for (probe, call) in self.probes() {
            writeln!(text, "fn on_p_{probe}() {{ out[\"{probe}\"] = {call}; }}").unwrap();
        }
        writeln!(text, "fn on_reset() {{ out = #{{}}; }}").unwrap();
        if self.crlf {
            text = text.replace('\n', "\r\n");
        }
        text
    }

    /// Each probe's name and the call it makes.
    fn probes(&self) -> Vec<(String, String)> {
        let mut probes = vec![
            ("held".to_owned(), "cl.call(2)".to_owned()),
            ("held_bad".to_owned(), "bad.call(1)".to_owned()),
        ];
        if self.constants.iter().any(|constant| constant.name == "K") {
            probes.push(("global".to_owned(), "global::K".to_owned()));
        }
        for function in &self.functions {
            let args: Vec<String> = (0..function.params.len())
                .map(|at| (at + 3).to_string())
                .collect();
            let call = match function.this_type {
                Some("int") => format!("7.{}({})", function.name, args.join(", ")),
                Some(_) => format!("\"abc\".{}({})", function.name, args.join(", ")),
                None => format!("{}({})", function.name, args.join(", ")),
            };
            probes.push((function.key(), call));
        }
        probes.sort();
        probes.dedup_by(|a, b| a.0 == b.0);
        probes
    }

    fn has_key(&self, key: &str) -> bool {
        self.functions.iter().any(|function| function.key() == key)
    }
}

/// Expressions with an integer value (or an error, on purpose or because a
/// name went away).
fn expression(
    rng: &mut Rng,
    model: &Model,
    params: &[&'static str],
    rank: usize,
    depth: usize,
) -> String {
    let leaf = depth == 0 || rng.chance(30);
    if leaf {
        return match rng.below(12) {
            0..=2 if !params.is_empty() => {
                let param = *rng.pick(params);
                match param {
                    "S" => "S.to_string().len()".to_owned(),
                    "ARR" => "ARR.to_string().len()".to_owned(),
                    other => other.to_owned(),
                }
            }
            3..=7 => {
                let name = *rng.pick(CONST_NAMES);
                match name {
                    "K" | "N" | "C" => name.to_owned(),
                    "FL" => "FL.to_int()".to_owned(),
                    "S" => "S.len()".to_owned(),
                    "ARR" => "ARR.len() + ARR[0]".to_owned(),
                    "M" => "M.a".to_owned(),
                    "B" => "(if B { 1 } else { 2 })".to_owned(),
                    "W" => "W.x.to_int()".to_owned(),
                    _ => "V.x.to_int()".to_owned(),
                }
            }
            8 => "global::K".to_owned(),
            _ => rng.below(20).to_string(),
        };
    }
    let sub = |rng: &mut Rng| expression(rng, model, params, rank, depth - 1);
    match rng.below(14) {
        0..=2 => {
            let callees: Vec<&Function> = (model.functions.iter())
                .filter(|function| function.rank < rank)
                .collect();
            if callees.is_empty() {
                return sub(rng);
            }
            let callee = *rng.pick(&callees);
            let args: Vec<String> = (0..callee.params.len()).map(|_| sub(rng)).collect();
            match callee.this_type {
                Some("int") => format!("({}).{}({})", sub(rng), callee.name, args.join(", ")),
                Some(_) => format!("\"ab\".{}({})", callee.name, args.join(", ")),
                None => format!("{}({})", callee.name, args.join(", ")),
            }
        }
        3 => format!("(|y| y * 2).call({})", sub(rng)),
        4 => format!("(|y| y + {}).call({})", sub(rng), sub(rng)),
        5 => format!("({{ let K = {}; K + 1 }})", sub(rng)),
        6 => format!(
            "({{ let t = 0; for K in [1, 2] {{ t += K; }} t + {} }})",
            sub(rng)
        ),
        7 => format!("(switch {} {{ 1 => 10, 2 => K, _ => 3 }})", sub(rng)),
        8 if rng.chance(15) => format!("({} / 0)", sub(rng)),
        9 if rng.chance(15) => "({ throw \"boom\"; 0 })".to_owned(),
        10 => format!("({} * {})", sub(rng), rng.below(5)),
        11 => format!("({} - {})", sub(rng), sub(rng)),
        _ => format!("({} + {})", sub(rng), sub(rng)),
    }
}

fn gap(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => "\n".to_owned(),
        1 => "// a comment\n".to_owned(),
        2 => "\n/* block\n   comment */\n\n".to_owned(),
        _ => String::new(),
    }
}

fn new_function(rng: &mut Rng, model: &mut Model) -> Function {
    let (name, this_type) = if rng.chance(12) {
        ("tm".to_owned(), Some(*rng.pick(&["int", "string"])))
    } else {
        ((*rng.pick(FUNCTION_NAMES)).to_owned(), None)
    };
    let arity = if this_type.is_some() { 1 } else { rng.below(3) };
    let mut params: Vec<&'static str> = Vec::new();
    while params.len() < arity {
        let param = *rng.pick(PARAM_NAMES);
        if !params.contains(&param) {
            params.push(param);
        }
    }
    let rank = model.next_rank;
    model.next_rank += 1;
    let body = expression(rng, model, &params, rank, 3);
    Function {
        name,
        this_type,
        params,
        body,
        private: rng.chance(15),
        indent: *rng.pick(&[0, 0, 0, 2, 4]),
        gap: gap(rng),
        inner_lines: 0,
        rank,
    }
}

fn add_function(rng: &mut Rng, model: &mut Model) {
    let function = new_function(rng, model);
    if !model.has_key(&function.key()) {
        let at = rng.below(model.functions.len() + 1);
        model.functions.insert(at, function);
    }
}

fn first_model(rng: &mut Rng) -> Model {
    let mut model = Model {
        constants: Vec::new(),
        functions: Vec::new(),
        state_gap: String::new(),
        crlf: rng.chance(20),
        next_rank: 0,
    };
    // Constants computed by functions make top-level code call functions,
    // which sends every save down the whole-parse path: in some sequences
    // only, so that most exercise one-function saves too.
    let computed = rng.chance(30);
    for &name in CONST_NAMES {
        let wanted = if MAKERS
            .iter()
            .any(|maker| maker.ends_with(&name.to_lowercase()))
        {
            computed
        } else {
            rng.chance(70)
        };
        if wanted {
            model.constants.push(new_constant(rng, name));
        }
    }
    for name in MAKERS {
        model.functions.push(Function {
            name: name.to_owned(),
            this_type: None,
            params: Vec::new(),
            body: maker_body(rng, name),
            private: false,
            indent: 0,
            gap: String::new(),
            inner_lines: 0,
            rank: usize::MAX,
        });
    }
    for _ in 0..3 + rng.below(4) {
        add_function(rng, &mut model);
    }
    model
}

/// The functions that compute constants: never removed, never called by
/// other functions, their bodies plain values.
const MAKERS: [&str; 2] = ["make_c", "make_w"];

fn maker_body(rng: &mut Rng, name: &str) -> String {
    match name {
        "make_c" => rng.below(50).to_string(),
        _ => format!("vec3({}.0, 2.0, 3.0)", rng.below(50)),
    }
}

fn new_constant(rng: &mut Rng, name: &'static str) -> Constant {
    let kind = match name {
        "K" | "N" => ConstKind::Int,
        "FL" => ConstKind::Float,
        "S" => ConstKind::Text,
        "ARR" => ConstKind::Array,
        "M" => ConstKind::Map,
        "B" => ConstKind::Bool,
        "V" => ConstKind::Vector,
        "W" => ConstKind::ComputedVector,
        _ => ConstKind::Computed,
    };
    Constant {
        name,
        kind,
        literal: rng.below(9) as i64 + 1,
        gap: gap(rng),
    }
}

/// Changes `model` in one to three ways.
fn mutate(rng: &mut Rng, model: &mut Model) {
    // One change in most saves, as when editing by hand.
    let changes = if rng.chance(60) { 1 } else { 2 + rng.below(2) };
    for _ in 0..changes {
        let count = model.functions.len();
        match rng.below(13) {
            0 | 1 => {
                let at = rng.below(count);
                let (params, rank) = (model.functions[at].params.clone(), model.functions[at].rank);
                let name = model.functions[at].name.clone();
                let body = if MAKERS.contains(&name.as_str()) {
                    maker_body(rng, &name)
                } else {
                    expression(rng, model, &params, rank, 3)
                };
                model.functions[at].body = body;
            }
            2 => {
                // A literal inside a body.
                let at = rng.below(count);
                let body = &model.functions[at].body;
                let digits: Vec<usize> = (body.char_indices())
                    .filter(|(_, c)| c.is_ascii_digit())
                    .map(|(i, _)| i)
                    .collect();
                if !digits.is_empty() {
                    let i = *rng.pick(&digits);
                    let mut body = body.clone();
                    body.replace_range(i..i + 1, &rng.below(10).to_string());
                    model.functions[at].body = body;
                }
            }
            3 => {
                if !model.constants.is_empty() {
                    let at = rng.below(model.constants.len());
                    model.constants[at].literal = rng.below(9) as i64 + 1;
                }
            }
            4 => add_function(rng, model),
            5 => {
                let at = rng.below(count);
                if !MAKERS.contains(&model.functions[at].name.as_str()) {
                    model.functions.remove(at);
                }
            }
            6 => {
                // Arity.
                let at = rng.below(count);
                let function = &mut model.functions[at];
                if function.this_type.is_none() && !MAKERS.contains(&function.name.as_str()) {
                    let key_before = function.key();
                    if function.params.is_empty() || rng.chance(50) {
                        let param = *rng.pick(&["p", "q", "K"]);
                        if !function.params.contains(&param) {
                            function.params.push(param);
                        }
                    } else {
                        function.params.pop();
                    }
                    let key = model.functions[at].key();
                    let clash = (model.functions.iter())
                        .filter(|function| function.key() == key)
                        .count()
                        > 1;
                    if clash {
                        // Two functions with one key: undo.
                        let function = &mut model.functions[at];
                        while function.key() != key_before {
                            if function.params.len() > key_before.len() {
                                function.params.pop();
                            } else {
                                function.params.push("z");
                            }
                            if function.params.len() > 3 {
                                break;
                            }
                        }
                        if model.functions[at].key() != key_before {
                            model.functions.remove(at);
                        }
                    }
                }
            }
            7 => {
                // Order.
                let from = rng.below(count);
                let function = model.functions.remove(from);
                let to = rng.below(model.functions.len() + 1);
                model.functions.insert(to, function);
            }
            8 => {
                let at = rng.below(count);
                if rng.chance(50) {
                    // Lines inside a function: the ones below it move.
                    model.functions[at].inner_lines = rng.below(4);
                } else {
                    model.functions[at].gap = gap(rng);
                    model.state_gap = gap(rng);
                }
            }
            9 => {
                let at = rng.below(count);
                model.functions[at].indent = *rng.pick(&[0, 1, 2, 4, 8]);
            }
            10 => {
                let at = rng.below(count);
                let function = &mut model.functions[at];
                function.private = !function.private;
            }
            11 => {
                let name = *rng.pick(CONST_NAMES);
                match model.constants.iter().position(|c| c.name == name) {
                    Some(at) => {
                        model.constants.remove(at);
                    }
                    None => {
                        let constant = new_constant(rng, name);
                        let at = rng.below(model.constants.len() + 1);
                        model.constants.insert(at, constant);
                    }
                }
            }
            _ => model.crlf = !model.crlf,
        }
    }
}

/// A syntax error somewhere in `text`.
fn broken(rng: &mut Rng, text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let at = rng.below(lines.len() + 1);
    let damage = *rng.pick(&["fn (\n", "let = ;\n", "}\n", "fn f( {\n", "const 1 = 2;\n"]);
    let mut out = String::new();
    for line in &lines[..at] {
        out.push_str(line);
    }
    out.push_str(damage);
    for line in &lines[at..] {
        out.push_str(line);
    }
    out
}

/// What a probe gave: a value, or an error's message, line and column.
type Outcome = Result<String, (String, Option<usize>, Option<usize>)>;

/// Runs every probe on `entities` and returns what each gave, per entity.
fn probe(
    h: &mut Harness,
    entities: &[Entity],
    probes: &[String],
) -> Vec<BTreeMap<String, Outcome>> {
    entities
        .iter()
        .map(|&entity| probe_one(h, entity, probes))
        .collect()
}

fn probe_one(h: &mut Harness, entity: Entity, probes: &[String]) -> BTreeMap<String, Outcome> {
    // A handler that hit a limit is suspended for its script version, on
    // every entity: each entity probes afresh.
    let mut states = h.app.world_mut().query::<&ScriptState>();
    for state in states.iter(h.app.world()) {
        state
            .running_versions()
            .flatten()
            .for_each(|version| version.resume_handlers());
    }
    h.app
        .world_mut()
        .write_message(ScriptEvent::to(entity, "reset"));
    h.update();
    let errors_before = h.errors().len();
    for name in probes {
        h.app
            .world_mut()
            .write_message(ScriptEvent::to(entity, format!("p_{name}")));
    }
    h.update();
    let mut outcome: BTreeMap<String, Outcome> = BTreeMap::new();
    let state = h.app.world().get::<ScriptState>(entity).expect("scripted");
    let out = state.get("out").expect("`out` in state");
    let out = out
        .read_lock::<rhai::Map>()
        .expect("`out` is a map")
        .clone();
    for (name, value) in out {
        outcome.insert(name.to_string(), Ok(format!("{value:?}")));
    }
    for error in &h.errors()[errors_before..] {
        if let ScriptError::Runtime {
            location,
            entity: failed,
            function,
            message,
            ..
        } = error
            && *failed == entity
        {
            let name = function.trim_start_matches("on_p_").to_owned();
            let previous = outcome.insert(
                name.clone(),
                Err((message.clone(), location.line, location.column)),
            );
            assert!(
                previous.is_none(),
                "probe {name} both gave a value and failed"
            );
        }
    }
    outcome
}

const PATH: &str = "scripts/edited.rhai";

fn run_sequence(seed: u64) {
    if std::env::var("EDIT_TRACE").is_ok() {
        eprintln!("SEQ {seed}");
    }
    let mut rng = Rng(seed);
    let level = *rng.pick(&[
        rhai::OptimizationLevel::None,
        rhai::OptimizationLevel::Simple,
        rhai::OptimizationLevel::Full,
    ]);
    let plugin = || {
        RhaiPlugin::default().with_engine(move |engine| {
            engine.set_optimization_level(level);
        })
    };
    let mut live = Harness::with(plugin(), |_| {});
    let mut fresh = Harness::with(plugin(), |_| {});
    let mut model = first_model(&mut rng);
    let mut good = model.render();
    live.write(PATH, &good);
    let running = live.spawn(PATH);
    live.run_until_ready(running);
    let mut texts = vec![good.clone()];

    for save in 0..SAVES {
        let text = if rng.chance(12) {
            broken(&mut rng, &model.render())
        } else {
            mutate(&mut rng, &mut model);
            model.render()
        };
        texts.push(text.clone());
        if std::env::var("EDIT_TRACE").is_ok() {
            eprintln!("SAVE {save}\n{text}");
        }
        let context = || {
            let mut context =
                format!("seed {seed} (replay: EDIT_SEED={seed}), save {save}, {level:?}\n");
            for (at, text) in texts.iter().enumerate() {
                writeln!(context, "--- version {at} ---\n{text}").unwrap();
            }
            context
        };

        // The fresh app loads the text from scratch.
        let fresh_path = format!("scripts/fresh_{save}.rhai");
        fresh.write(&fresh_path, &text);
        let handle = fresh.load(&fresh_path);
        fresh.run_until("the fresh load", |world| {
            world
                .resource::<Assets<RhaiScript>>()
                .get(&handle)
                .is_some()
        });
        let fresh_error = {
            let scripts = fresh.app.world().resource::<Assets<RhaiScript>>();
            scripts.get(&handle).unwrap().error().cloned()
        };

        let versions = live
            .recorded::<AssetEvent<RhaiScript>>()
            .iter()
            .filter(|event| matches!(event, AssetEvent::Modified { .. }))
            .count();
        live.edit(PATH, &text);
        live.run_until_versions(versions + 1);
        let live_error = {
            let handle = live.load(PATH);
            let scripts = live.app.world().resource::<Assets<RhaiScript>>();
            scripts.get(&handle).unwrap().error().cloned()
        };
        let where_of = |error: &Option<ScriptError>| {
            error.as_ref().map(|error| {
                let location = error.location();
                (
                    location.line,
                    location.column,
                    error.to_string().replace(PATH, "").replace(&fresh_path, ""),
                )
            })
        };
        assert_eq!(
            where_of(&live_error),
            where_of(&fresh_error),
            "load errors differ\n{}",
            context()
        );
        if fresh_error.is_none() {
            good = text.clone();
        }

        // The last good text, loaded fresh, against the running entity and
        // one spawned now.
        let good_path = format!("scripts/good_{save}.rhai");
        fresh.write(&good_path, &good);
        let reference = fresh.spawn(&good_path);
        fresh.run_until_ready(reference);
        let spawned = live.spawn(PATH);
        live.run_until_ready(spawned);

        let probes = {
            // The probes of the last good text: a broken save runs none.
            let ran = fresh.compiled(&good_path);
            let mut names: Vec<String> = Vec::new();
            for function in ran.ast().iter_fn_def() {
                if let Some(name) = function.name.strip_prefix("on_p_") {
                    names.push(name.to_owned());
                }
            }
            names
        };
        let expected = probe(&mut fresh, &[reference], &probes).remove(0);
        if std::env::var("EDIT_SHOW").is_ok() {
            eprintln!("{good}\n{expected:#?}");
        }
        let got = probe(&mut live, &[running, spawned], &probes);
        for (which, outcome) in ["the running entity", "an entity spawned after the save"]
            .iter()
            .zip(got)
        {
            if outcome != expected {
                let mut diff = String::new();
                for (name, want) in &expected {
                    let have = outcome.get(name);
                    if have != Some(want) {
                        writeln!(diff, "  {name}: fresh {want:?}, {which} {have:?}").unwrap();
                    }
                }
                for (name, have) in &outcome {
                    if !expected.contains_key(name) {
                        writeln!(diff, "  {name}: fresh none, {which} {have:?}").unwrap();
                    }
                }
                panic!("{which} differs from a fresh load:\n{diff}{}", context());
            }
        }
    }
}

fn sequences(shard: u64) {
    if let Ok(seed) = std::env::var("EDIT_SEED") {
        if shard == 0 {
            run_sequence(seed.parse().expect("EDIT_SEED is a number"));
        }
        return;
    }
    let count = std::env::var("EDIT_SEQUENCES")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(SEQUENCES);
    for seed in (0..count).filter(|seed| seed % SHARDS == shard) {
        run_sequence(seed);
    }
}

#[test]
fn edit_sequences_shard_0() {
    sequences(0);
}

#[test]
fn edit_sequences_shard_1() {
    sequences(1);
}

#[test]
fn edit_sequences_shard_2() {
    sequences(2);
}

#[test]
fn edit_sequences_shard_3() {
    sequences(3);
}
