//! Typed methods share a name and an arity (`fn string.calc(x)`,
//! `fn int.calc(x)`): patches tell them apart by the type of `this`, as Rhai
//! does, so an edit of one of them goes live as a patch of that one alone.

mod common;

use common::Harness;

fn script(string_body: &str) -> String {
    format!(
        "let got = [];\n\
         fn string.calc(x) {{ {string_body} }}\n\
         fn int.calc(x) {{ this * x }}\n\
         fn calc(x) {{ x + 1 }}\n\
         fn on_update() {{ got = [\"abc\".calc(1), 3.calc(2), calc(5)]; }}\n"
    )
}

#[test]
fn an_edit_of_one_typed_method_goes_live() {
    let mut h = Harness::new();
    h.write("scripts/typed.rhai", &script("this.len + x"));
    let entity = h.spawn("scripts/typed.rhai");
    h.run_until_ready(entity);
    h.update();
    assert_eq!(h.state::<Vec<i64>>(entity, "got"), Some(vec![4, 6, 6]));

    h.edit("scripts/typed.rhai", &script("this.len * 100 + x"));
    h.run_until_reloads(1);
    let reload = &h.reloads()[0];
    assert_eq!(reload.kind, bevy_rhai_hot::prelude::ReloadKind::Patched);
    assert_eq!(reload.changed, ["string.calc"]);
    h.update();
    assert_eq!(h.state::<Vec<i64>>(entity, "got"), Some(vec![301, 6, 6]));
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}

#[test]
fn removing_one_typed_method_keeps_the_others() {
    let mut h = Harness::new();
    h.write("scripts/typed.rhai", &script("this.len + x"));
    let entity = h.spawn("scripts/typed.rhai");
    h.run_until_ready(entity);
    h.update();

    let without_string = script("this.len + x")
        .replace("fn string.calc(x) { this.len + x }\n", "")
        .replace("\"abc\".calc(1), ", "");
    h.edit("scripts/typed.rhai", &without_string);
    h.run_until_reloads(1);
    assert_eq!(h.reloads()[0].removed, ["string.calc"]);
    h.update();
    assert_eq!(h.state::<Vec<i64>>(entity, "got"), Some(vec![6, 6]));
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}
