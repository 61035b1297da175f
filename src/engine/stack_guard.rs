//! Stops deep recursion before it overflows the native stack of the thread
//! a script runs on.
//!
//! Rhai counts call levels, not bytes. A release build takes a few KiB of
//! native stack per level, so [`ScriptLimits::max_call_levels`] fits any
//! thread; a debug build takes tens of KiB (more for calls inside loops,
//! blocks and method calls), so 48 levels overflow a 2 MiB thread (a test
//! thread, a task pool thread) and abort the process. In debug builds the
//! engine checks, between operations, how much stack the outermost script
//! call has used, and ends the call with a limit error past the thread's
//! budget.
//!
//! [`ScriptLimits::max_call_levels`]: crate::ScriptLimits::max_call_levels

use std::cell::Cell;

/// The name of the threads scripts compile on, whose stack is sized for the
/// call-depth limit (see `asset::on_own_thread`).
pub(crate) const COMPILE_THREAD: &str = "rhai script compile";

/// Stack a script call may use on the main thread (8 MiB on the platforms
/// Bevy runs on).
const MAIN_THREAD_BUDGET: usize = 6 << 20;
/// Stack a script call may use on any other thread: Rust starts threads
/// with 2 MiB, and this leaves 256 KiB for the frames below the outermost
/// call (a test, Bevy's schedule) and one call level's overshoot. The
/// plugin's own tests recurse 40 plain levels in it.
const OTHER_THREAD_BUDGET: usize = 7 << 18;

thread_local! {
    /// The stack address where the outermost script call on this thread
    /// began, and how far below it calls may go; zero outside calls.
    static ENTRY: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// Marks the start of a script call on this thread, if it is the outermost
/// one; the mark goes when the returned value is dropped.
#[must_use]
pub(crate) fn enter() -> Entered {
    if !cfg!(debug_assertions) || ENTRY.get().0 != 0 {
        return Entered(false);
    }
    let budget = match std::thread::current().name() {
        Some("main") => MAIN_THREAD_BUDGET,
        Some(COMPILE_THREAD) => usize::MAX,
        _ => OTHER_THREAD_BUDGET,
    };
    ENTRY.set((stack_address(), budget));
    Entered(true)
}

/// Whether the script call running on this thread has used more stack than
/// the thread's budget.
pub(crate) fn exhausted() -> bool {
    let (entry, budget) = ENTRY.get();
    // Stacks grow downwards on every platform Bevy runs on.
    entry != 0 && entry.saturating_sub(stack_address()) > budget
}

/// Clears the mark of the outermost script call it was made by.
pub(crate) struct Entered(bool);

impl Drop for Entered {
    fn drop(&mut self) {
        if self.0 {
            ENTRY.set((0, 0));
        }
    }
}

/// An address in the current stack frame.
#[inline(never)]
fn stack_address() -> usize {
    let marker = 0_u8;
    std::ptr::from_ref(std::hint::black_box(&marker)).addr()
}
