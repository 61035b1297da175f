//! Hot reload in the terminal.
//!
//! Three entities take their behaviour from `assets/scripts/patrol.rhai` and
//! `assets/scripts/spinner.rhai` and print what they do once a second (a
//! script timer). One patrol walks at half pace (a per-instance property),
//! and the spinner hears each patrol turn around (an event between scripts).
//!
//! ```sh
//! cargo run --example hot_reload
//! ```
//!
//! Then, while it runs:
//! - edit `assets/scripts/patrol.rhai`, set `SPEED` to `10.0` and save: the
//!   patrols speed up at once and keep their positions and directions;
//! - delete a closing brace and save: an error names the file, line and
//!   column, and the patrols go on as before;
//! - put the brace back: the fixed version goes live;
//! - edit the module both scripts import, `assets/lib/report.rhai`: set
//!   `PLACES` to `3` and save, and both report with three decimals, their
//!   entities keeping their state.
//!
//! Set `HOT_RELOAD_EXIT_AFTER=<seconds>` to stop it by itself.

use std::time::Duration;

use bevy::app::ScheduleRunnerPlugin;
use bevy::log::LogPlugin;
use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;

fn main() {
    let mut app = App::new();
    app.add_plugins((
        // Before AssetPlugin: saves go live in about 20 ms, not 300 ms.
        FastScriptReload::default(),
        MinimalPlugins.set(ScheduleRunnerPlugin::run_loop(Duration::from_secs_f64(
            1.0 / 60.0,
        ))),
        LogPlugin::default(),
        AssetPlugin::default(),
        RhaiPlugin::default(),
    ))
    .add_systems(Startup, spawn_entities);
    if let Some(seconds) = std::env::var("HOT_RELOAD_EXIT_AFTER")
        .ok()
        .and_then(|value| value.parse::<f64>().ok())
    {
        app.add_systems(Update, exit_after(seconds));
    }
    app.run();
}

fn spawn_entities(mut commands: Commands, assets: Res<AssetServer>) {
    let patrol = assets.load("scripts/patrol.rhai");
    let spinner = assets.load("scripts/spinner.rhai");
    commands.spawn((
        Script::new(patrol.clone()),
        Transform::from_xyz(-2.0, 0.0, 0.0),
    ));
    // The same script at half pace: a per-instance property.
    commands.spawn((
        Script::new(patrol).with_prop("pace", 0.5),
        Transform::from_xyz(3.0, 1.0, 0.0),
    ));
    commands.spawn((Script::new(spinner), Transform::default()));
    info!(
        "edit assets/scripts/patrol.rhai, spinner.rhai or assets/lib/report.rhai and save to see it change"
    );
}

fn exit_after(seconds: f64) -> impl FnMut(Res<Time>, MessageWriter<AppExit>) {
    move |time, mut exit| {
        if time.elapsed_secs_f64() >= seconds {
            exit.write(AppExit::Success);
        }
    }
}
