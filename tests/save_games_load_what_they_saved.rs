//! A save game holds every value a script keeps in state and loads it back
//! the same, in JSON and in a binary format, into a fresh app where the
//! entities have other ids: entity references follow (`MapEntities`), and
//! `init()` does not run again, whether `ScriptState` is inserted before,
//! with or after `Script`.

mod common;

use bevy::ecs::entity::{EntityHashMap, MapEntities};
use bevy::prelude::*;
use bevy_rhai_hot::prelude::*;
use common::Harness;
use rhai::{Array, Dynamic, Map};

const HERO: &str = r#"
let inits = 0;
let count = 0;
let ratio = 0.0;
let name = "";
let list = [];
let info = #{};
let buddy = ();
let at = ();
let pose = ();
let cooldown = #{};
fn init() {
    inits += 1;
    count = 3;
    ratio = 0.5;
    name = "hero";
    list = [1, "two", 3.5];
    info = #{ level: 7, tags: ["a", "b"] };
    at = vec3(1.0, 2.0, 3.0);
    pose = transform();
    cooldown = #{ left: 1.5, every: 2.0 };
}
fn on_meet(other) { buddy = other; }
"#;

const FRIEND: &str = "let inits = 0;\nfn init() { inits += 1; }\n";

/// One saved entity: its old id, its script's path and its state.
type Saved = Vec<(Entity, String, ScriptState)>;

fn play_and_save() -> Saved {
    let mut h = Harness::new();
    h.write("scripts/hero.rhai", HERO);
    h.write("scripts/friend.rhai", FRIEND);
    let friend = h.spawn("scripts/friend.rhai");
    let script = h.load("scripts/hero.rhai");
    let hero = (h.app.world_mut())
        .spawn((Script::new(script), Transform::from_xyz(4.0, 5.0, 6.0)))
        .id();
    h.run_until_ready(hero);
    h.run_until_ready(friend);
    (h.app.world_mut())
        .write_message(ScriptEvent::to(hero, "meet").with_payload(Dynamic::from(friend)));
    h.update();
    [(hero, "scripts/hero.rhai"), (friend, "scripts/friend.rhai")]
        .into_iter()
        .map(|(entity, path)| {
            let state = h.app.world().get::<ScriptState>(entity).unwrap().clone();
            (entity, path.to_owned(), state)
        })
        .collect()
}

#[derive(Clone, Copy, Debug)]
enum Order {
    StateBeforeScript,
    Together,
    StateAfterScript,
}

/// Loads `saved` into a fresh app, inserting each state in `order`;
/// returns the harness and the new entity of each saved one.
fn load(saved: Saved, order: Order) -> (Harness, EntityHashMap<Entity>) {
    let mut h = Harness::new();
    h.write("scripts/hero.rhai", HERO);
    h.write("scripts/friend.rhai", FRIEND);
    // Other entities first, so that the loaded ones get other ids.
    for _ in 0..7 {
        h.app.world_mut().spawn_empty();
    }
    let mut new_ids = EntityHashMap::default();
    for (old, ..) in &saved {
        new_ids.insert(*old, h.app.world_mut().spawn(Transform::default()).id());
    }
    for (old, path, mut state) in saved {
        state.map_entities(&mut new_ids);
        let entity = new_ids[&old];
        let script = Script::new(h.load(&path));
        let mut entity = h.app.world_mut().entity_mut(entity);
        match order {
            Order::StateBeforeScript => {
                entity.insert(state);
                entity.insert(script);
            }
            Order::Together => {
                entity.insert((script, state));
            }
            Order::StateAfterScript => {
                entity.insert(script);
                entity.insert(state);
            }
        }
    }
    for entity in new_ids.values().copied().collect::<Vec<_>>() {
        h.run_until_ready(entity);
    }
    h.update();
    (h, new_ids)
}

fn check(h: &Harness, hero: Entity, friend: Entity, how: &str) {
    let state = h.app.world().get::<ScriptState>(hero).unwrap();
    let get = |name: &str| {
        state
            .get(name)
            .unwrap_or_else(|| panic!("{how}: no {name}"))
            .clone()
    };
    assert_eq!(get("inits").as_int(), Ok(1), "{how}: init() ran again");
    assert_eq!(get("count").as_int(), Ok(3), "{how}");
    assert_eq!(get("ratio").as_float(), Ok(0.5), "{how}");
    assert_eq!(get("name").into_string().unwrap(), "hero", "{how}");
    let list = get("list").cast::<Array>();
    assert_eq!(list.len(), 3, "{how}");
    assert_eq!(list[1].clone().into_string().unwrap(), "two", "{how}");
    assert_eq!(list[2].as_float(), Ok(3.5), "{how}");
    let info = get("info").cast::<Map>();
    assert_eq!(info["level"].as_int(), Ok(7), "{how}");
    assert_eq!(info["tags"].clone().cast::<Array>().len(), 2, "{how}");
    assert_eq!(
        get("buddy").cast::<Entity>(),
        friend,
        "{how}: the reference follows the entity"
    );
    assert_eq!(get("at").cast::<Vec3>(), Vec3::new(1.0, 2.0, 3.0), "{how}");
    assert_eq!(
        get("pose").cast::<Transform>(),
        Transform::from_xyz(4.0, 5.0, 6.0),
        "{how}"
    );
    assert_eq!(
        get("cooldown").cast::<Map>()["left"].as_float(),
        Ok(1.5),
        "{how}"
    );
    let friend_state = h.app.world().get::<ScriptState>(friend).unwrap();
    assert_eq!(friend_state.get("inits").unwrap().as_int(), Ok(1), "{how}");
    assert!(h.errors().is_empty(), "{how}: {:?}", h.errors());
}

#[test]
fn a_save_in_json_and_in_a_binary_format_loads_every_value_back() {
    let saved = play_and_save();
    let (old_hero, old_friend) = (saved[0].0, saved[1].0);

    let json = serde_json::to_string(&saved).unwrap();
    let binary = postcard::to_stdvec(&saved).unwrap();
    let formats: [(&str, Saved); 2] = [
        ("json", serde_json::from_str(&json).unwrap()),
        ("binary", postcard::from_bytes(&binary).unwrap()),
    ];
    for (format, saved) in formats {
        for order in [
            Order::StateBeforeScript,
            Order::Together,
            Order::StateAfterScript,
        ] {
            let how = format!("{format}, {order:?}");
            let (h, new_ids) = load(saved.clone(), order);
            let (hero, friend) = (new_ids[&old_hero], new_ids[&old_friend]);
            assert_ne!(
                friend, old_friend,
                "{how}: the loaded entities have other ids"
            );
            check(&h, hero, friend, &how);
        }
    }
}

#[test]
fn a_value_that_cannot_be_saved_fails_the_save_naming_the_variable() {
    let mut h = Harness::new();
    h.write(
        "scripts/closure.rhai",
        "let keep = 0;\nfn init() { keep = |x| x + 1; }\n",
    );
    let entity = h.spawn("scripts/closure.rhai");
    h.run_until_ready(entity);
    let state = h.app.world().get::<ScriptState>(entity).unwrap();
    let error = serde_json::to_string(state).unwrap_err().to_string();
    assert!(error.contains("`keep`") && error.contains("Fn"), "{error}");
}

#[test]
fn corrupted_save_data_is_an_error_not_a_panic() {
    let saved = play_and_save();
    let json = serde_json::to_string(&saved).unwrap();
    let binary = postcard::to_stdvec(&saved).unwrap();
    for garbage in [
        "{",
        "[[0, \"scripts/hero.rhai\", 5]]",
        &json[..json.len() / 2],
        &json.replace("\"Int\"", "\"Nope\""),
    ] {
        assert!(serde_json::from_str::<Saved>(garbage).is_err(), "{garbage}");
    }
    for cut in [1, binary.len() / 3, binary.len() - 1] {
        assert!(postcard::from_bytes::<Saved>(&binary[..cut]).is_err());
    }
    let mut flipped = binary.clone();
    for byte in flipped.iter_mut().step_by(7) {
        *byte ^= 0xa5;
    }
    // Whatever it decodes to, it does not panic.
    let _ = postcard::from_bytes::<Saved>(&flipped);
}
