//! Scripts reach any reflected component or resource by name: fields read
//! and written in place (seen by change detection), nested values, enums,
//! resources, queries, insert, remove and spawning with components; every
//! mistake is a clear error at the script's line.

mod common;

use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use common::Harness;

#[derive(Component, Reflect, Default, Debug, PartialEq)]
#[reflect(Component, Default)]
struct Health {
    hp: f32,
    max: f32,
}

#[derive(Component, Reflect, Default)]
#[reflect(Component, Default)]
struct Frozen;

#[derive(Component, Reflect, Default)]
#[reflect(Component, Default)]
struct Player;

#[derive(Component, Reflect, Default)]
#[reflect(Component, Default)]
struct Enemy;

#[derive(Component, Reflect, Default, Debug, PartialEq)]
#[reflect(Component, Default)]
struct Velocity {
    linvel: Vec3,
}

#[derive(Component, Reflect, Default, Debug, PartialEq)]
#[reflect(Component, Default)]
struct Stunned {
    secs: f32,
    by: Option<Entity>,
}

#[derive(Resource, Reflect, Default, Debug)]
#[reflect(Resource, Default)]
struct Score {
    points: i64,
}

#[derive(Reflect, Default, Debug, PartialEq)]
enum Mode {
    #[default]
    Idle,
    Walking {
        speed: f32,
    },
    Hit(f32),
}

#[derive(Reflect, Default, Debug, PartialEq)]
struct Inner {
    a: i32,
    label: String,
}

#[derive(Component, Reflect, Default, Debug, PartialEq)]
#[reflect(Component, Default)]
struct Stats {
    inner: Inner,
    mode: Mode,
    tags: Vec<String>,
    limit: Option<f32>,
    pair: (i32, bool),
}

/// A component with no `Default`: inserted only with every field.
#[derive(Component, Reflect, Debug, PartialEq)]
#[reflect(Component)]
struct Tag {
    id: u32,
}

/// No `Default` and an `Option` field: built from the script's map alone.
#[derive(Component, Reflect, Debug, PartialEq)]
#[reflect(Component)]
struct Marked {
    id: u32,
    note: Option<String>,
}

#[derive(Component, Reflect, Default)]
#[reflect(Component, Default)]
struct Secret {
    code: i64,
}

fn register(app: &mut App) {
    app.register_type::<Health>()
        .register_type::<Frozen>()
        .register_type::<Player>()
        .register_type::<Enemy>()
        .register_type::<Velocity>()
        .register_type::<Stunned>()
        .register_type::<Score>()
        .register_type::<Stats>()
        .register_type::<Tag>()
        .register_type::<Marked>()
        .register_type::<Secret>()
        .insert_resource(Score { points: 0 });
}

fn harness() -> Harness {
    Harness::with(RhaiPlugin::default(), register)
}

/// Spawns `bundle` running a script whose `init()` is `body`, and runs
/// until it started.
fn run_init(h: &mut Harness, name: &str, body: &str, bundle: impl Bundle) -> Entity {
    let path = format!("scripts/{name}.rhai");
    h.write(&path, &format!("let out = ();\nfn init() {{\n{body}\n}}\n"));
    let script = h.load(&path);
    let entity = h.app.world_mut().spawn((Script::new(script), bundle)).id();
    h.run_until_ready(entity);
    entity
}

const CHASER: &str = r#"
const SPEED = 2.0;
fn on_update(dt) {
    let me = entity();
    me.Health.hp -= 10.0 * dt;
    if me.has("Frozen") { return; }
    let player = query_one("Player");
    let to_player = player.Transform.translation - me.Transform.translation;
    me.Velocity.linvel = to_player.normalize() * SPEED;
    let score = resource("Score");
    score.points += 1;
    if me.Health.hp < 95.0 && !me.has("Stunned") {
        me.insert("Stunned", #{ secs: 2.0 });
        spawn_with("scripts/bullet.rhai", #{ Transform: me.Transform, Velocity: #{ linvel: vec3(0, 5, 0) } });
    }
}
"#;

#[test]
fn the_readme_example_runs() {
    let mut h = harness();
    h.write("scripts/chaser.rhai", CHASER);
    h.write("scripts/bullet.rhai", "let flying = true;\n");
    h.app
        .world_mut()
        .spawn((Player, Transform::from_xyz(10.0, 0.0, 0.0)));
    let script = h.load("scripts/chaser.rhai");
    let enemy = h
        .app
        .world_mut()
        .spawn((
            Script::new(script),
            Enemy,
            Transform::default(),
            Health {
                hp: 100.0,
                max: 100.0,
            },
            Velocity::default(),
        ))
        .id();
    h.run_until_ready(enemy);
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    let world = h.app.world();
    assert_eq!(world.get::<Health>(enemy).unwrap().hp, 99.0);
    assert_eq!(
        world.get::<Velocity>(enemy).unwrap().linvel,
        Vec3::new(2.0, 0.0, 0.0)
    );
    assert_eq!(world.resource::<Score>().points, 1);
    h.updates(5);
    let world = h.app.world();
    assert_eq!(world.get::<Health>(enemy).unwrap().hp, 94.0);
    assert_eq!(world.resource::<Score>().points, 6);
    assert_eq!(world.get::<Stunned>(enemy).unwrap().secs, 2.0);
    let mut bullets = h
        .app
        .world_mut()
        .query_filtered::<(&Velocity, &Script), Without<Enemy>>();
    let bullets: Vec<Vec3> = bullets.iter(h.app.world()).map(|(v, _)| v.linvel).collect();
    assert_eq!(bullets, [Vec3::new(0.0, 5.0, 0.0)], "one bullet");
    // Frozen stops it after the health drop, as the script says.
    h.app.world_mut().entity_mut(enemy).insert(Frozen);
    h.update();
    assert_eq!(h.app.world().resource::<Score>().points, 6);
    assert_eq!(h.app.world().get::<Health>(enemy).unwrap().hp, 93.0);
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}

#[derive(Resource, Default)]
struct ChangedHealth(usize);

fn count_changes(changed: Query<(), Changed<Health>>, mut count: ResMut<ChangedHealth>) {
    count.0 += changed.iter().count();
}

#[test]
fn writes_are_seen_by_change_detection() {
    let mut h = Harness::with(RhaiPlugin::default(), |app| {
        register(app);
        app.init_resource::<ChangedHealth>()
            .add_systems(PostUpdate, count_changes);
    });
    h.write(
        "scripts/regen.rhai",
        "let on = true;\nfn on_update() { if on { let me = entity(); me.Health.hp += 1.0; } }\nfn on_stop() { on = false; }\n",
    );
    let script = h.load("scripts/regen.rhai");
    let entity = h
        .app
        .world_mut()
        .spawn((Script::new(script), Health { hp: 1.0, max: 10.0 }))
        .id();
    h.run_until_ready(entity);
    h.updates(3);
    let before = h.app.world().resource::<ChangedHealth>().0;
    h.update();
    assert_eq!(h.app.world().resource::<ChangedHealth>().0, before + 1);
    h.send_script_event(entity, "stop");
    let before = h.app.world().resource::<ChangedHealth>().0;
    h.updates(2);
    assert_eq!(
        h.app.world().resource::<ChangedHealth>().0,
        before,
        "no write, no change"
    );
}

#[test]
fn nested_fields_enums_options_lists_and_tuples_read_and_write() {
    let mut h = harness();
    let body = r#"
    let me = entity();
    me.Stats.inner.a += 5;
    me.Stats.inner.label = "boss";
    me.Stats.tags = ["a", "b"];
    me.Stats.limit = 2.5;
    me.Stats.pair = [7, true];
    me.Stats.mode = #{ Walking: #{ speed: 3.0 } };
    out = [me.Stats.inner.a, me.Stats.mode, me.Stats.limit, me.Stats.tags.len(), me.Stats.pair[0]];
    "#;
    let entity = run_init(&mut h, "stats", body, Stats::default());
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    let stats = h.app.world().get::<Stats>(entity).unwrap();
    assert_eq!(
        stats.inner,
        Inner {
            a: 5,
            label: "boss".into()
        }
    );
    assert_eq!(stats.mode, Mode::Walking { speed: 3.0 });
    assert_eq!(stats.tags, ["a", "b"]);
    assert_eq!(stats.limit, Some(2.5));
    assert_eq!(stats.pair, (7, true));
    let out = h
        .app
        .world()
        .get::<ScriptState>(entity)
        .unwrap()
        .get("out")
        .unwrap()
        .to_string();
    assert_eq!(out, r#"[5, #{"Walking": #{"speed": 3.0}}, 2.5, 2, 7]"#);

    let body = r#"
    let me = entity();
    me.Stats.mode = #{ Hit: 1.5 };
    let hit = me.Stats.mode;
    me.Stats.mode = "Idle";
    me.Stats.limit = ();
    out = [hit, me.Stats.mode, me.Stats.limit];
    "#;
    let entity = run_init(&mut h, "enums", body, Stats::default());
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    let stats = h.app.world().get::<Stats>(entity).unwrap();
    assert_eq!((&stats.mode, stats.limit), (&Mode::Idle, None));
    let out = h
        .app
        .world()
        .get::<ScriptState>(entity)
        .unwrap()
        .get("out")
        .unwrap()
        .to_string();
    assert_eq!(out, r#"[#{"Hit": 1.5}, "Idle", ()]"#);
}

#[test]
fn resources_read_and_write() {
    let mut h = harness();
    let body = "let score = resource(\"Score\");\nscore.points += 40;\nlet again = resource(\"Score\");\nagain.points += 2;\nout = score.points;";
    let entity = run_init(&mut h, "score", body, ());
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    assert_eq!(h.app.world().resource::<Score>().points, 42);
    assert_eq!(h.state::<i64>(entity, "out"), Some(42));
}

#[test]
fn queries_with_and_without_exclusion() {
    let mut h = harness();
    let world = h.app.world_mut();
    let a = world.spawn((Enemy, Health::default())).id();
    let b = world.spawn((Enemy, Health::default(), Frozen)).id();
    world.spawn(Health::default());
    world.spawn(Player);
    let body = r#"
    let all = query("Enemy");
    let healthy = query(["Enemy", "Health"]);
    let awake = query(["Enemy"], ["Frozen"]);
    out = [all.len(), healthy.len(), awake.len(), awake[0], query_one("Player") != awake[0]];
    "#;
    let entity = run_init(&mut h, "query", body, ());
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    let out = h
        .app
        .world()
        .get::<ScriptState>(entity)
        .unwrap()
        .get("out")
        .unwrap()
        .clone();
    let out = out.into_array().unwrap();
    assert_eq!(out[0].as_int().unwrap(), 2);
    assert_eq!(out[1].as_int().unwrap(), 2);
    assert_eq!(out[2].as_int().unwrap(), 1);
    assert_eq!(out[3].clone().cast::<Entity>(), a);
    assert_ne!(a, b);
    assert!(out[4].as_bool().unwrap());

    // Kept in state across frames, a query result stays usable.
    h.write(
        "scripts/keeper.rhai",
        "let enemies = [];\nlet total = 0.0;\nfn init() { enemies = query(\"Enemy\"); }\nfn on_update() { total = 0.0; for e in enemies { total += e.Health.max; } }\n",
    );
    let keeper = h.spawn("scripts/keeper.rhai");
    h.app.world_mut().get_mut::<Health>(a).unwrap().max = 3.0;
    h.app.world_mut().get_mut::<Health>(b).unwrap().max = 4.0;
    h.run_until_ready(keeper);
    h.update();
    assert_eq!(h.state::<f64>(keeper, "total"), Some(7.0));
}

#[test]
fn insert_remove_and_spawn_with_components() {
    let mut h = harness();
    h.write("scripts/child.rhai", "let alive = true;\n");
    let body = r#"
    let me = entity();
    me.insert("Stunned", #{ secs: 2.0 });
    me.insert("Frozen");
    me.insert("Tag", #{ id: 7 });
    me.insert("Marked", #{ id: 2, note: "boss" });
    me.remove("Health");
    let child = spawn_with("scripts/child.rhai", #{ Velocity: #{ linvel: vec3(1, 2, 3) }, Stunned: #{ by: me } });
    let plain = spawn_entity(#{ Health: #{ hp: 3.0 } });
    out = [child, plain];
    "#;
    let entity = run_init(&mut h, "insert", body, Health::default());
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    let world = h.app.world();
    assert_eq!(
        world.get::<Stunned>(entity),
        Some(&Stunned {
            secs: 2.0,
            by: None
        })
    );
    assert!(world.get::<Frozen>(entity).is_some());
    assert_eq!(world.get::<Tag>(entity), Some(&Tag { id: 7 }));
    assert_eq!(
        world.get::<Marked>(entity),
        Some(&Marked {
            id: 2,
            note: Some("boss".into())
        })
    );
    assert!(world.get::<Health>(entity).is_none());
    let out = world
        .get::<ScriptState>(entity)
        .unwrap()
        .get("out")
        .unwrap()
        .clone();
    let out = out.into_array().unwrap();
    let (child, plain) = (
        out[0].clone().cast::<Entity>(),
        out[1].clone().cast::<Entity>(),
    );
    assert_eq!(
        world.get::<Velocity>(child).unwrap().linvel,
        Vec3::new(1.0, 2.0, 3.0)
    );
    assert_eq!(world.get::<Stunned>(child).unwrap().by, Some(entity));
    assert!(world.get::<Script>(child).is_some());
    assert_eq!(world.get::<Health>(plain).unwrap().hp, 3.0);
    assert!(world.get::<Script>(plain).is_none());
    h.run_until_ready(child);
}

#[test]
fn a_handle_to_a_despawned_entity_is_an_error_never_another_entity() {
    let mut h = harness();
    let victim = h.app.world_mut().spawn(Health { hp: 5.0, max: 5.0 }).id();
    h.write(
        "scripts/holder.rhai",
        "let target = ();\nlet seen = 0.0;\nfn on_update() {\n    seen = target.Health.hp;\n}\n",
    );
    let holder = h.spawn("scripts/holder.rhai");
    h.run_until_ready(holder);
    h.app
        .world_mut()
        .get_mut::<ScriptState>(holder)
        .unwrap()
        .set("target", bevy_rhai_hot::rhai::Dynamic::from(victim));
    h.update();
    assert_eq!(h.state::<f64>(holder, "seen"), Some(5.0));
    h.app.world_mut().despawn(victim);
    // A new entity may reuse the index; the handle must not reach it.
    h.app.world_mut().spawn(Health {
        hp: 99.0,
        max: 99.0,
    });
    h.update();
    assert_eq!(h.state::<f64>(holder, "seen"), Some(5.0));
    let error = h.errors().last().expect("an error for the stale handle");
    assert!(error.message().contains("no longer exists"), "{error}");
    assert_eq!(error.location().line, Some(4), "{error}");
}

/// Runs `body` in `init()` and returns the one error it gave.
fn error_of(h: &mut Harness, name: &str, body: &str, bundle: impl Bundle) -> ScriptError {
    let before = h.errors().len();
    run_init(h, name, body, bundle);
    let errors = &h.errors()[before..];
    assert_eq!(errors.len(), 1, "{name}: {errors:?}");
    errors[0].clone()
}

#[test]
fn every_mistake_names_what_and_where() {
    let mut h = harness();
    let cases: [(&str, &str, &str); 8] = [
        (
            "unknown",
            "let me = entity(); me.Helth.hp = 1.0;",
            "did you mean Health",
        ),
        (
            "missing",
            "let me = entity(); me.Velocity.linvel = vec3(1, 0, 0);",
            "has no Velocity",
        ),
        (
            "field",
            "let me = entity(); me.Health.hpp = 1.0;",
            "Health has no field 'hpp' (fields: hp, max)",
        ),
        (
            "type",
            "let me = entity(); me.Health.hp = \"lots\";",
            "Health.hp of entity",
        ),
        (
            "variant",
            "let me = entity(); me.Stats.mode = \"Running\";",
            "no variant 'Running'",
        ),
        ("none", "query_one(\"Player\");", "no entity matches"),
        (
            "no_default",
            "entity().insert(\"Tag\", #{});",
            "'id' is missing",
        ),
        ("resource", "resource(\"Scor\");", "did you mean Score"),
    ];
    for (name, line, expected) in cases {
        let error = error_of(&mut h, name, line, (Health::default(), Stats::default()));
        assert!(error.message().contains(expected), "{name}: {error}");
        assert_eq!(
            error.location().path,
            format!("scripts/{name}.rhai"),
            "{name}"
        );
        assert_eq!(error.location().line, Some(3), "{name}: {error}");
    }
    let error = error_of(
        &mut h,
        "wrong_type",
        "let me = entity(); me.Health.hp = \"lots\";",
        Health::default(),
    );
    assert!(
        error.message().contains("expected a number, found string"),
        "{error}"
    );
}

#[test]
fn denied_types_are_unreachable_and_read_only_types_unwritable() {
    let access = ScriptAccess::default()
        .deny::<Secret>()
        .read_only::<Health>();
    let mut h = Harness::with(RhaiPlugin::default().with_access(access), register);
    h.app.world_mut().spawn(Secret { code: 1 });
    let denied = [
        ("read", "let x = entity().Secret.code;"),
        ("write", "let me = entity(); me.Secret.code = 2;"),
        ("has", "entity().has(\"Secret\");"),
        ("query", "query(\"Secret\");"),
        ("exclude", "query([\"Health\"], [\"Secret\"]);"),
        ("insert", "entity().insert(\"Secret\", #{ code: 3 });"),
        ("remove", "entity().remove(\"Secret\");"),
        ("spawn", "spawn_entity(#{ Secret: #{ code: 4 } });"),
        ("resource", "resource(\"Secret\");"),
    ];
    for (name, line) in denied {
        let error = error_of(&mut h, name, line, (Secret { code: 1 }, Health::default()));
        assert!(
            error.message().contains("no component named 'Secret'")
                || error.message().contains("no resource named 'Secret'"),
            "{name}: {error}"
        );
    }
    let secrets: Vec<i64> = h
        .app
        .world_mut()
        .query::<&Secret>()
        .iter(h.app.world())
        .map(|secret| secret.code)
        .collect();
    assert_eq!(secrets.len(), 10, "nothing spawned");
    assert!(
        secrets.iter().all(|code| *code == 1),
        "nothing written: {secrets:?}"
    );

    let entity = run_init(
        &mut h,
        "read_ok",
        "out = entity().Health.max;",
        Health { hp: 1.0, max: 8.0 },
    );
    assert_eq!(h.state::<f64>(entity, "out"), Some(8.0));
    for (name, line) in [
        ("ro_write", "let me = entity(); me.Health.hp = 2.0;"),
        ("ro_insert", "entity().insert(\"Health\");"),
        ("ro_remove", "entity().remove(\"Health\");"),
    ] {
        let error = error_of(&mut h, name, line, Health { hp: 1.0, max: 8.0 });
        assert!(error.message().contains("read-only"), "{name}: {error}");
    }
}
