//! Limits that stop runaway scripts.

use rhai::Engine;

/// Limits that stop runaway scripts. Each limit that is hit ends the call
/// with a [`ScriptError`](crate::ScriptError); the app goes on.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptLimits {
    /// Operations one call may run: an endless loop ends here.
    pub max_operations: u64,
    /// Depth of nested function calls.
    pub max_call_levels: usize,
    /// Nesting depth of expressions at the top level.
    pub max_expr_depth: usize,
    /// Nesting depth of expressions inside functions.
    pub max_function_expr_depth: usize,
    /// Length of a string, in bytes.
    pub max_string_size: usize,
    /// Length of an array.
    pub max_array_size: usize,
    /// Number of entries in an object map.
    pub max_map_size: usize,
}

impl Default for ScriptLimits {
    /// About 50 ms of work per call in a release build; Rhai's own defaults
    /// differ between debug and release builds, these do not.
    fn default() -> Self {
        Self {
            max_operations: 1_000_000,
            max_call_levels: 48,
            max_expr_depth: 64,
            max_function_expr_depth: 64,
            max_string_size: 1 << 20,
            max_array_size: 100_000,
            max_map_size: 100_000,
        }
    }
}

impl ScriptLimits {
    pub(crate) fn apply(&self, engine: &mut Engine) {
        engine
            .set_max_operations(self.max_operations)
            .set_max_call_levels(self.max_call_levels)
            .set_max_expr_depths(self.max_expr_depth, self.max_function_expr_depth)
            .set_max_string_size(self.max_string_size)
            .set_max_array_size(self.max_array_size)
            .set_max_map_size(self.max_map_size);
    }
}
