//! `on_update` in the parallel phase: scripts that can run there give the
//! same world as the sequential phase, however the entities are cut into
//! batches; scripts that cannot run there keep their meaning; errors and
//! reloads behave as in the sequential phase.

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use bevy_rhai_hot::{CompiledScript, UpdatePhase};
use common::Harness;

/// Each entity moves its own transform, reads back what it wrote, counts
/// timer ticks, now and then tells every entity it passed by (the order
/// the news arrives in shows the order changes were applied in) and
/// spawns a child.
const MOVER: &str = r#"let id = 0;
let x = 0.0;
let heard = [];
let ticks = 0;
let children = 0;
fn init() { every(0.3, "tick"); }
fn tick() { ticks += 1; }
fn on_update(dt) {
    x += (id % 13) * dt + delta_secs();
    let t = transform();
    t.translation.x = x;
    set_transform(t);
    if transform().translation.x != t.translation.x { throw "a call must see its own write"; }
    if id % 40 == 0 { emit_all("news", id); }
    if id % 50 == 0 && children < 1 {
        spawn_script("scripts/child.rhai", #{ parent: id });
        children += 1;
    }
}
fn on_news(from) {
    heard.push(from);
    if heard.len() > 12 { heard.remove(0); }
}
"#;

const CHILD: &str = "let parent = 0;\nlet age = 0;\nfn on_update() { age += 1; }\n";

const ENTITIES: i64 = 120;

/// What the world looks like: each mover's state and transform, by id, and
/// the children, by parent (when a child's script loads depends on the
/// asset server's threads, so its own state is left out).
#[derive(Debug, PartialEq)]
struct Outcome {
    movers: Vec<(i64, f64, f32, Vec<i64>, i64)>,
    children: Vec<i64>,
}

fn run(parallel: ParallelUpdate, frames: usize) -> (Outcome, Harness) {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.insert_resource(parallel);
    });
    h.write("scripts/mover.rhai", MOVER);
    h.write("scripts/child.rhai", CHILD);
    let script = h.load("scripts/mover.rhai");
    let entities: Vec<Entity> = (0..ENTITIES)
        .map(|id| {
            let world = h.app.world_mut();
            let script = Script::new(script.clone()).with_prop("id", id);
            world.spawn((script, Transform::default())).id()
        })
        .collect();
    // All start in one frame (one script): from there every run counts the
    // same frames.
    h.run_until("every mover to start", |world| {
        (entities.iter()).all(|entity| {
            world
                .get::<ScriptState>(*entity)
                .is_some_and(ScriptState::is_ready)
        })
    });
    h.updates(frames);
    (outcome(&mut h), h)
}

fn outcome(h: &mut Harness) -> Outcome {
    let mut movers = Vec::new();
    let mut children = Vec::new();
    let world = h.app.world_mut();
    let mut query = world.query::<(&ScriptState, &Transform)>();
    for (state, transform) in query.iter(world) {
        if let Some(parent) = state.get_as::<i64>("parent") {
            children.push(parent);
            continue;
        }
        movers.push((
            state.get_as::<i64>("id").unwrap(),
            state.get_as::<f64>("x").unwrap(),
            transform.translation.x,
            state.get_as::<Vec<i64>>("heard").unwrap(),
            state.get_as::<i64>("ticks").unwrap(),
        ));
    }
    movers.sort_by_key(|mover| mover.0);
    children.sort();
    Outcome { movers, children }
}

fn batches(count: usize) -> ParallelUpdate {
    ParallelUpdate {
        batches: Some(count),
        min_entities: 0,
        ..default()
    }
}

#[test]
fn the_same_world_on_one_batch_or_many_and_as_in_the_sequential_phase() {
    let sequential = ParallelUpdate {
        enabled: false,
        ..default()
    };
    let (expected, h) = run(sequential, 8);
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    let mover = &expected.movers[77];
    assert!(
        mover.1 > 0.0 && mover.3.len() == 12 && mover.4 > 0,
        "{mover:?}"
    );
    assert_eq!(expected.children, [0, 50, 100], "ids 0, 50 and 100 spawn");

    for count in [1, 2, 16, 121] {
        let (outcome, h) = run(batches(count), 8);
        assert!(h.errors().is_empty(), "{count} batches: {:?}", h.errors());
        let compiled: std::sync::Arc<CompiledScript> = h.compiled("scripts/mover.rhai");
        assert_eq!(compiled.update_phase(), Some(&UpdatePhase::Parallel));
        assert!(
            outcome == expected,
            "{count} batches differ from the sequential phase"
        );
    }
}

/// Runs the scenario on compute task pools of 1, 2 and 16 threads, each in
/// a process of its own (the pool is one per process): the worlds are the
/// same, and the same as the sequential phase's.
#[test]
fn the_same_world_on_one_two_or_sixteen_threads() {
    let sequential = ParallelUpdate {
        enabled: false,
        ..default()
    };
    let expected = format!("{:?}", run(sequential, 8).0);
    for threads in [1, 2, 16] {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "one_run_on_the_threads_of_env",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env("PARALLEL_THREADS", threads.to_string())
            .output()
            .expect("the test binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{threads} threads: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let outcome = (stdout.lines())
            .find_map(|line| line.strip_prefix("OUTCOME "))
            .unwrap_or_else(|| panic!("{threads} threads printed no outcome: {stdout}"));
        assert!(
            outcome == expected,
            "{threads} threads differ from the sequential phase"
        );
    }
}

#[test]
#[ignore = "one run of the_same_world_on_one_two_or_sixteen_threads, in a process of its own"]
fn one_run_on_the_threads_of_env() {
    use bevy::tasks::{ComputeTaskPool, TaskPoolBuilder};
    // Run by hand (`-- --ignored`), it takes 2 threads.
    let threads: usize = (std::env::var("PARALLEL_THREADS").ok())
        .and_then(|threads| threads.parse().ok())
        .unwrap_or(2);
    // Before the app: Bevy's TaskPoolPlugin keeps a pool that exists.
    ComputeTaskPool::get_or_init(|| TaskPoolBuilder::new().num_threads(threads).build());
    let settings = ParallelUpdate {
        min_entities: 0,
        ..default()
    };
    let (outcome, h) = run(settings, 8);
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    assert_eq!(ComputeTaskPool::get().thread_num(), threads);
    if threads > 1 {
        let compiled = h.compiled("scripts/mover.rhai");
        assert_eq!(compiled.update_phase(), Some(&UpdatePhase::Parallel));
    }
    println!("OUTCOME {outcome:?}");
}

#[test]
fn each_version_says_where_its_on_update_runs_and_why() {
    let plugin = RhaiPlugin::default().with_engine(|engine| {
        engine.register_fn("score", || {
            with_script_world(|world, _| world.resource::<Time>().elapsed_secs_f64())
        });
    });
    let mut h = Harness::with(plugin, |app| {
        app.insert_resource(batches(2));
    });
    h.write(
        "scripts/pure.rhai",
        "let n = 0;\nfn on_update() { n += 1; }\n",
    );
    h.write(
        "scripts/scoring.rhai",
        "let n = 0.0;\nfn on_update() {\n    n = points();\n}\nfn points() {\n    score() * 2.0\n}\n",
    );
    h.write(
        "scripts/pushing.rhai",
        "fn on_update() {\n    let e = entity();\n    set_transform(e, transform());\n}\n",
    );
    for path in [
        "scripts/pure.rhai",
        "scripts/scoring.rhai",
        "scripts/pushing.rhai",
    ] {
        let entity = h.spawn(path);
        h.run_until_ready(entity);
    }
    h.update();
    assert_eq!(
        h.compiled("scripts/pure.rhai").update_phase(),
        Some(&UpdatePhase::Parallel)
    );
    let Some(UpdatePhase::Sequential(why)) =
        h.compiled("scripts/scoring.rhai").update_phase().cloned()
    else {
        panic!("scoring.rhai calls an app function");
    };
    assert!(why.contains("score()") && why.contains("line 6"), "{why}");
    let Some(UpdatePhase::Sequential(why)) =
        h.compiled("scripts/pushing.rhai").update_phase().cloned()
    else {
        panic!("pushing.rhai writes an entity's transform at once");
    };
    assert!(
        why.contains("set_transform()") && why.contains("line 3"),
        "{why}"
    );
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}

/// A script that calls an app function reaching the whole world keeps
/// working beside scripts in the parallel phase: it runs sequentially.
#[test]
fn scripts_that_need_the_world_run_sequentially_beside_parallel_ones() {
    #[derive(Resource, Default)]
    struct Bumps(i64);
    let plugin = RhaiPlugin::default().with_engine(|engine| {
        engine.register_fn("bump", || {
            with_script_world(|world, _| world.resource_mut::<Bumps>().0 += 1)
        });
    });
    let mut h = Harness::with(plugin, |app| {
        app.init_resource::<Bumps>().insert_resource(batches(4));
    });
    h.write("scripts/bumper.rhai", "fn on_update() { bump(); }\n");
    h.write(
        "scripts/pure.rhai",
        "let n = 0;\nfn on_update() { n += 1; }\n",
    );
    let mut bumpers = Vec::new();
    for _ in 0..20 {
        bumpers.push(h.spawn("scripts/bumper.rhai"));
        let pure = h.spawn("scripts/pure.rhai");
        h.run_until_ready(pure);
    }
    for bumper in &bumpers {
        h.run_until_ready(*bumper);
    }
    let before = h.app.world().resource::<Bumps>().0;
    h.updates(5);
    assert_eq!(h.app.world().resource::<Bumps>().0 - before, 100);
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}

#[test]
fn errors_and_reloads_in_the_parallel_phase_are_as_in_the_sequential_one() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.insert_resource(batches(3));
    });
    let failing =
        "let n = 0;\nfn on_update() {\n    n += 1;\n    if n == 3 { throw \"three\"; }\n}\n";
    h.write("scripts/a.rhai", failing);
    let entities: Vec<Entity> = (0..6).map(|_| h.spawn("scripts/a.rhai")).collect();
    for entity in &entities {
        h.run_until_ready(*entity);
    }
    h.updates(4);
    // Each entity failed once, at the line of the throw; the state is kept.
    let errors: Vec<_> = h.errors().to_vec();
    assert_eq!(errors.len(), entities.len(), "{errors:?}");
    for error in &errors {
        assert_eq!(error.location().path, "scripts/a.rhai");
        assert_eq!(error.location().line, Some(4), "{error}");
        assert!(error.to_string().contains("three"), "{error}");
    }
    let counts: Vec<i64> = entities.iter().map(|e| h.state(*e, "n").unwrap()).collect();
    assert!(counts.iter().all(|n| *n >= 4), "{counts:?}");

    // A save goes live with every entity's count kept.
    h.edit(
        "scripts/a.rhai",
        "let n = 0;\nfn on_update() {\n    n += 1000000;\n}\n",
    );
    h.run_until_reloads(1);
    h.update();
    for (entity, before) in entities.iter().zip(&counts) {
        let now: i64 = h.state(*entity, "n").unwrap();
        assert!(
            now % 1_000_000 >= *before,
            "state reset: {before} then {now}"
        );
        assert!(now > 1_000_000, "the new code runs: {now}");
    }
}

/// A value the walk cannot see through (a component handle kept in state)
/// reaching the whole world from the parallel phase: a clear error at the
/// script's line, the state kept, never the world.
#[derive(Component, Reflect, Default)]
#[reflect(Component, Default)]
struct Health {
    hp: f32,
}

#[derive(Component, Reflect, Default)]
#[reflect(Component, Default)]
struct Target;

#[derive(Component, Reflect, Default)]
#[reflect(Component, Default)]
struct Child;

#[derive(Resource, Reflect, Default)]
#[reflect(Resource, Default)]
struct Score {
    points: i64,
}

/// Runs two frames in which each of `entities` fails in `on_update` at
/// `place` (path, line, column) with a message holding each of `says`:
/// every entity reports it each frame, and each one's `n` (counted before
/// the failing line, and above 0 before) goes up by exactly 2, which a
/// reset would not give.
fn fails_at_keeping_state(
    h: &mut Harness,
    entities: &[Entity],
    (path, line, column): (&str, usize, usize),
    says: &[&str],
) {
    let counts = |h: &Harness| -> Vec<i64> {
        (entities.iter())
            .map(|entity| h.state::<i64>(*entity, "n").unwrap())
            .collect()
    };
    let before = counts(h);
    assert!(before.iter().all(|n| *n > 0), "ran before: {before:?}");
    let reported = h.errors().len();
    h.updates(2);
    let errors = &h.errors()[reported..];
    assert_eq!(errors.len(), 2 * entities.len(), "{errors:?}");
    for error in errors {
        let location = error.location();
        assert_eq!(
            (location.path.as_str(), location.line, location.column),
            (path, Some(line), Some(column)),
            "{error}"
        );
        let message = error.to_string();
        assert!(says.iter().all(|said| message.contains(said)), "{message}");
    }
    let after: Vec<i64> = before.iter().map(|n| n + 2).collect();
    assert_eq!(counts(h), after, "the state is kept");
}

/// A component handle kept in state reaches another entity from a script
/// the walk placed in the parallel phase: writing through it is an error
/// at the line, the state is kept, and the advice works.
#[test]
fn writing_another_entity_from_the_parallel_phase_is_an_error_at_the_line() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.register_type::<Health>()
            .register_type::<Target>()
            .insert_resource(batches(2));
    });
    let target = h.app.world_mut().spawn((Target, Health { hp: 100.0 })).id();
    h.write(
        "scripts/held.rhai",
        "let health = ();\nlet n = 0;\nfn init() { health = query_one(\"Target\")[\"Heal\" + \"th\"]; }\nfn on_update() {\n    n += 1;\n    health.hp -= 1.0;\n}\n",
    );
    let entities: Vec<Entity> = (0..4).map(|_| h.spawn("scripts/held.rhai")).collect();
    for entity in &entities {
        h.run_until_ready(*entity);
    }
    h.update();
    assert_eq!(
        h.compiled("scripts/held.rhai").update_phase(),
        Some(&UpdatePhase::Parallel)
    );
    fails_at_keeping_state(
        &mut h,
        &entities,
        // At the field written: `health.hp`.
        ("scripts/held.rhai", 6, 12),
        &["Health of entity", "ParallelUpdate::sequential_scripts"],
    );
    assert_eq!(h.app.world().get::<Health>(target).unwrap().hp, 100.0);

    // What the error advises: the script runs sequentially, and works.
    (h.app
        .world_mut()
        .resource_mut::<ParallelUpdate>()
        .sequential_scripts)
        .push("scripts/held.rhai".to_owned());
    let failed = h.errors().len();
    h.updates(2);
    assert_eq!(h.errors().len(), failed, "{:?}", &h.errors()[failed..]);
    assert_eq!(h.app.world().get::<Health>(target).unwrap().hp, 92.0);
}

/// Reaches its own components through reflection (reading back its own
/// writes, whole and by field), another entity's found by a query, and a
/// resource.
const HEALER: &str = r#"let id = 0;
let seen = [];
let spawned = false;
fn on_update(dt) {
    let me = entity();
    me.Health.hp -= 1.0 + id;
    if me.Health.hp != me.Health.value().hp { throw "a call must see its own write"; }
    me.Health = #{ hp: me.Health.hp * 0.5 };
    let target = query_one("Target");
    let others = query(["Health"], ["Target", "Child"]).len();
    seen.push(me.Health.hp + target.Health.hp + resource("Score").points + others);
    if seen.len() > 4 { seen.remove(0); }
    if me.has("Health") && !me.exists() { throw "exists"; }
    if !spawned { spawn_entity(#{ Health: #{ hp: 5000.0 + id }, Child: #{} }); spawned = true; }
}
"#;

/// Each healer's health and what it saw, and the health of the entities
/// they spawned.
type Healed = (Vec<(f32, Vec<f64>)>, Vec<f32>);

fn run_healers(parallel: ParallelUpdate, frames: usize) -> (Healed, Harness) {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.register_type::<Health>()
            .register_type::<Target>()
            .register_type::<Child>()
            .register_type::<Score>()
            .insert_resource(Score { points: 7 })
            .insert_resource(parallel);
    });
    h.app.world_mut().spawn((Target, Health { hp: 1000.0 }));
    h.write("scripts/healer.rhai", HEALER);
    let script = h.load("scripts/healer.rhai");
    let entities: Vec<Entity> = (0..40_i64)
        .map(|id| {
            let script = Script::new(script.clone()).with_prop("id", id);
            let health = Health {
                hp: 100.0 * id as f32,
            };
            h.app.world_mut().spawn((script, health)).id()
        })
        .collect();
    h.run_until("every healer to start", |world| {
        (entities.iter()).all(|entity| {
            world
                .get::<ScriptState>(*entity)
                .is_some_and(ScriptState::is_ready)
        })
    });
    h.updates(frames);
    let healers = (entities.iter())
        .map(|entity| {
            let hp = h.app.world().get::<Health>(*entity).unwrap().hp;
            (hp, h.state::<Vec<f64>>(*entity, "seen").unwrap())
        })
        .collect();
    let world = h.app.world_mut();
    let mut children: Vec<f32> = (world.query_filtered::<&Health, With<Child>>())
        .iter(world)
        .map(|health| health.hp)
        .collect();
    children.sort_by(f32::total_cmp);
    ((healers, children), h)
}

#[test]
fn a_listed_script_reaches_components_in_the_parallel_phase_as_in_the_sequential_one() {
    let sequential = ParallelUpdate {
        enabled: false,
        ..default()
    };
    let (expected, h) = run_healers(sequential, 5);
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    let (healers, children) = &expected;
    assert!(
        healers[3].0 != 300.0 && healers[3].1.len() == 4,
        "{:?}",
        healers[3]
    );
    assert_eq!(children.len(), 40, "each healer spawned one child");

    for count in [1, 3, 41] {
        let listed = ParallelUpdate {
            parallel_scripts: vec!["scripts/healer.rhai".to_owned()],
            ..batches(count)
        };
        let (outcome, h) = run_healers(listed, 5);
        assert!(h.errors().is_empty(), "{count} batches: {:?}", h.errors());
        let phase = h.compiled("scripts/healer.rhai").update_phase().cloned();
        let Some(UpdatePhase::ParallelIfListed(why)) = phase else {
            panic!("healer.rhai reaches components through reflection: {phase:?}");
        };
        assert!(why.contains("Health") && why.contains("line 6"), "{why}");
        assert!(
            outcome == expected,
            "{count} batches differ from the sequential phase: {:?} against {:?}",
            outcome.0[3],
            expected.0[3]
        );
    }
}

/// In the parallel phase a listed script writes only its own entity's
/// components: a resource write is an error at its line, the state and the
/// resource are kept; not listed, the same script runs sequentially.
#[test]
fn a_listed_script_that_writes_a_resource_errs_at_the_line() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        app.register_type::<Score>()
            .init_resource::<Score>()
            .insert_resource(ParallelUpdate {
                parallel_scripts: vec!["scripts/scorer.rhai".to_owned()],
                ..batches(2)
            });
    });
    h.write(
        "scripts/scorer.rhai",
        "let n = 0;\nfn on_update() {\n    n += 1;\n    let score = resource(\"Score\");\n    score.points += 1;\n}\n",
    );
    let entities: Vec<Entity> = (0..4).map(|_| h.spawn("scripts/scorer.rhai")).collect();
    for entity in &entities {
        h.run_until_ready(*entity);
    }
    h.update();
    fails_at_keeping_state(
        &mut h,
        &entities,
        // At the field written: `score.points`.
        ("scripts/scorer.rhai", 5, 11),
        &["the resource Score", "ParallelUpdate::sequential_scripts"],
    );
    assert_eq!(h.app.world().resource::<Score>().points, 0);

    (h.app
        .world_mut()
        .resource_mut::<ParallelUpdate>()
        .parallel_scripts)
        .clear();
    let failed = h.errors().len();
    h.updates(2);
    assert_eq!(h.errors().len(), failed, "{:?}", &h.errors()[failed..]);
    assert_eq!(h.app.world().resource::<Score>().points, 8);
}
