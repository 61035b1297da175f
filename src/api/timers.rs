//! Timers for scripts: `after(secs, "name")` calls `name()` once, `every(secs,
//! "name")` repeatedly, both optionally with a payload; `cancel(h)` stops one.

use rhai::{Dynamic, Engine, FLOAT, INT};

use super::ScriptResult;
use crate::engine::with_script_timers;

pub(super) fn register(engine: &mut Engine) {
    engine
        .register_fn("after", |secs: Dynamic, function: &str| {
            add(&secs, false, function, Dynamic::UNIT)
        })
        .register_fn(
            "after",
            |secs: Dynamic, function: &str, payload: Dynamic| add(&secs, false, function, payload),
        )
        .register_fn("every", |secs: Dynamic, function: &str| {
            add(&secs, true, function, Dynamic::UNIT)
        })
        .register_fn(
            "every",
            |secs: Dynamic, function: &str, payload: Dynamic| add(&secs, true, function, payload),
        )
        .register_fn("cancel", |handle: INT| {
            with_script_timers(|timers| timers.cancel(handle))
        });
}

fn add(secs: &Dynamic, every: bool, function: &str, payload: Dynamic) -> ScriptResult<INT> {
    let secs: FLOAT = match (secs.as_float(), secs.as_int()) {
        (Ok(secs), _) => secs,
        (_, Ok(secs)) => secs as FLOAT,
        _ => return Err(format!("expected seconds, found {}", secs.type_name()).into()),
    };
    let name = if every { "every" } else { "after" };
    with_script_timers(|timers| timers.add(secs, every, function, payload))?
        .map_err(|error| format!("{name}({secs}, {function:?}): {error}").into())
}
