//! Script errors: what went wrong, in which file, at which line and column.

use std::fmt;

use bevy::ecs::entity::Entity;
use bevy::ecs::message::Message;
use rhai::{EvalAltResult, ParseError, Position};

/// Where in a script something happened: `path:line:column`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScriptLocation {
    /// The script's asset path, for example `scripts/enemy.rhai`.
    pub path: String,
    /// 1-based line, when Rhai knows it.
    pub line: Option<usize>,
    /// 1-based column, when Rhai knows it.
    pub column: Option<usize>,
    /// The text of the line, when the plugin has the source: the pretty
    /// form of [`ScriptError`] (`{:#}`) shows it with a caret.
    pub source_line: Option<String>,
}

impl ScriptLocation {
    pub(crate) fn new(path: &str, position: Position) -> Self {
        Self {
            path: path.to_owned(),
            line: position.line(),
            column: position.position(),
            source_line: None,
        }
    }

    /// The location of a file as a whole.
    pub(crate) fn file(path: &str) -> Self {
        Self::new(path, Position::NONE)
    }

    /// Takes the text of this location's line from `source`, the file's text.
    pub(crate) fn with_source(mut self, source: &str) -> Self {
        self.source_line = self
            .line
            .and_then(|line| source.lines().nth(line.checked_sub(1)?))
            .map(|text| text.trim_end_matches('\r').to_owned());
        self
    }

    /// The line with a caret under the column, rustc style, if the source
    /// line is known.
    fn snippet(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (Some(line), Some(text)) = (self.line, &self.source_line) else {
            return Ok(());
        };
        let gutter = " ".repeat(line.to_string().len());
        write!(f, "\n{gutter} |\n{line} | {text}")?;
        if let Some(column) = self.column {
            // Tabs stay tabs, so that the caret lines up in a terminal.
            let lead: String = text
                .chars()
                .take(column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "\n{gutter} | {lead}^")?;
        }
        Ok(())
    }
}

impl fmt::Display for ScriptLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// An error in a script, sent as a Bevy [`Message`] and logged once.
///
/// Read it with `MessageReader<ScriptError>` to show errors in your own UI.
///
/// `{error}` is one line, `path:line:column: message`, for UIs; `{error:#}`
/// adds the source line with a caret under the column and, for an error in
/// a function the handler called, the chain of calls (this is the form the
/// plugin logs).
#[derive(Debug, Clone, PartialEq, Message)]
#[non_exhaustive]
pub enum ScriptError {
    /// The script does not compile, or its top-level code failed when it ran
    /// once after compiling. The last good version of the script keeps running.
    Compile {
        /// Where the error is.
        location: ScriptLocation,
        /// What is wrong.
        message: String,
    },
    /// The asset server could not read the script file, for example because
    /// it was deleted. Bevy logs these itself; the last good version keeps
    /// running.
    Load {
        /// The script that failed to load.
        location: ScriptLocation,
        /// What the asset server reported.
        message: String,
    },
    /// A script function failed while handling an event for one entity.
    /// The entity keeps its state and the other entities go on.
    Runtime {
        /// Where the error is: the innermost line and column Rhai reports.
        location: ScriptLocation,
        /// The entity whose script failed.
        entity: Entity,
        /// The handler the plugin called, for example `on_update`.
        function: String,
        /// What went wrong.
        message: String,
        /// The script functions the error passed through, the handler
        /// first: `["on_update", "steer", "clamp"]` for an error in `clamp`.
        calls: Vec<String>,
    },
}

impl std::error::Error for ScriptError {}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Compile { location, message } | Self::Load { location, message } => {
                write!(f, "{location}: {message}")?;
            }
            Self::Runtime {
                location,
                entity,
                function,
                message,
                ..
            } => write!(f, "{location}: {function} on entity {entity}: {message}")?,
        }
        if !f.alternate() {
            return Ok(());
        }
        if let Self::Runtime { calls, .. } = self
            && let [outer @ .., inner] = calls.as_slice()
            && !outer.is_empty()
        {
            let callers: Vec<&str> = outer.iter().rev().map(String::as_str).collect();
            write!(
                f,
                "\n  in {inner}, called from {}",
                callers.join(", called from ")
            )?;
        }
        self.location().snippet(f)
    }
}

impl ScriptError {
    /// Where the error is.
    pub fn location(&self) -> &ScriptLocation {
        match self {
            Self::Compile { location, .. }
            | Self::Load { location, .. }
            | Self::Runtime { location, .. } => location,
        }
    }

    /// What went wrong, without the location.
    pub fn message(&self) -> &str {
        match self {
            Self::Compile { message, .. }
            | Self::Load { message, .. }
            | Self::Runtime { message, .. } => message,
        }
    }

    /// Adds `context` to the message, in parentheses.
    pub(crate) fn add_context(&mut self, context: &str) {
        let (Self::Compile { message, .. }
        | Self::Load { message, .. }
        | Self::Runtime { message, .. }) = self;
        message.push_str(&format!(" ({context})"));
    }

    pub(crate) fn parse(path: &str, error: &ParseError, source: &str) -> Self {
        Self::Compile {
            location: ScriptLocation::new(path, error.position()).with_source(source),
            message: format!("syntax error: {}", error.err_type()),
        }
    }

    /// Turns an error from running top-level code (when a script version is
    /// first compiled) into a compile error.
    pub(crate) fn top_level(path: &str, error: &EvalAltResult, source: &str) -> Self {
        let (message, position, _) = innermost(error);
        Self::Compile {
            location: ScriptLocation::new(path, position).with_source(source),
            message: format!("top-level code failed: {message}"),
        }
    }
}

/// The script functions `error` passed through, outermost first (names of
/// closures included as Rhai gives them).
pub(crate) fn call_chain(error: &EvalAltResult) -> Vec<String> {
    let mut calls = Vec::new();
    let mut link = error;
    loop {
        match link {
            EvalAltResult::ErrorInFunctionCall(name, _, next, _) => {
                calls.push(name.to_string());
                link = next;
            }
            EvalAltResult::ErrorInModule(.., next, _) => link = next,
            _ => return calls,
        }
    }
}

/// The innermost error of a chain of nested function calls, and its position:
/// the line a user has to fix, not the call site of the handler. Also names
/// the script function that line is in (`None`: the function first called).
/// What the engine throws when a call nears the end of its thread's stack
/// (in debug builds, see `engine::stack_guard`).
pub(crate) const STACK_EXHAUSTED: &str = "the native stack is nearly used up";

/// Whether `token`, what a terminated call threw, is [`STACK_EXHAUSTED`].
pub(crate) fn is_stack_exhausted(token: &rhai::Dynamic) -> bool {
    (token.read_lock::<rhai::ImmutableString>())
        .is_some_and(|token| token.as_str() == STACK_EXHAUSTED)
}

pub(crate) fn innermost(error: &EvalAltResult) -> (String, Position, Option<&str>) {
    let (message, position, function, _) = innermost_with_source(error);
    (message, position, function)
}

/// [`innermost`], and the source (script or module path) of the function
/// the position is in, when Rhai knows it.
pub(crate) fn innermost_with_source(
    error: &EvalAltResult,
) -> (String, Position, Option<&str>, Option<&str>) {
    let inner = error.unwrap_inner();
    // Some errors (an empty endless loop) carry no position: fall back to the
    // innermost call site that has one.
    let mut position = Position::NONE;
    let mut position_in = None;
    let mut position_source = None;
    let mut current = None;
    let mut current_source = None;
    let mut link = error;
    loop {
        if !link.position().is_none() {
            position = link.position();
            position_in = current;
            position_source = current_source;
        }
        match link {
            // Positions inside `eval`'s text are not lines of the file:
            // the error is where `eval` was called.
            EvalAltResult::ErrorInFunctionCall(name, ..) if name == "eval" => break,
            EvalAltResult::ErrorInFunctionCall(name, source, next, _) => {
                current = Some(name.as_str());
                current_source = Some(source.as_str()).filter(|source| !source.is_empty());
                link = next;
            }
            EvalAltResult::ErrorInModule(.., next, _) => link = next,
            _ => break,
        }
    }
    let message = match inner {
        EvalAltResult::ErrorTooManyOperations(..) => {
            "exceeded the operation limit for one call (an endless loop?); \
             raise it with ScriptLimits::max_operations"
                .to_owned()
        }
        EvalAltResult::ErrorTerminated(token, _) if is_stack_exhausted(token) => {
            "recursed deeper than this thread's native stack allows (endless \
             recursion?); a debug build takes about ten times the stack per call \
             level of a release build"
                .to_owned()
        }
        EvalAltResult::ErrorStackOverflow(..) => {
            "exceeded the call depth limit (endless recursion?); \
             raise it with ScriptLimits::max_call_levels"
                .to_owned()
        }
        other => {
            // Rhai appends the position; the location carries it already.
            let text = other.to_string();
            let suffix = format!(" ({})", other.position());
            text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
        }
    };
    (message, position, position_in, position_source)
}
