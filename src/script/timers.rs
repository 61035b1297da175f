//! Timers that call a script function by name: `after(2.0, "explode")`,
//! `every(0.5, "shoot")`. They are plain data kept with an entity's state,
//! so they survive reloads (the function is looked up by name when the
//! timer fires, so the new code runs) and save games.

use rhai::Dynamic;
use serde::{Deserialize, Serialize};

/// How many times a repeating timer may fire in one frame; occurrences
/// past that in a long frame are skipped, not queued.
pub const MAX_FIRES_PER_FRAME: u32 = 4;

/// How many timers one script on one entity may have at once.
pub const MAX_TIMERS: usize = 1_000;

/// The timers of one script on one entity.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Timers {
    next_id: i64,
    list: Vec<ScriptTimer>,
}

/// One timer: what to call, when, and how often.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ScriptTimer {
    pub(crate) id: i64,
    pub(crate) function: String,
    /// Seconds until it fires next.
    left: f64,
    /// The interval of a repeating timer.
    every: Option<f64>,
    #[serde(with = "super::saved::saved_value")]
    pub(crate) payload: Dynamic,
}

/// A timer that came due this frame.
#[derive(Debug, Clone)]
pub(crate) struct Due {
    pub(crate) id: i64,
    pub(crate) function: String,
    pub(crate) payload: Dynamic,
    pub(crate) repeating: bool,
}

impl Timers {
    /// Maps the entities in the timers' payloads (see `ScriptState`'s
    /// `MapEntities`).
    pub(crate) fn map_entities(&mut self, mapper: &mut impl bevy::ecs::entity::EntityMapper) {
        for timer in &mut self.list {
            super::saved::map_entities_in(&mut timer.payload, mapper);
        }
    }

    /// The payloads of the timers.
    pub(crate) fn payloads(&self) -> impl Iterator<Item = &Dynamic> {
        self.list.iter().map(|timer| &timer.payload)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Adds a timer; returns its handle.
    pub(crate) fn add(
        &mut self,
        secs: f64,
        every: bool,
        function: &str,
        payload: Dynamic,
    ) -> Result<i64, String> {
        if !secs.is_finite() || secs < 0.0 || (every && secs <= 0.0) {
            let need = if every {
                "a positive"
            } else {
                "a non-negative"
            };
            return Err(format!("{need} number of seconds is needed, found {secs}"));
        }
        if self.list.len() >= MAX_TIMERS {
            return Err(format!(
                "this script already has {MAX_TIMERS} timers on this entity; cancel some first"
            ));
        }
        self.next_id += 1;
        self.list.push(ScriptTimer {
            id: self.next_id,
            function: function.to_owned(),
            left: secs,
            every: every.then_some(secs),
            payload,
        });
        Ok(self.next_id)
    }

    /// Stops timer `id`; whether it was running.
    pub(crate) fn cancel(&mut self, id: i64) -> bool {
        let before = self.list.len();
        self.list.retain(|timer| timer.id != id);
        self.list.len() != before
    }

    pub(crate) fn contains(&self, id: i64) -> bool {
        self.list.iter().any(|timer| timer.id == id)
    }

    /// Moves time on by `dt` seconds and returns what comes due, earliest
    /// first (ties in the order the timers were made). One-shot timers stay
    /// in the list until [`Timers::finish`]; repeating ones are re-armed.
    pub(crate) fn advance(&mut self, dt: f64) -> Vec<Due> {
        let mut due: Vec<(f64, Due)> = Vec::new();
        for timer in &mut self.list {
            timer.left -= dt;
            if timer.left > 0.0 {
                continue;
            }
            let mut at = timer.left;
            match timer.every {
                None => due.push((at, due_of(timer, false))),
                Some(interval) => {
                    let mut fired = 0;
                    while timer.left <= 0.0 {
                        if fired < MAX_FIRES_PER_FRAME {
                            due.push((at, due_of(timer, true)));
                            fired += 1;
                        }
                        timer.left += interval;
                        at += interval;
                    }
                }
            }
        }
        due.sort_by(|(a, x), (b, y)| a.total_cmp(b).then(x.id.cmp(&y.id)));
        due.into_iter().map(|(_, due)| due).collect()
    }

    /// Removes a one-shot timer once it has fired.
    pub(crate) fn finish(&mut self, due: &Due) {
        if !due.repeating {
            self.cancel(due.id);
        }
    }
}

fn due_of(timer: &ScriptTimer, repeating: bool) -> Due {
    Due {
        id: timer.id,
        function: timer.function.clone(),
        payload: timer.payload.clone(),
        repeating,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_shot_and_repeating_timers_come_due_in_order() {
        let mut timers = Timers::default();
        let late = timers.add(0.3, false, "late", Dynamic::UNIT).unwrap();
        let tick = timers.add(0.1, true, "tick", Dynamic::UNIT).unwrap();
        let due = timers.advance(0.35);
        let order: Vec<&str> = due.iter().map(|due| due.function.as_str()).collect();
        // Ticks at 0.1 and 0.2, then at 0.3 both: the older timer first.
        assert_eq!(order, ["tick", "tick", "late", "tick"]);
        for due in &due {
            timers.finish(due);
        }
        assert!(!timers.contains(late));
        assert!(timers.contains(tick));
        assert!(timers.cancel(tick));
        assert!(timers.is_empty());
    }

    #[test]
    fn a_long_frame_fires_a_repeating_timer_a_bounded_number_of_times() {
        let mut timers = Timers::default();
        timers.add(0.01, true, "tick", Dynamic::UNIT).unwrap();
        assert_eq!(timers.advance(10.0).len(), MAX_FIRES_PER_FRAME as usize);
        // The skipped occurrences are gone: the next frame is normal.
        assert_eq!(timers.advance(0.01).len(), 1);
    }

    #[test]
    fn bad_intervals_are_refused() {
        let mut timers = Timers::default();
        assert!(timers.add(f64::NAN, false, "f", Dynamic::UNIT).is_err());
        assert!(timers.add(-1.0, false, "f", Dynamic::UNIT).is_err());
        assert!(timers.add(0.0, true, "f", Dynamic::UNIT).is_err());
        assert!(timers.add(0.0, false, "f", Dynamic::UNIT).is_ok());
    }
}
