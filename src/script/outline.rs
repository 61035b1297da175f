//! What a script version defines, function by function, and how two versions
//! differ: the basis for patching only the functions an edit changed.
//!
//! Each function is keyed as Rhai keys it (name, arity and, for a typed
//! method, the type of `this`) and fingerprinted from its source text with
//! comments and insignificant whitespace left out, so moving a function or
//! editing a comment is not a change. The code outside functions
//! (constants, state variables, other statements) gets one fingerprint of its
//! own.

use std::collections::HashMap;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::ops::Range;

use rhai::{AST, Position};

/// A script function as Rhai tells functions apart: by name, number of
/// parameters and, for a typed method (`fn string.calc(x)`), the type of
/// `this`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct FunctionKey {
    pub(crate) name: String,
    pub(crate) arity: usize,
    pub(crate) this_type: Option<String>,
}

impl FunctionKey {
    pub(crate) fn of(definition: &rhai::ScriptFuncDef) -> Self {
        Self {
            name: definition.name.to_string(),
            arity: definition.params.len(),
            this_type: definition.this_type.as_ref().map(ToString::to_string),
        }
    }

    /// `calc` or, for a typed method, `string.calc`.
    pub(crate) fn qualified_name(&self) -> String {
        match &self.this_type {
            Some(this_type) => format!("{this_type}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

impl fmt::Display for FunctionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.qualified_name(), self.arity)
    }
}

/// Rhai names the functions it makes for closures `anon$<hash>`.
pub(crate) fn is_closure(name: &str) -> bool {
    name.starts_with("anon$")
}

/// The functions of one script version and the fingerprints to compare them.
#[derive(Debug, Default, Clone)]
pub(crate) struct Outline {
    /// Fingerprint of everything outside function definitions.
    pub(crate) top_level: u64,
    pub(crate) functions: HashMap<FunctionKey, FunctionOutline>,
    /// Each closure, by Rhai's name for it.
    pub(crate) closures: HashMap<String, ClosureOutline>,
    /// Whether every named function could be located in the source. If not,
    /// versions are not compared function by function.
    pub(crate) complete: bool,
}

/// One named function of a script version.
#[derive(Debug, Clone)]
pub(crate) struct FunctionOutline {
    /// Equal for equal code, whatever the comments and layout.
    pub(crate) fingerprint: u64,
    /// Equal for equal text.
    pub(crate) exact: u64,
    /// Where its definition starts (the `fn` keyword), in this version's file.
    pub(crate) definition: Position,
    /// Its text's byte range in this version's file, from the `fn` keyword
    /// (or `private`) to the closing brace.
    pub(crate) span: Range<usize>,
}

/// One closure of a script version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClosureOutline {
    /// The function it is written in; `None` for top-level code.
    pub(crate) owner: Option<FunctionKey>,
    /// Where its body starts in the file it was compiled from.
    pub(crate) body: Position,
    /// A hash of the line its body starts on, without leading and trailing
    /// whitespace: finds the same closure in a later version of the file.
    pub(crate) line: u64,
}

/// The functions that differ between two versions, each sorted by name.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct FunctionDiff {
    pub(crate) top_level_changed: bool,
    pub(crate) changed: Vec<FunctionKey>,
    pub(crate) added: Vec<FunctionKey>,
    pub(crate) removed: Vec<FunctionKey>,
}

/// A [`FunctionDiff`] with each function named as the reload report names
/// it: plain (`on_update`) unless either version defines the name with
/// several arities (`on_hit/1`). Computed where a version is built, so the
/// frame it goes live in does not walk thousands of functions.
#[derive(Debug, Default)]
pub(crate) struct NamedDiff {
    pub(crate) top_level_changed: bool,
    pub(crate) changed: Vec<String>,
    pub(crate) added: Vec<String>,
    pub(crate) removed: Vec<String>,
}

impl NamedDiff {
    /// Whether the two versions behave the same.
    pub(crate) fn is_empty(&self) -> bool {
        !self.top_level_changed
            && self.changed.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
    }
}

impl Outline {
    /// Outlines `ast`, freshly compiled from `source`.
    pub(crate) fn of(source: &str, ast: &AST) -> Self {
        // Rhai counts columns in 16 bits: on a longer line (a minified
        // script) positions wrap, so none can be trusted to find a body.
        if source
            .lines()
            .any(|line| line.len() > usize::from(u16::MAX))
        {
            return Self {
                top_level: hash_of(source),
                functions: HashMap::new(),
                closures: HashMap::new(),
                complete: false,
            };
        }
        let lines = LineIndex::new(source);
        let mut functions = HashMap::new();
        let mut regions = Vec::new();
        let mut closure_starts = Vec::new();
        let mut complete = true;
        for definition in ast.iter_fn_def() {
            let body_start = lines.offset(source, definition.body.start_position());
            if is_closure(&definition.name) {
                let position = definition.body.start_position();
                closure_starts.push((definition.name.to_string(), body_start, position));
                continue;
            }
            let (Some(body_start), Some(body_end)) = (
                body_start,
                lines.offset(source, definition.body.end_position()),
            ) else {
                complete = false;
                continue;
            };
            let start = header_start(source, body_start);
            let end = (body_end + 1).min(source.len());
            if start >= end {
                complete = false;
                continue;
            }
            let key = FunctionKey::of(definition);
            let text = &source[start..end];
            let outline = FunctionOutline {
                fingerprint: fingerprint([text]),
                exact: hash_of(text),
                definition: lines.position(source, start),
                span: start..end,
            };
            regions.push((start, end, key.clone()));
            // Rhai keeps one function per key: two would mean the outline
            // misread the file, so such a script is compared whole.
            if functions.insert(key, outline).is_some() {
                complete = false;
            }
        }
        regions.sort_unstable_by_key(|(start, ..)| *start);

        let mut outside = Vec::with_capacity(regions.len() + 1);
        let mut cursor = 0;
        for (start, end, _) in &regions {
            outside.push(&source[cursor..(*start).max(cursor)]);
            cursor = cursor.max(*end);
        }
        outside.push(&source[cursor..]);

        let closures = closure_starts
            .into_iter()
            .map(|(name, start, body)| {
                let owner = start.and_then(|start| {
                    regions
                        .iter()
                        .find(|(from, to, _)| (*from..*to).contains(&start))
                        .map(|(.., key)| key.clone())
                });
                let line = start.map_or(0, |start| {
                    let line_start = source[..start].rfind('\n').map_or(0, |at| at + 1);
                    let line_end = source[start..]
                        .find('\n')
                        .map_or(source.len(), |at| start + at);
                    hash_of(source[line_start..line_end].trim())
                });
                (name, ClosureOutline { owner, body, line })
            })
            .collect();

        Self {
            top_level: fingerprint(outside),
            functions,
            closures,
            complete,
        }
    }

    /// What changed from `old` to `self`.
    pub(crate) fn diff_from(&self, old: &Outline) -> FunctionDiff {
        let mut diff = FunctionDiff {
            top_level_changed: self.top_level != old.top_level || !self.complete || !old.complete,
            ..FunctionDiff::default()
        };
        for (key, function) in &self.functions {
            match old.functions.get(key) {
                None => diff.added.push(key.clone()),
                Some(previous) if previous.fingerprint != function.fingerprint => {
                    diff.changed.push(key.clone());
                }
                Some(_) => {}
            }
        }
        diff.removed.extend(
            old.functions
                .keys()
                .filter(|key| !self.functions.contains_key(*key))
                .cloned(),
        );
        for list in [&mut diff.changed, &mut diff.added, &mut diff.removed] {
            list.sort_unstable();
        }
        diff
    }

    /// How this version's functions differ from `old`'s, named for the
    /// reload report (see [`NamedDiff`]).
    pub(crate) fn named_diff_from(&self, old: &Outline) -> NamedDiff {
        let diff = self.diff_from(old);
        // Names defined with more than one arity in either version: their
        // labels say which one. One pass, not one per function.
        let mut arities: HashMap<String, usize> = HashMap::new();
        for key in old.functions.keys().chain(self.functions.keys()) {
            *arities.entry(key.qualified_name()).or_default() += 1;
        }
        let in_both =
            |key: &FunctionKey| old.functions.contains_key(key) && self.functions.contains_key(key);
        let label = |key: &FunctionKey| {
            let name = key.qualified_name();
            let versions = arities.get(&name).copied().unwrap_or(0);
            let overloaded = versions > if in_both(key) { 2 } else { 1 };
            if overloaded { key.to_string() } else { name }
        };
        NamedDiff {
            top_level_changed: diff.top_level_changed,
            changed: diff.changed.iter().map(label).collect(),
            added: diff.added.iter().map(label).collect(),
            removed: diff.removed.iter().map(label).collect(),
        }
    }

    /// The outline of this version's file after the text of function
    /// `replaced` became the text outlined by `edit` (an outline of the
    /// edited function alone, compiled with padding that puts it where it
    /// is in the file, so its positions are right and its offsets are
    /// `padding` bytes too far). Everything after it moved by `bytes` bytes
    /// and `lines` lines.
    pub(crate) fn edited(
        &self,
        replaced: &FunctionKey,
        edit: Outline,
        padding: usize,
        bytes: isize,
        lines: isize,
    ) -> Outline {
        let old_end = self.functions[replaced].span.end;
        let start = self.functions[replaced].span.start;
        let move_line = |position: Position| match position.line() {
            Some(line) => Position::new(
                u16::try_from(line.saturating_add_signed(lines)).unwrap_or(u16::MAX),
                position.position().map_or(0, |column| column as u16),
            ),
            None => position,
        };
        let mut functions: HashMap<FunctionKey, FunctionOutline> = HashMap::new();
        for (key, function) in &self.functions {
            if key == replaced {
                continue;
            }
            let mut function = function.clone();
            if function.span.start >= old_end {
                function.span = function.span.start.saturating_add_signed(bytes)
                    ..function.span.end.saturating_add_signed(bytes);
                function.definition = move_line(function.definition);
            }
            functions.insert(key.clone(), function);
        }
        for (key, mut function) in edit.functions {
            let shift = start as isize - padding as isize;
            function.span = function.span.start.saturating_add_signed(shift)
                ..function.span.end.saturating_add_signed(shift);
            functions.insert(key, function);
        }
        let mut closures: HashMap<String, ClosureOutline> = HashMap::new();
        for (name, closure) in &self.closures {
            let Some(owner) = &closure.owner else {
                closures.insert(name.clone(), closure.clone());
                continue;
            };
            let Some(function) = self.functions.get(owner) else {
                continue;
            };
            if owner == replaced {
                continue;
            }
            let mut closure = closure.clone();
            if function.span.start >= old_end {
                closure.body = move_line(closure.body);
            }
            closures.insert(name.clone(), closure);
        }
        closures.extend(edit.closures);
        Outline {
            top_level: self.top_level,
            functions,
            closures,
            complete: self.complete && edit.complete,
        }
    }

    /// Where function `name` is defined (any arity, not a typed method
    /// unless no other function has the name), or [`Position::NONE`].
    pub(crate) fn definition(&self, name: &str) -> Position {
        self.functions
            .iter()
            .filter(|(key, _)| key.name == name)
            .min_by_key(|(key, _)| key.this_type.is_some())
            .map_or(Position::NONE, |(_, outline)| outline.definition)
    }

    /// Where `position`, inside closure `old` of an older version that this
    /// version no longer makes, is in this version's file: the same
    /// closure found by the line it starts on, if exactly one closure here
    /// starts on such a line; otherwise `position` unchanged.
    pub(crate) fn closure_moved(&self, old: &ClosureOutline, position: Position) -> Position {
        let mut same_line = self.closures.values().filter(|now| now.line == old.line);
        let (Some(now), None) = (same_line.next(), same_line.next()) else {
            return position;
        };
        let (Some(line), Some(old_line), Some(now_line)) =
            (position.line(), old.body.line(), now.body.line())
        else {
            return position;
        };
        let shift = |at: usize, from: usize, to: usize| (at + to).saturating_sub(from).max(1);
        let column = position.position().unwrap_or(0);
        let column = match (old.body.position(), now.body.position()) {
            (Some(from), Some(to)) if line == old_line && column > 0 => shift(column, from, to),
            _ => column,
        };
        let line = shift(line, old_line, now_line);
        Position::new(
            u16::try_from(line).unwrap_or(u16::MAX),
            u16::try_from(column).unwrap_or(u16::MAX),
        )
    }
}

/// Byte offsets of line starts, to turn Rhai positions into offsets.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(source: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Self(starts)
    }

    /// The byte offset of `position` (Rhai counts columns in characters).
    fn offset(&self, source: &str, position: Position) -> Option<usize> {
        let line_start = *self.0.get(position.line()?.checked_sub(1)?)?;
        let column = position.position()?.checked_sub(1)?;
        let line = &source[line_start..];
        let in_line = line
            .char_indices()
            .nth(column)
            .map_or(line.len(), |(at, _)| at);
        Some(line_start + in_line)
    }

    fn position(&self, source: &str, offset: usize) -> Position {
        let line = self.0.partition_point(|start| *start <= offset);
        let line_start = self.0[line - 1];
        let column = source[line_start..offset].chars().count() + 1;
        Position::new(
            u16::try_from(line).unwrap_or(u16::MAX),
            u16::try_from(column).unwrap_or(u16::MAX),
        )
    }
}

/// Where the definition whose body opens at `body_start` begins: its `fn`
/// keyword, or the `private` before it.
fn header_start(source: &str, body_start: usize) -> usize {
    let head = &source[..body_start];
    let is_word_char = |c: char| c.is_alphanumeric() || c == '_';
    let fn_keyword = head.rmatch_indices("fn").map(|(at, _)| at).find(|&at| {
        let before_ok = !head[..at].chars().next_back().is_some_and(is_word_char);
        let after_ok = head[at + 2..].starts_with(char::is_whitespace);
        before_ok && after_ok
    });
    let Some(at) = fn_keyword else {
        return body_start;
    };
    let before = head[..at].trim_end();
    match before.strip_suffix("private") {
        Some(rest) if !rest.chars().next_back().is_some_and(is_word_char) => rest.len(),
        _ => at,
    }
}

/// Hashes source text without its comments and without whitespace that does
/// not separate two words. String and character literals count as written.
fn fingerprint<'a>(parts: impl IntoIterator<Item = &'a str>) -> u64 {
    let mut normalized = String::new();
    for part in parts {
        normalize_into(part, &mut normalized);
    }
    hash_of(&normalized)
}

fn hash_of(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// Appends `text` to `out` without comments and insignificant whitespace.
/// Text appended before counts as separated from it by whitespace.
fn normalize_into(text: &str, out: &mut String) {
    let is_word_char = |c: char| c.is_alphanumeric() || c == '_';
    let mut chars = text.chars().peekable();
    let mut space_pending = true;
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => space_pending = true,
            '/' if chars.peek() == Some(&'/') => {
                for next in chars.by_ref() {
                    if next == '\n' {
                        break;
                    }
                }
                space_pending = true;
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                // Rhai block comments nest.
                let mut depth = 1;
                let mut previous = ' ';
                for next in chars.by_ref() {
                    match (previous, next) {
                        ('/', '*') => {
                            depth += 1;
                            previous = ' ';
                            continue;
                        }
                        ('*', '/') => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                            previous = ' ';
                            continue;
                        }
                        _ => {}
                    }
                    previous = next;
                }
                space_pending = true;
            }
            '"' | '\'' | '`' => {
                if space_pending && out.ends_with(is_word_char) {
                    out.push(' ');
                }
                space_pending = false;
                out.push(c);
                let mut escaped = false;
                for next in chars.by_ref() {
                    out.push(next);
                    if escaped {
                        escaped = false;
                    } else if next == '\\' && c != '`' {
                        escaped = true;
                    } else if next == c {
                        break;
                    }
                }
            }
            c => {
                if space_pending && is_word_char(c) && out.ends_with(is_word_char) {
                    out.push(' ');
                }
                space_pending = false;
                out.push(c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outline(source: &str) -> Outline {
        let ast = rhai::Engine::new().compile(source).expect("compiles");
        Outline::of(source, &ast)
    }

    fn names(keys: &[FunctionKey]) -> Vec<&str> {
        keys.iter().map(|key| key.name.as_str()).collect()
    }

    fn key(name: &str, arity: usize) -> FunctionKey {
        FunctionKey {
            name: name.to_owned(),
            arity,
            this_type: None,
        }
    }

    #[test]
    fn comments_whitespace_and_order_are_not_changes() {
        let old = outline("let a = 1;\nfn f(x) { x + 1 }\nfn g() { \"a  b\" }\n");
        let new = outline(
            "// state\nlet a = 1; /* still 1 */\n\nfn g() {\n    \"a  b\"\n}\n\n/// doc\nfn f(x) {\n  x+1 // one more\n}\n",
        );
        assert!(
            new.named_diff_from(&old).is_empty(),
            "{:?}",
            new.diff_from(&old)
        );
    }

    #[test]
    fn sorts_functions_into_changed_added_and_removed() {
        let old = outline("fn keep() { 1 }\nfn edit() { 1 }\nfn gone() { 1 }\nfn arity(a) { a }\n");
        let new =
            outline("fn keep() { 1 }\nfn edit() { 2 }\nfn fresh() { 1 }\nfn arity(a, b) { a }\n");
        let diff = new.diff_from(&old);
        assert!(!diff.top_level_changed);
        assert_eq!(names(&diff.changed), ["edit"]);
        assert_eq!(diff.added, [key("arity", 2), key("fresh", 0)]);
        assert_eq!(diff.removed, [key("arity", 1), key("gone", 0)]);
    }

    #[test]
    fn adding_a_function_leaves_the_top_level_alone() {
        let old = outline("let a = 1;\nfn f() { 1 }\n");
        let new = outline("let a = 1;\nfn f() { 1 }\nfn g() { 2 }\nlet b = 2;\n");
        let newer = outline("let a = 1;\nfn f() { 1 }\nlet b = 2;\n");
        assert!(!newer.named_diff_from(&old).is_empty());
        assert!(!new.diff_from(&newer).top_level_changed);
        assert!(
            !outline("let a = 1;\nfn f() { 1 }\nfn g() { 2 }\n")
                .diff_from(&old)
                .top_level_changed
        );
    }

    #[test]
    fn string_contents_and_top_level_code_are_changes() {
        let old = outline("const A = 1;\nfn f() { \"a b\" }\n");
        let new = outline("const A = 2;\nfn f() { \"a  b\" }\n");
        let diff = new.diff_from(&old);
        assert!(diff.top_level_changed);
        assert_eq!(names(&diff.changed), ["f"]);
    }

    #[test]
    fn knows_where_functions_and_closures_are() {
        let source =
            "let top = |q| q;\n\nprivate fn helper(x) {\n  let add = |y| y + x;\n  add\n}\n";
        let outline = outline(source);
        assert_eq!(outline.definition("helper"), Position::new(3, 1));
        let mut owners: Vec<_> = (outline.closures.values())
            .map(|closure| closure.owner.clone())
            .collect();
        owners.sort();
        assert_eq!(owners, [None, Some(key("helper", 1))]);
    }

    #[test]
    fn typed_methods_are_told_apart() {
        let old = outline("fn string.calc(x) { 1 }\nfn int.calc(x) { 2 }\nfn calc(x) { 3 }\n");
        let new = outline("fn string.calc(x) { 9 }\nfn int.calc(x) { 2 }\nfn calc(x) { 3 }\n");
        assert!(new.complete);
        let diff = new.diff_from(&old);
        assert_eq!(diff.changed.len(), 1);
        assert_eq!(diff.changed[0].qualified_name(), "string.calc");
    }

    #[test]
    fn finds_a_closure_that_moved() {
        let old = outline("fn f() {\n  let g = |x| x / 0;\n  g\n}\n");
        let new = outline("\n\nfn f() {\n      let g = |x| x / 0;\n  g\n}\n");
        let closure = old.closures.values().next().unwrap();
        // `x / 0` at line 2, column 15 before; the body moved down two
        // lines and right four columns.
        let moved = new.closure_moved(closure, Position::new(2, 15));
        assert_eq!((moved.line(), moved.position()), (Some(4), Some(19)));
    }
}
