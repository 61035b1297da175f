//! A small top-down arena game whose behaviour lives entirely in scripts.
//!
//! ```sh
//! cargo run --example arena --features window
//! ```
//!
//! Arrows or WASD move, space shoots at the nearest enemy, R starts a new
//! game after a game over. The Rust side only opens the window, declares the
//! components and the `Game` resource, places the player, the spawner and
//! the score line, detects overlaps (a stand-in for a physics engine, which
//! sends `collide` to both scripts) and shakes the camera when a script
//! sends `shake`. Everything else is in
//! `assets/scripts/arena/`: moving, shooting, chasing, damage, dying, the
//! score, pickups, the rising spawn rate, game over and restart.
//!
//! While it runs, change a constant at the top of a script and save: the
//! enemies' `COLOR` or `SPEED` in `enemy.rhai`, the player's `SPEED` or
//! `FIRE_EVERY` in `player.rhai`, the spawner's pace in `spawner.rhai`. The
//! change shows at once, and every entity keeps its place and health.
//!
//! Check mode, used by CI under Xvfb: `ARENA_CHECK=<folder>` plays a fixed
//! game on a copy of the scripts (input messages pressed on set frames, a
//! fixed time step), pauses, takes a screenshot, turns the enemies blue
//! through the real file watcher, takes another, checks the pixels and that
//! the score, the health and every position were kept, plays on, ends the
//! game and restarts it with R, and exits (non-zero on failure). `ARENA_BENCH=<enemies>` starts with that many
//! enemies and an invulnerable player holding space, and prints the frame
//! time and the scripts' share of it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bevy::input::ButtonState;
use bevy::input::keyboard::{Key, KeyboardInput, NativeKey};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured, save_to_disk};
use bevy::time::TimeUpdateStrategy;
use bevy::window::WindowResolution;
use bevy_rhai_hot::prelude::*;
use bevy_rhai_hot::rhai::Dynamic;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 540;

/// The player's marker.
#[derive(Component, Reflect, Default)]
#[reflect(Component, Default)]
struct Player;

/// An enemy; `pace` scales the speed in `enemy.rhai`.
#[derive(Component, Reflect, Default)]
#[reflect(Component, Default)]
struct Enemy {
    pace: f32,
}

/// A bullet and the damage it does.
#[derive(Component, Reflect, Default)]
#[reflect(Component, Default)]
struct Bullet {
    damage: f32,
}

/// A healing pickup's marker.
#[derive(Component, Reflect, Default)]
#[reflect(Component, Default)]
struct Pickup;

#[derive(Component, Reflect, Default, Clone, Copy, PartialEq, Debug)]
#[reflect(Component, Default)]
struct Health {
    hp: f32,
    max: f32,
}

#[derive(Component, Reflect, Default)]
#[reflect(Component, Default)]
struct Velocity {
    linvel: Vec3,
}

/// A circle that overlaps others: colliders on different layers that
/// overlap get `collide` sent to their scripts, with the other entity.
#[derive(Component, Reflect, Default)]
#[reflect(Component, Default)]
struct Collider {
    radius: f32,
    layer: u32,
}

/// A camera shake that scripts ask Rust for:
/// `send("shake", #{ strength: 6.0 })`.
#[derive(Message, serde::Deserialize)]
struct Shake {
    strength: f32,
}

/// The game's score and whether it is over; written by the scripts.
#[derive(Resource, Reflect, Default, Clone, Copy, PartialEq, Debug)]
#[reflect(Resource, Default)]
struct Game {
    score: i64,
    best: i64,
    over: bool,
}

fn main() -> AppExit {
    let check = std::env::var_os("ARENA_CHECK").map(PathBuf::from);
    let bench = std::env::var("ARENA_BENCH")
        .ok()
        .map(|enemies| enemies.parse::<u32>().expect("ARENA_BENCH=<enemies>"));
    // The check edits a copy of the scripts, never the ones in the repository.
    // The bench's binary runs straight from the target folder, not through
    // `cargo run`, so it names the repository's assets itself.
    let asset_folder = match (&check, bench) {
        (Some(output), _) => copy_scripts(output),
        (None, Some(_)) => concat!(env!("CARGO_MANIFEST_DIR"), "/assets").to_owned(),
        (None, None) => AssetPlugin::default().file_path,
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
                    title: "bevy_rhai_hot: arena".into(),
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
    .insert_resource(ClearColor(Color::srgb(0.06, 0.06, 0.09)))
    .init_resource::<Game>()
    .register_type::<(Player, Enemy, Bullet, Pickup, Health, Velocity, Collider)>()
    .register_type::<(Game, Sprite, Text2d)>()
    .add_systems(Startup, set_up_arena(bench.unwrap_or(0)))
    .add_message_from_script::<Shake>("shake")
    .add_systems(Update, send_collisions.before(RhaiSystems::Events))
    .add_systems(PostUpdate, shake_camera);
    if let Some(output) = check {
        // The same game every run: a fixed step, whatever the frame rate.
        app.insert_resource(TimeUpdateStrategy::ManualDuration(STEP))
            .insert_resource(Check::new(output))
            .add_systems(PreUpdate, press_keys.before(bevy::input::InputSystems))
            .add_systems(Last, run_check);
    }
    if let Some(enemies) = bench {
        app.insert_resource(Bench::new(enemies))
            .add_systems(PreUpdate, hold_space.before(bevy::input::InputSystems))
            .add_systems(Update, start_script_clock.before(RhaiSystems::Reload))
            .add_systems(Update, stop_script_clock.after(RhaiSystems::Update))
            .add_systems(Last, report_bench);
    }
    app.run()
}

/// The camera, the floor, the player, the spawner and the score line.
/// `burst` enemies appear at once (for the bench).
fn set_up_arena(burst: u32) -> impl Fn(Commands, Res<AssetServer>) {
    move |mut commands: Commands, assets: Res<AssetServer>| {
        commands.spawn(Camera2d);
        commands.spawn((
            Sprite::from_color(Color::srgb(0.1, 0.1, 0.14), Vec2::new(940.0, 500.0)),
            Transform::from_xyz(0.0, 0.0, -1.0),
        ));
        commands.spawn((
            Player,
            Health {
                hp: 100.0,
                max: 100.0,
            },
            Collider {
                radius: 12.0,
                layer: 0,
            },
            Sprite::from_color(Color::WHITE, Vec2::splat(24.0)),
            Transform::from_xyz(0.0, 0.0, 3.0),
            Script::new(assets.load("scripts/arena/player.rhai"))
                .with_prop("invulnerable", burst > 0),
        ));
        commands.spawn((
            Name::new("spawner"),
            Script::new(assets.load("scripts/arena/spawner.rhai"))
                .with_prop("burst", i64::from(burst)),
        ));
        commands.spawn((
            Text2d::new(""),
            TextFont::from_font_size(18.0),
            Transform::from_xyz(0.0, HEIGHT as f32 / 2.0 - 12.0, 5.0),
            Script::new(assets.load("scripts/arena/hud.rhai")),
        ));
    }
}

/// Sends `collide` to both scripts of every overlapping pair of colliders
/// on different layers, before the scripts' events run.
fn send_collisions(
    colliders: Query<(Entity, &Transform, &Collider)>,
    mut events: MessageWriter<ScriptEvent>,
) {
    let all: Vec<_> = colliders.iter().collect();
    for (index, (a, a_at, a_collider)) in all.iter().enumerate() {
        for (b, b_at, b_collider) in &all[index + 1..] {
            let reach = a_collider.radius + b_collider.radius;
            if a_collider.layer != b_collider.layer
                && a_at
                    .translation
                    .truncate()
                    .distance_squared(b_at.translation.truncate())
                    < reach * reach
            {
                events.write(ScriptEvent::to(*a, "collide").with_payload(Dynamic::from(*b)));
                events.write(ScriptEvent::to(*b, "collide").with_payload(Dynamic::from(*a)));
            }
        }
    }
}

/// Shakes the camera after a `shake` from a script, fading out.
fn shake_camera(
    mut shakes: MessageReader<Shake>,
    mut camera: Single<&mut Transform, With<Camera2d>>,
    time: Res<Time>,
    mut strength: Local<f32>,
) {
    for shake in shakes.read() {
        *strength = strength.max(shake.strength);
    }
    let t = time.elapsed_secs();
    camera.translation.x = (t * 83.0).sin() * *strength;
    camera.translation.y = (t * 67.0).cos() * *strength;
    *strength = (*strength - time.delta_secs() * 40.0).max(0.0);
}

/// Copies `assets/scripts/arena` into `<output>/assets/scripts/arena` and
/// returns the new asset folder.
fn copy_scripts(output: &Path) -> String {
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scripts/arena");
    let copy = output.join("assets/scripts/arena");
    std::fs::create_dir_all(&copy).expect("create the check's asset folder");
    for entry in std::fs::read_dir(&scripts).expect("read assets/scripts/arena") {
        let path = entry.expect("list assets/scripts/arena").path();
        std::fs::copy(&path, copy.join(path.file_name().unwrap())).expect("copy a script");
    }
    output
        .join("assets")
        .canonicalize()
        .expect("the check's asset folder")
        .to_string_lossy()
        .into_owned()
}

/// One frame of game time in check mode.
const STEP: Duration = Duration::from_nanos(1_000_000_000 / 60);

/// The check's input: (frame, key, pressed).
const KEY_SCRIPT: &[(u32, KeyCode, bool)] = &[
    (20, KeyCode::Space, true),
    (40, KeyCode::KeyA, true),
    (100, KeyCode::KeyA, false),
    (100, KeyCode::ArrowUp, true),
    (130, KeyCode::ArrowUp, false),
    (200, KeyCode::KeyD, true),
    (230, KeyCode::KeyD, false),
    // Enemies gather and reach the player.
    (300, KeyCode::Space, false),
];

/// Writes the check's key presses as the keyboard messages a window sends.
fn press_keys(mut check: ResMut<Check>, mut keys: MessageWriter<KeyboardInput>) {
    let frame = check.frames + 1;
    let mut press = |key_code, pressed| {
        keys.write(KeyboardInput {
            key_code,
            logical_key: Key::Unidentified(NativeKey::Unidentified),
            state: if pressed {
                ButtonState::Pressed
            } else {
                ButtonState::Released
            },
            text: None,
            repeat: false,
            window: Entity::PLACEHOLDER,
        });
    };
    for (at, key, pressed) in KEY_SCRIPT {
        if *at == frame {
            press(*key, *pressed);
        }
    }
    if std::mem::take(&mut check.press_restart) {
        press(KeyCode::KeyR, true);
    }
    if check.step == CheckStep::Play && check.release_keys {
        for key in [
            KeyCode::Space,
            KeyCode::KeyA,
            KeyCode::KeyD,
            KeyCode::ArrowUp,
        ] {
            press(key, false);
        }
    }
}

/// What must not change across the edit.
#[derive(Clone, Debug, PartialEq)]
struct Snapshot {
    game: Game,
    player_health: Health,
    /// Every enemy's health, position and script variable `age` (in
    /// microseconds), in entity order.
    enemies: Vec<(Entity, Health, IVec2, i64)>,
    player_at: IVec2,
}

/// The check's progress, counted in frames.
#[derive(Resource)]
struct Check {
    output: PathBuf,
    step: CheckStep,
    frames: u32,
    frames_in_step: u32,
    release_keys: bool,
    /// Press R once (in the next frame's input).
    press_restart: bool,
    before: Option<(Snapshot, Pixels)>,
    shots: [Option<Pixels>; 2],
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum CheckStep {
    /// Plays until the score and the number of enemies are high enough.
    Play,
    /// Paused: waits for the picture to settle, then takes the first shot.
    ShotBefore,
    /// The edit is saved; waits for `enemy.rhai` to reload.
    WaitForReload,
    ShotAfter,
    /// Unpaused: plays on to see that the game still runs.
    PlayOn,
    /// The player's health is set to zero; waits for the scripts' game over.
    GameOver,
    /// R is pressed; waits for the scripts' new game.
    Restart,
    Done,
}

/// Enemy-red and enemy-blue pixels in a screenshot.
#[derive(Clone, Copy, Debug, Default)]
struct Pixels {
    red: u32,
    blue: u32,
}

const SETTLE_FRAMES: u32 = 10;
const MAX_FRAMES: u32 = 4_000;
/// Play at least this long (game time), until this score, until this many
/// enemies are on the floor and the player was hit.
const PLAY_FRAMES: u32 = 420;
const PLAY_SCORE: i64 = 20;
const PLAY_ENEMIES: usize = 5;

impl Check {
    fn new(output: PathBuf) -> Self {
        Self {
            output,
            step: CheckStep::Play,
            frames: 0,
            frames_in_step: 0,
            release_keys: false,
            press_restart: false,
            before: None,
            shots: [None, None],
        }
    }

    fn go(&mut self, step: CheckStep) {
        info!("check: {step:?} at frame {}", self.frames);
        self.step = step;
        self.frames_in_step = 0;
    }
}

fn snapshot(world: &mut World) -> Snapshot {
    let game = *world.resource::<Game>();
    let mut player = world.query_filtered::<(&Health, &Transform), With<Player>>();
    let (player_health, player_at) = player.single(world).expect("one player");
    let (player_health, player_at) = (*player_health, player_at.translation.truncate().as_ivec2());
    let mut enemies =
        world.query_filtered::<(Entity, &Health, &Transform, &ScriptState), With<Enemy>>();
    let mut enemies: Vec<_> = enemies
        .iter(world)
        .map(|(entity, health, at, state)| {
            let age = state.get("age").and_then(|age| age.as_float().ok());
            let micros = age.map_or(-1, |age| (age * 1e6) as i64);
            (
                entity,
                *health,
                at.translation.truncate().as_ivec2(),
                micros,
            )
        })
        .collect();
    enemies.sort_by_key(|(entity, ..)| *entity);
    Snapshot {
        game,
        player_health,
        enemies,
        player_at,
    }
}

fn run_check(world: &mut World) {
    let mut reloads = world
        .resource_mut::<Messages<ScriptReloaded>>()
        .drain()
        .collect::<Vec<_>>();
    let errors: Vec<String> = world
        .resource_mut::<Messages<ScriptError>>()
        .drain()
        .map(|error| error.to_string())
        .collect();
    let reloaded = reloads.drain(..).any(|reload| {
        reload.path.ends_with("enemy.rhai") && !matches!(reload.kind, ReloadKind::Failed(_))
    });
    let mut check = world.resource_mut::<Check>();
    check.frames += 1;
    check.frames_in_step += 1;
    let fail = |world: &mut World, why: String| {
        error!("check failed: {why}");
        world.write_message(AppExit::error());
        world.resource_mut::<Check>().go(CheckStep::Done);
    };
    if let Some(error) = errors.first() {
        return fail(world, format!("a script failed: {error}"));
    }
    if check.frames > MAX_FRAMES {
        let why = format!("still at {:?} after {MAX_FRAMES} frames", check.step);
        return fail(world, why);
    }
    match check.step {
        CheckStep::Play => {
            let played = check.frames >= PLAY_FRAMES;
            let releasing = check.release_keys;
            let now = snapshot(world);
            if now.game.over {
                return fail(
                    world,
                    format!("the player died in the scripted game: {now:?}"),
                );
            }
            if releasing {
                // Keys were released last frame: pause with nothing held.
                world.resource_mut::<Time<Virtual>>().pause();
                world.resource_mut::<Check>().go(CheckStep::ShotBefore);
            } else if played
                && now.game.score >= PLAY_SCORE
                && now.enemies.len() >= PLAY_ENEMIES
                && now.player_health.hp < now.player_health.max
            {
                world.resource_mut::<Check>().release_keys = true;
            }
        }
        CheckStep::ShotBefore => {
            if check.frames_in_step == SETTLE_FRAMES {
                let output = check.output.clone();
                take_screenshot(world, &output, "before", 0);
            }
            if let Some(pixels) = world.resource::<Check>().shots[0] {
                let before = snapshot(world);
                info!(
                    "check: score {}, health {}, {} enemies, {pixels:?}",
                    before.game.score,
                    before.player_health.hp,
                    before.enemies.len()
                );
                let enemy = world
                    .resource::<Check>()
                    .output
                    .join("assets/scripts/arena/enemy.rhai");
                let source = std::fs::read_to_string(&enemy).expect("read enemy.rhai");
                let edited = source.replace(
                    "const COLOR = [0.95, 0.22, 0.28];",
                    "const COLOR = [0.2, 0.35, 1.0];",
                );
                if edited == source {
                    return fail(
                        world,
                        "enemy.rhai has no `const COLOR = [0.95, 0.22, 0.28];`".into(),
                    );
                }
                std::fs::write(&enemy, edited).expect("edit enemy.rhai");
                let mut check = world.resource_mut::<Check>();
                check.before = Some((before, pixels));
                check.go(CheckStep::WaitForReload);
            }
        }
        CheckStep::WaitForReload => {
            if reloaded {
                check.go(CheckStep::ShotAfter);
            }
        }
        CheckStep::ShotAfter => {
            if check.frames_in_step == SETTLE_FRAMES {
                let output = check.output.clone();
                take_screenshot(world, &output, "after", 1);
            }
            if let Some(after_pixels) = world.resource::<Check>().shots[1] {
                let after = snapshot(world);
                let (before, before_pixels) = world.resource::<Check>().before.clone().unwrap();
                if after != before {
                    return fail(
                        world,
                        format!("state changed across the edit:\n{before:?}\n{after:?}"),
                    );
                }
                let enough = (before.enemies.len() as u32 * 100).min(2_000);
                let turned_blue = before_pixels.red >= enough
                    && before_pixels.blue * 20 < before_pixels.red
                    && after_pixels.blue * 10 >= before_pixels.red * 8
                    && after_pixels.red * 20 < after_pixels.blue;
                if !turned_blue {
                    return fail(
                        world,
                        format!(
                            "the enemies should go from red to blue: {before_pixels:?} then {after_pixels:?}"
                        ),
                    );
                }
                info!(
                    "check: the enemies turned blue ({before_pixels:?} then {after_pixels:?}); \
                     score {}, health {} and {} enemies kept",
                    before.game.score,
                    before.player_health.hp,
                    before.enemies.len()
                );
                world.resource_mut::<Time<Virtual>>().unpause();
                world.resource_mut::<Check>().go(CheckStep::PlayOn);
            }
        }
        CheckStep::PlayOn => {
            if check.frames_in_step == 60 {
                let now = snapshot(world);
                let (before, _) = world.resource::<Check>().before.clone().unwrap();
                let moved = now.enemies.iter().any(|(entity, _, at, _)| {
                    before
                        .enemies
                        .iter()
                        .any(|(was, _, then, _)| was == entity && then != at)
                });
                if !moved || now.game.score < before.game.score {
                    return fail(
                        world,
                        format!("the game did not play on: {before:?} then {now:?}"),
                    );
                }
                // The player's health runs out: the scripts end the game.
                let mut players = world.query_filtered::<&mut Health, With<Player>>();
                players.single_mut(world).expect("one player").hp = 0.0;
                world.resource_mut::<Check>().go(CheckStep::GameOver);
            }
        }
        CheckStep::GameOver => {
            if world.resource::<Game>().over {
                world.resource_mut::<Check>().press_restart = true;
                world.resource_mut::<Check>().go(CheckStep::Restart);
            }
        }
        CheckStep::Restart => {
            let now = snapshot(world);
            let (before, _) = world.resource::<Check>().before.clone().unwrap();
            let restarted = !now.game.over
                && now.game.score == 0
                && now.game.best >= before.game.score
                && now.player_health.hp == now.player_health.max
                && now.player_at == IVec2::ZERO
                && now.enemies.len() <= 1;
            if restarted {
                info!(
                    "check passed: the edit went live with the game's state kept, play went on, \
                     and R started a new game after the game over"
                );
                world.write_message(AppExit::Success);
                world.resource_mut::<Check>().go(CheckStep::Done);
            } else if check_frames_in_step(world) > 120 {
                fail(world, format!("R did not start a new game: {now:?}"));
            }
        }
        CheckStep::Done => {}
    }
}

fn check_frames_in_step(world: &World) -> u32 {
    world.resource::<Check>().frames_in_step
}

/// Saves a screenshot as `<output>/<name>.png` and counts its enemy pixels
/// into `Check::shots[slot]`.
fn take_screenshot(world: &mut World, output: &Path, name: &str, slot: usize) {
    world
        .spawn(Screenshot::primary_window())
        .observe(save_to_disk(output.join(format!("{name}.png"))))
        .observe(
            move |captured: On<ScreenshotCaptured>, mut check: ResMut<Check>| {
                check.shots[slot] = Some(enemy_pixels(&captured.image));
            },
        );
}

/// Counts the pixels of the enemies' red and of the blue the check turns
/// them: the player (cyan), bullets (yellow), pickups (green), the floor
/// and the text are neither.
fn enemy_pixels(image: &Image) -> Pixels {
    let mut pixels = Pixels::default();
    for y in 0..image.height() {
        for x in 0..image.width() {
            let Ok(color) = image.get_color_at(x, y) else {
                continue;
            };
            let [r, g, b, _] = color.to_srgba().to_f32_array();
            if r > 0.75 && g < 0.4 && b < 0.45 {
                pixels.red += 1;
            } else if b > 0.8 && r < 0.4 && g < 0.5 {
                pixels.blue += 1;
            }
        }
    }
    pixels
}

/// The bench: frame times and the time spent in the plugin's systems.
#[derive(Resource)]
struct Bench {
    enemies: u32,
    frames: u32,
    script_started: Option<Instant>,
    script_time: Duration,
    frame_time: Duration,
    measured: u32,
    /// Live enemies and bullets, summed over the measured frames.
    enemies_seen: usize,
    bullets_seen: usize,
}

/// Frames before measuring (loading, first compile) and measured frames.
const BENCH_WARM_UP: u32 = 120;
const BENCH_FRAMES: u32 = 300;

impl Bench {
    fn new(enemies: u32) -> Self {
        Self {
            enemies,
            frames: 0,
            script_started: None,
            script_time: Duration::ZERO,
            frame_time: Duration::ZERO,
            measured: 0,
            enemies_seen: 0,
            bullets_seen: 0,
        }
    }
}

/// Presses space now and then: a window that loses focus releases keys.
fn hold_space(bench: Res<Bench>, mut keys: MessageWriter<KeyboardInput>) {
    if bench.frames % 30 == 1 {
        keys.write(KeyboardInput {
            key_code: KeyCode::Space,
            logical_key: Key::Unidentified(NativeKey::Unidentified),
            state: ButtonState::Pressed,
            text: None,
            repeat: false,
            window: Entity::PLACEHOLDER,
        });
    }
}

fn start_script_clock(mut bench: ResMut<Bench>) {
    bench.script_started = Some(Instant::now());
}

fn stop_script_clock(mut bench: ResMut<Bench>) {
    if let Some(started) = bench.script_started.take()
        && bench.frames >= BENCH_WARM_UP
    {
        bench.script_time += started.elapsed();
    }
}

fn report_bench(
    mut bench: ResMut<Bench>,
    time: Res<Time<Real>>,
    enemies: Query<(), With<Enemy>>,
    bullets: Query<(), With<Bullet>>,
    mut exit: MessageWriter<AppExit>,
) {
    bench.frames += 1;
    if bench.frames > BENCH_WARM_UP {
        bench.frame_time += time.delta();
        bench.measured += 1;
        bench.enemies_seen += enemies.iter().count();
        bench.bullets_seen += bullets.iter().count();
    }
    if bench.frames == BENCH_WARM_UP + BENCH_FRAMES {
        if bench.enemies_seen == 0 {
            error!("arena bench: no enemies: did the scripts load?");
            exit.write(AppExit::error());
            return;
        }
        let frame = bench.frame_time / bench.measured;
        let scripts = bench.script_time / bench.measured;
        println!(
            "arena bench: {} enemies at the start, {:.0} enemies and {:.1} bullets on average; \
             frame {:.2} ms, scripts {:.2} ms ({:.0}% of the frame), over {} frames",
            bench.enemies,
            bench.enemies_seen as f64 / f64::from(bench.measured),
            bench.bullets_seen as f64 / f64::from(bench.measured),
            frame.as_secs_f64() * 1e3,
            scripts.as_secs_f64() * 1e3,
            100.0 * scripts.as_secs_f64() / frame.as_secs_f64(),
            bench.measured
        );
        exit.write(AppExit::Success);
    }
}
