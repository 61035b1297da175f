//! Limits that stop runaway scripts.

use core::time::Duration;

use bevy::prelude::Resource;
use rhai::Engine;

use crate::script::STACK_EXHAUSTED;

/// Limits that stop runaway scripts. Each limit that is hit ends the call
/// with a [`ScriptError`](crate::ScriptError); the app goes on. A handler
/// that hits one of Rhai's limits (operations, call depth, sizes) is
/// suspended: it is not called again, on any entity, until its script is
/// saved again (or [`CompiledScript::resume_handlers`](crate::CompiledScript::resume_handlers)).
///
/// The plugin keeps the limits it was given as a resource.
#[derive(Resource, Clone, Debug, PartialEq)]
pub struct ScriptLimits {
    /// Operations one call may run: an endless loop ends here.
    pub max_operations: u64,
    /// Depth of nested function calls. In debug builds a call also ends
    /// when it nears the end of its thread's native stack, which may come
    /// first: a debug build takes ten times the stack per level.
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
    /// Entities all scripts together may spawn in one run of the plugin's
    /// schedule (one frame in `Update`); further spawns are errors.
    pub max_spawns_per_frame: usize,
    /// Entities spawned by scripts that may be alive at once; further
    /// spawns are errors until some are despawned.
    pub max_spawned_entities: usize,
    /// Time all `on_update` calls (and the timers they fire) together may
    /// take in one frame. Past it, the remaining entities skip `on_update`
    /// for that frame (and lose its `dt`), go first in the next one, and a
    /// warning says so; a slow script cannot starve the frame.
    pub max_update_time: Duration,
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
            max_spawns_per_frame: 1_000,
            max_spawned_entities: 100_000,
            max_update_time: Duration::from_millis(250),
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
        if cfg!(debug_assertions) {
            engine.on_progress(|_| super::stack_guard::exhausted().then(|| STACK_EXHAUSTED.into()));
        }
    }
}
