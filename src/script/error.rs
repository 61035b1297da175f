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
}

impl ScriptLocation {
    pub(crate) fn new(path: &str, position: Position) -> Self {
        Self {
            path: path.to_owned(),
            line: position.line(),
            column: position.position(),
        }
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
#[derive(Debug, Clone, PartialEq, thiserror::Error, Message)]
#[non_exhaustive]
pub enum ScriptError {
    /// The script does not compile, or its top-level code failed when it ran
    /// once after compiling. The last good version of the script keeps running.
    #[error("{location}: {message}")]
    Compile {
        /// Where the error is.
        location: ScriptLocation,
        /// What is wrong.
        message: String,
    },
    /// The asset server could not read the script file, for example because
    /// it was deleted. Bevy logs these itself; the last good version keeps
    /// running.
    #[error("{location}: {message}")]
    Load {
        /// The script that failed to load.
        location: ScriptLocation,
        /// What the asset server reported.
        message: String,
    },
    /// A script function failed while handling an event for one entity.
    /// The entity keeps its state and the other entities go on.
    #[error("{location}: {function} on entity {entity}: {message}")]
    Runtime {
        /// Where the error is: the innermost line and column Rhai reports.
        location: ScriptLocation,
        /// The entity whose script failed.
        entity: Entity,
        /// The handler the plugin called, for example `on_update`.
        function: String,
        /// What went wrong.
        message: String,
    },
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

    pub(crate) fn parse(path: &str, error: &ParseError) -> Self {
        Self::Compile {
            location: ScriptLocation::new(path, error.position()),
            message: format!("syntax error: {}", error.err_type()),
        }
    }

    /// Turns an error from running top-level code (when a script version is
    /// first compiled) into a compile error.
    pub(crate) fn top_level(path: &str, error: &EvalAltResult) -> Self {
        let (message, position, _) = innermost(error);
        Self::Compile {
            location: ScriptLocation::new(path, position),
            message: format!("top-level code failed: {message}"),
        }
    }
}

/// The innermost error of a chain of nested function calls, and its position:
/// the line a user has to fix, not the call site of the handler. Also names
/// the script function that line is in (`None`: the function first called).
pub(crate) fn innermost(error: &EvalAltResult) -> (String, Position, Option<&str>) {
    let inner = error.unwrap_inner();
    // Some errors (an empty endless loop) carry no position: fall back to the
    // innermost call site that has one.
    let mut position = Position::NONE;
    let mut position_in = None;
    let mut current = None;
    let mut link = error;
    loop {
        if !link.position().is_none() {
            position = link.position();
            position_in = current;
        }
        match link {
            EvalAltResult::ErrorInFunctionCall(name, _, next, _) => {
                current = Some(name.as_str());
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
    (message, position, position_in)
}
