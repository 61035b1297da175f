//! Time for scripts: the frame's delta and the time since startup, from
//! Bevy's `Time` (the fixed step when scripts run in `FixedUpdate`).

use bevy::prelude::*;
use rhai::Engine;

use crate::engine::read_world;

pub(super) fn register(engine: &mut Engine) {
    engine
        .register_fn("elapsed_secs", || {
            read_world(|world, _| world.resource::<Time>().elapsed_secs_f64())
        })
        .register_fn("delta_secs", || {
            read_world(|world, _| world.resource::<Time>().delta_secs_f64())
        });
}
