//! Typed methods share a name and an arity (`fn string.calc(x)`,
//! `fn int.calc(x)`): an edit of one of them goes live, never silently
//! dropped.

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
    h.update();
    assert_eq!(h.state::<Vec<i64>>(entity, "got"), Some(vec![301, 6, 6]));
    assert!(h.errors().is_empty(), "{:?}", h.errors());
}
