//! Files that trip parsers and stacks: a byte-order mark, bytes that are
//! not UTF-8, more lines than Rhai can count, one very long line, and deep
//! recursion in top-level code. Each either works or is refused with an
//! error that says where and why; none takes the app down, and fixing the
//! file recovers by itself.

mod common;

use common::Harness;

const COUNTER: &str = "let ticks = 0;\nfn on_update(dt) { ticks += 1; }\n";

fn write_bytes(h: &Harness, relative: &str, bytes: &[u8]) {
    let path = h.path(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let mut h = Harness::new();
    write_bytes(
        &h,
        "scripts/bom.rhai",
        format!("\u{feff}{COUNTER}").as_bytes(),
    );
    let entity = h.spawn("scripts/bom.rhai");
    h.run_until_ready(entity);
    h.updates(2);
    assert!(h.state::<i64>(entity, "ticks").unwrap() >= 2);
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}

#[test]
fn bytes_that_are_not_utf8_are_named_by_line_and_column() {
    let mut h = Harness::new();
    h.write("scripts/bytes.rhai", COUNTER);
    let entity = h.spawn("scripts/bytes.rhai");
    h.run_until_ready(entity);

    let mut broken = b"let ticks = 0;\nlet name = \"caf".to_vec();
    broken.push(0xe9); // Latin-1 'é'
    broken.extend_from_slice(b"\";\nfn on_update(dt) { ticks += 100; }\n");
    write_bytes(&h, "scripts/bytes.rhai", &broken);
    h.notify_modified("scripts/bytes.rhai");
    h.run_until_errors(1);
    let error = h.errors()[0].to_string();
    assert!(
        error.starts_with("scripts/bytes.rhai:2:16: the file is not UTF-8 text: byte 0xe9"),
        "{error}"
    );
    let ticks = h.state::<i64>(entity, "ticks").unwrap();
    h.update();
    assert_eq!(
        h.state::<i64>(entity, "ticks").unwrap(),
        ticks + 1,
        "the last good version runs on, with its state"
    );

    h.edit("scripts/bytes.rhai", &COUNTER.replace("+= 1", "+= 100"));
    h.run_until("the fixed file goes live", |world| {
        let mut states = world.query::<&bevy_rhai_hot::prelude::ScriptState>();
        let state = states.single(world).unwrap();
        state.get_as::<i64>("ticks").unwrap() >= ticks + 100
    });
}

#[test]
fn more_lines_than_rhai_counts_are_refused_clearly() {
    let mut h = Harness::new();
    h.write("scripts/long.rhai", COUNTER);
    let entity = h.spawn("scripts/long.rhai");
    h.run_until_ready(entity);

    let long = format!(
        "{COUNTER}{}fn later() {{ throw \"far down\" }}\n",
        "\n".repeat(70_000)
    );
    h.edit("scripts/long.rhai", &long);
    h.run_until_errors(1);
    let error = h.errors()[0].to_string();
    assert!(
        error.starts_with("scripts/long.rhai:1:1: the script has 70003 lines")
            && error.contains("over 65535 lines"),
        "{error}"
    );
    let ticks = h.state::<i64>(entity, "ticks").unwrap();
    h.update();
    assert_eq!(h.state::<i64>(entity, "ticks").unwrap(), ticks + 1);
}

#[test]
fn one_very_long_line_works_and_reports_its_errors() {
    let mut h = Harness::new();
    let padding = "x".repeat(80_000);
    let line = format!(
        "let ticks = 0; let pad = \"{padding}\"; fn on_update(dt) {{ ticks += 1; if ticks == 3 {{ throw \"three\" }} }}\n"
    );
    h.write("scripts/wide.rhai", &line);
    let entity = h.spawn("scripts/wide.rhai");
    h.run_until_ready(entity);
    h.run_until_errors(1);
    let error = h.errors()[0].to_string();
    assert!(
        error.starts_with("scripts/wide.rhai:1:") && error.contains("three"),
        "{error}"
    );
    h.update();
    assert!(h.state::<i64>(entity, "ticks").unwrap() > 3, "it runs on");

    // An edit to the long line's function goes live as a whole version.
    h.edit(
        "scripts/wide.rhai",
        &line.replace("ticks += 1", "ticks += 10"),
    );
    h.run_until("the edit goes live", |world| {
        let mut states = world.query::<&bevy_rhai_hot::prelude::ScriptState>();
        states
            .single(world)
            .unwrap()
            .get_as::<i64>("ticks")
            .unwrap()
            >= 20
    });
}

#[test]
fn deep_recursion_in_top_level_code_fits_the_stack() {
    let mut h = Harness::new();
    // 45 levels: legal under Rhai's default limit of 48 call levels, and
    // more than a small thread stack holds in a debug build.
    h.write(
        "scripts/deep.rhai",
        "fn down(n) { if n == 0 { 0 } else { 1 + down(n - 1) } }\nlet depth = down(45);\nfn on_update(dt) {}\n",
    );
    let deep = h.spawn("scripts/deep.rhai");
    h.run_until_ready(deep);
    assert_eq!(h.state::<i64>(deep, "depth"), Some(45));

    h.write(
        "scripts/endless.rhai",
        "fn down(n) { down(n + 1) }\nlet depth = down(0);\nfn on_update(dt) {}\n",
    );
    h.spawn("scripts/endless.rhai");
    h.run_until_errors(1);
    let error = h.errors()[0].to_string();
    assert!(
        error.starts_with("scripts/endless.rhai:2:") && error.contains("call depth limit"),
        "{error}"
    );
}
