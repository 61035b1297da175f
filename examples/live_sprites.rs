//! Sprites whose movement and colour come from Rhai scripts, edited live.
//!
//! ```sh
//! cargo run --example live_sprites --features window
//! ```
//!
//! While it runs, edit `assets/scripts/orbit.rhai`, `bounce.rhai` or
//! `beacon.rhai` and save: the sprites change on the next frames and keep
//! their positions. Press space or click to send a `pulse` event to every
//! script. The line at the top shows the last reload or error.
//!
//! Check mode, used by CI under Xvfb: `LIVE_SPRITES_CHECK=<folder>` runs the
//! example on a copy of the scripts, takes a screenshot, edits the beacon's
//! colour, takes another, checks that the beacon's pixels changed from red
//! to blue, writes both PNGs to the folder and exits (non-zero on failure).

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured, save_to_disk};
use bevy::window::WindowResolution;
use bevy_rhai_hot::ScriptErrorOverlay;
use bevy_rhai_hot::prelude::*;

const WIDTH: u32 = 640;
const HEIGHT: u32 = 360;

fn main() -> AppExit {
    let check = std::env::var_os("LIVE_SPRITES_CHECK").map(PathBuf::from);
    // The check edits a copy of the scripts, never the ones in the repository.
    let asset_folder = match &check {
        Some(output) => copy_scripts(output),
        None => AssetPlugin::default().file_path,
    };

    let mut app = App::new();
    app.add_plugins((
        FastScriptReload {
            file_path: asset_folder.clone(),
            ..default()
        },
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: "bevy_rhai_hot: live sprites".into(),
                    resolution: WindowResolution::new(WIDTH, HEIGHT),
                    ..default()
                }),
                ..default()
            })
            .set(AssetPlugin {
                file_path: asset_folder,
                watch_for_changes_override: Some(true),
                ..default()
            }),
        RhaiPlugin::default(),
    ))
    .insert_resource(ClearColor(Color::srgb(0.08, 0.08, 0.1)))
    // Scripts colour their sprite through reflection:
    // `entity().Sprite.color = rgb(r, g, b)`.
    .register_type::<Sprite>()
    // A broken save shows on screen until it is fixed.
    .add_plugins(ScriptErrorOverlay::default())
    .add_systems(Startup, spawn_scene)
    .add_systems(Update, (send_pulse, show_last_reload));
    if let Some(output) = check {
        app.insert_resource(Check::new(output))
            .add_systems(Last, run_check);
    }
    app.run()
}

#[derive(Component)]
struct StatusLine;

/// The square in the middle, run by `beacon.rhai`.
#[derive(Component)]
struct Beacon;

fn spawn_scene(mut commands: Commands, assets: Res<AssetServer>) {
    commands.spawn(Camera2d);
    let orbit = assets.load("scripts/orbit.rhai");
    let bounce = assets.load("scripts/bounce.rhai");
    let beacon = assets.load("scripts/beacon.rhai");
    let square = |size: f32| Sprite::from_color(Color::WHITE, Vec2::splat(size));

    commands.spawn((
        Beacon,
        Script::new(beacon),
        square(80.0),
        Transform::from_xyz(0.0, 0.0, 0.0),
    ));
    for (index, radius) in [110.0, 150.0, 150.0].into_iter().enumerate() {
        let angle = index as f32 * 2.1;
        commands.spawn((
            Script::new(orbit.clone()),
            square(24.0),
            Transform::from_xyz(radius * angle.cos(), radius * angle.sin(), 1.0),
        ));
    }
    for (x, y) in [(-250.0, 60.0), (230.0, -90.0), (-120.0, -130.0)] {
        commands.spawn((
            Script::new(bounce.clone()),
            square(18.0),
            Transform::from_xyz(x, y, 2.0),
        ));
    }
    commands.spawn((
        StatusLine,
        Text2d::new("edit assets/scripts/*.rhai and save; space or click: pulse"),
        TextFont::from_font_size(14.0),
        Transform::from_xyz(0.0, HEIGHT as f32 / 2.0 - 16.0, 3.0),
    ));
}

/// Space or a click sends the ad-hoc event `pulse` to every script.
fn send_pulse(
    keys: Res<ButtonInput<KeyCode>>,
    mouse: Res<ButtonInput<MouseButton>>,
    mut events: MessageWriter<ScriptEvent>,
) {
    if keys.just_pressed(KeyCode::Space) || mouse.just_pressed(MouseButton::Left) {
        events.write(ScriptEvent::broadcast("pulse"));
    }
}

/// Shows the last reload or script error on screen.
fn show_last_reload(
    mut reloads: MessageReader<ScriptReloaded>,
    mut errors: MessageReader<ScriptError>,
    mut status: Single<&mut Text2d, With<StatusLine>>,
) {
    let latest = reloads
        .read()
        .map(ToString::to_string)
        .chain(errors.read().map(|error| format!("error: {error}")))
        .last();
    if let Some(line) = latest {
        status.0 = line;
    }
}

/// Copies `assets/scripts` into `<output>/assets/scripts` and returns the
/// new asset folder.
fn copy_scripts(output: &Path) -> String {
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scripts");
    let copy = output.join("assets/scripts");
    std::fs::create_dir_all(&copy).expect("create the check's asset folder");
    for entry in std::fs::read_dir(&scripts).expect("read assets/scripts") {
        let path = entry.expect("list assets/scripts").path();
        // Folders hold other examples' scripts (`arena/`).
        if path.is_file() {
            std::fs::copy(&path, copy.join(path.file_name().unwrap())).expect("copy a script");
        }
    }
    output
        .join("assets")
        .canonicalize()
        .expect("the check's asset folder")
        .to_string_lossy()
        .into_owned()
}

/// The check's progress, counted in frames.
#[derive(Resource)]
struct Check {
    output: PathBuf,
    step: CheckStep,
    frames: u32,
    frames_in_step: u32,
    /// The beacon's colour in each screenshot.
    before: Option<LinearRgba>,
    after: Option<LinearRgba>,
    /// Overlay-coloured pixels with a broken script, and once it is fixed.
    overlay_broken: Option<u32>,
    overlay_fixed: Option<u32>,
    /// The beacon's rotation when the broken save was written.
    rotation_at_break: Option<Quat>,
    /// The text the beacon had before the check broke it.
    good_source: String,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum CheckStep {
    WaitForScripts,
    ShotBefore,
    WaitForReload,
    ShotAfter,
    /// A broken save: waits for the error, then shoots the overlay.
    ShotBroken,
    /// The fix: waits for the recovery, then shoots the overlay gone.
    ShotFixed,
    Done,
}

/// Frames to let the picture settle before a screenshot.
const SETTLE_FRAMES: u32 = 10;
/// The whole check gives up after this many frames.
const MAX_FRAMES: u32 = 3_000;

impl Check {
    fn new(output: PathBuf) -> Self {
        Self {
            output,
            step: CheckStep::WaitForScripts,
            frames: 0,
            frames_in_step: 0,
            before: None,
            after: None,
            overlay_broken: None,
            overlay_fixed: None,
            rotation_at_break: None,
            good_source: String::new(),
        }
    }

    fn go(&mut self, step: CheckStep) {
        info!("check: {step:?}");
        self.step = step;
        self.frames_in_step = 0;
    }
}

fn run_check(
    mut commands: Commands,
    mut check: ResMut<Check>,
    states: Query<&ScriptState>,
    errors: Res<CurrentScriptErrors>,
    beacon: Query<&Transform, (With<Sprite>, Without<StatusLine>, With<Beacon>)>,
    mut reloads: MessageReader<ScriptReloaded>,
    mut exit: MessageWriter<AppExit>,
) {
    check.frames += 1;
    check.frames_in_step += 1;
    if check.frames > MAX_FRAMES {
        error!(
            "check failed: still at {:?} after {MAX_FRAMES} frames",
            check.step
        );
        exit.write(AppExit::error());
        return;
    }
    let reloaded = reloads.read().any(|reload| {
        reload.path.ends_with("beacon.rhai") && !matches!(reload.kind, ReloadKind::Failed(_))
    });
    match check.step {
        CheckStep::WaitForScripts => {
            let ready = !states.is_empty() && states.iter().all(ScriptState::is_ready);
            if ready && check.frames_in_step > SETTLE_FRAMES {
                take_screenshot(&mut commands, &check.output, "before", true);
                check.go(CheckStep::ShotBefore);
            } else if !ready {
                check.frames_in_step = 0;
            }
        }
        CheckStep::ShotBefore => {
            if check.before.is_some() {
                let beacon = check.output.join("assets/scripts/beacon.rhai");
                let source = std::fs::read_to_string(&beacon).expect("read the beacon script");
                let edited = source.replace("const COLOR = RED;", "const COLOR = BLUE;");
                assert_ne!(source, edited, "beacon.rhai has no `const COLOR = RED;`");
                std::fs::write(&beacon, edited).expect("edit the beacon script");
                check.go(CheckStep::WaitForReload);
            }
        }
        CheckStep::WaitForReload => {
            if reloaded {
                check.frames_in_step = 0;
                check.go(CheckStep::ShotAfter);
            }
        }
        CheckStep::ShotAfter => {
            if check.frames_in_step == SETTLE_FRAMES {
                take_screenshot(&mut commands, &check.output, "after", false);
            }
            if let (Some(before), Some(after)) = (check.before, check.after) {
                let red_then_blue = before.red > 2.0 * before.blue && after.blue > 2.0 * after.red;
                if red_then_blue {
                    info!("check: the beacon went from {before:?} to {after:?}");
                    // Break the script: the overlay must show it.
                    let beacon = check.output.join("assets/scripts/beacon.rhai");
                    let source = std::fs::read_to_string(&beacon).expect("read the beacon script");
                    let broken = source.replacen("fn on_pulse() {", "fn on_pulse() {{", 1);
                    std::fs::write(&beacon, broken).expect("break the beacon script");
                    check.good_source = source;
                    check.go(CheckStep::ShotBroken);
                } else {
                    error!(
                        "check failed: the beacon should go from red to blue, \
                         but was {before:?} then {after:?}"
                    );
                    exit.write(AppExit::error());
                    check.go(CheckStep::Done);
                }
            }
        }
        CheckStep::ShotBroken => {
            let beacon_rotation = beacon.iter().next().map(|t| t.rotation);
            if errors.is_empty() {
                check.frames_in_step = 0;
            } else if check.frames_in_step == 1 {
                check.rotation_at_break = beacon_rotation;
            } else if check.frames_in_step == SETTLE_FRAMES {
                take_overlay_screenshot(&mut commands, &check.output, "broken", true);
            }
            if let Some(pixels) = check.overlay_broken {
                let still_running = beacon_rotation != check.rotation_at_break;
                if pixels < 2_000 || errors.len() != 1 || !still_running {
                    error!(
                        "check failed: with a broken save the overlay should show one error \
                         while the last good version runs on: {pixels} overlay pixels, \
                         {} current errors, beacon turning: {still_running}",
                        errors.len()
                    );
                    exit.write(AppExit::error());
                    check.go(CheckStep::Done);
                    return;
                }
                info!("check: the overlay shows the error ({pixels} pixels); the beacon runs on");
                let beacon = check.output.join("assets/scripts/beacon.rhai");
                std::fs::write(&beacon, &check.good_source).expect("fix the beacon script");
                check.go(CheckStep::ShotFixed);
            }
        }
        CheckStep::ShotFixed => {
            if !errors.is_empty() {
                check.frames_in_step = 0;
            } else if check.frames_in_step == SETTLE_FRAMES {
                take_overlay_screenshot(&mut commands, &check.output, "fixed", false);
            }
            if let Some(pixels) = check.overlay_fixed {
                if pixels > 50 {
                    error!("check failed: the overlay should be gone once fixed: {pixels} pixels");
                    exit.write(AppExit::error());
                } else {
                    info!(
                        "check passed: the beacon went from red to blue, a broken save showed \
                         on screen and went away when fixed"
                    );
                    exit.write(AppExit::Success);
                }
                check.go(CheckStep::Done);
            }
        }
        CheckStep::Done => {}
    }
}

/// Saves a screenshot as `<output>/<name>.png` and counts the overlay's
/// pixels in it.
fn take_overlay_screenshot(commands: &mut Commands, output: &Path, name: &str, broken: bool) {
    commands
        .spawn(Screenshot::primary_window())
        .observe(save_to_disk(output.join(format!("{name}.png"))))
        .observe(
            move |captured: On<ScreenshotCaptured>, mut check: ResMut<Check>| {
                let pixels = overlay_pixels(&captured.image);
                if broken {
                    check.overlay_broken = Some(pixels);
                } else {
                    check.overlay_fixed = Some(pixels);
                }
            },
        );
}

/// Pixels of the overlay's dark red panel: darker than the beacon's red,
/// redder than the background.
fn overlay_pixels(image: &Image) -> u32 {
    let mut count = 0;
    for y in 0..image.height() {
        for x in 0..image.width() {
            if let Ok(color) = image.get_color_at(x, y) {
                let [r, g, b, _] = color.to_srgba().to_f32_array();
                if (0.3..0.5).contains(&r) && g < 0.1 && b < 0.14 {
                    count += 1;
                }
            }
        }
    }
    count
}

/// Saves a screenshot as `<output>/<name>.png` and records the beacon's
/// colour in it.
fn take_screenshot(commands: &mut Commands, output: &Path, name: &str, before: bool) {
    commands
        .spawn(Screenshot::primary_window())
        .observe(save_to_disk(output.join(format!("{name}.png"))))
        .observe(
            move |captured: On<ScreenshotCaptured>, mut check: ResMut<Check>| {
                let Some(color) = beacon_color(&captured.image) else {
                    error!("check: could not read the screenshot's pixels");
                    return;
                };
                if before {
                    check.before = Some(color);
                } else {
                    check.after = Some(color);
                }
            },
        );
}

/// The beacon's colour: the median, channel by channel, of a 3 by 3 grid of
/// pixels 12 apart around the window's centre, so that a small sprite
/// passing over the beacon cannot change it.
fn beacon_color(image: &Image) -> Option<LinearRgba> {
    let (x, y) = (image.width() / 2, image.height() / 2);
    let mut samples = Vec::new();
    for dx in [-12, 0, 12] {
        for dy in [-12, 0, 12] {
            let pixel = image.get_color_at(x.checked_add_signed(dx)?, y.checked_add_signed(dy)?);
            samples.push(pixel.ok()?.to_linear());
        }
    }
    let median = |channel: fn(&LinearRgba) -> f32| {
        let mut values: Vec<f32> = samples.iter().map(channel).collect();
        values.sort_by(f32::total_cmp);
        values[values.len() / 2]
    };
    Some(LinearRgba::new(
        median(|c| c.red),
        median(|c| c.green),
        median(|c| c.blue),
        1.0,
    ))
}
