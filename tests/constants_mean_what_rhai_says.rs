//! Top-level constants are visible in every function, and shadowed exactly
//! where Rhai binds the same name: parameters, loop and `catch` variables,
//! closure parameters and captures, names `eval` defines. `global::NAME`
//! works in handlers as in Rhai's top-level code, constants that are
//! function pointers work with `call` and `.call`, and a constant of an
//! app type that changes is never taken for unchanged.

mod common;

use common::Harness;
use rhai::{Dynamic, Engine};
use serde_json::{Value, json};

const SHADOWING: &str = r#"
const K = 5;
const M = #{ a: 1 };
const ARR = [1, 2, 3];
const F = |x| x + 1;
const KEY = 42;

let results = #{};
let kept = |K| K * 3;

fn param(K) { K * 2 }
fn loop_variable() { let total = 0; for K in [100] { total = K; } total }
fn catch_variable() { let caught = 0; try { throw 100; } catch (K) { caught = K; } caught }
fn closure_parameter() { let g = |K| K + 1; g.call(100) }
fn switch_on_parameter(K) { switch K { 100 => "parameter", 5 => "constant", _ => "other" } }
fn map_parameter(M) { M.a }
fn captured() { let ARR = [9]; let g = || ARR.len(); g.call() }
fn coalesce(K) { K ?? 0 }
fn evaluated() { eval("let K = 100;"); K }
fn block_constant() { const K = 100; K }
fn call_constant_function() { call(F, 2) }
fn call_constant_method() { F.call(2) }
fn constant_in_helper() { K * 2 }
fn method_on_constant() { ARR.len() }
fn global_constant() { global::KEY }

fn init() {
    results = #{
        param: param(100),
        loop_variable: loop_variable(),
        catch_variable: catch_variable(),
        closure_parameter: closure_parameter(),
        switch_on_parameter: switch_on_parameter(100),
        map_parameter: map_parameter(#{ a: 100 }),
        captured: captured(),
        coalesce: coalesce(()),
        evaluated: evaluated(),
        block_constant: block_constant(),
        kept_closure: kept.call(100),
        call_constant_function: call_constant_function(),
        call_constant_method: call_constant_method(),
        constant_in_helper: constant_in_helper(),
        method_on_constant: method_on_constant(),
        global_constant: global_constant(),
        global_in_handler: global::KEY,
    };
}
"#;

/// What Rhai gives for each function called from the script's own top
/// level, where it can see the constants too.
fn raw_rhai(function: &str) -> Dynamic {
    let call = match function {
        "param" => "param(100)",
        "switch_on_parameter" => "switch_on_parameter(100)",
        "map_parameter" => "map_parameter(#{ a: 100 })",
        "coalesce" => "coalesce(())",
        "kept_closure" => "kept.call(100)",
        "global_in_handler" => "global::KEY",
        other => {
            return Engine::new()
                .eval(&format!("{SHADOWING}\n{other}()"))
                .unwrap();
        }
    };
    Engine::new().eval(&format!("{SHADOWING}\n{call}")).unwrap()
}

#[test]
fn names_bind_as_in_rhai_and_constants_fill_the_rest() {
    let mut h = Harness::new();
    h.write("scripts/shadowing.rhai", SHADOWING);
    let entity = h.spawn("scripts/shadowing.rhai");
    h.run_until_ready(entity);
    h.update();
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    let results: serde_json::Map<String, Value> = h.state(entity, "results").unwrap();

    let expected = [
        ("param", json!(200)),
        ("loop_variable", json!(100)),
        ("catch_variable", json!(100)),
        ("closure_parameter", json!(101)),
        ("switch_on_parameter", json!("parameter")),
        ("map_parameter", json!(100)),
        ("captured", json!(1)),
        ("coalesce", json!(0)),
        ("evaluated", json!(100)),
        ("block_constant", json!(100)),
        ("kept_closure", json!(300)),
        ("global_in_handler", json!(42)),
        // Rhai alone cannot see constants in functions: these are what the
        // plugin adds.
        ("call_constant_function", json!(3)),
        ("call_constant_method", json!(3)),
        ("constant_in_helper", json!(10)),
        ("method_on_constant", json!(3)),
        ("global_constant", json!(42)),
    ];
    for (index, (function, value)) in expected.iter().enumerate() {
        assert_eq!(results.get(*function), Some(value), "{function}");
        if index < 12 {
            // Called from Rhai's own top level: the same value.
            let raw = serde_json::to_value(raw_rhai(function)).unwrap();
            assert_eq!(&raw, value, "Rhai's {function}");
        }
    }
    assert_eq!(results.len(), expected.len());
}

#[test]
fn a_changed_constant_of_an_app_type_is_never_taken_for_unchanged() {
    let mut h = Harness::new();
    let text = |x: f32| {
        format!(
            "const START = start();\nlet x = 0.0;\nfn start() {{ vec3({x:.1}, 2.0, 3.0) }}\nfn plain() {{ START }}\nfn on_update() {{ x = plain().x; }}\n"
        )
    };
    h.write("scripts/start.rhai", &text(1.0));
    let first = h.spawn("scripts/start.rhai");
    h.run_until_ready(first);
    h.update();
    assert_eq!(h.state::<f64>(first, "x"), Some(1.0));

    h.edit("scripts/start.rhai", &text(5.0));
    h.run_until_reloads(1);
    h.update();
    assert_eq!(h.state::<f64>(first, "x"), Some(5.0), "the running entity");
    let second = h.spawn("scripts/start.rhai");
    h.run_until_ready(second);
    h.update();
    assert_eq!(
        h.state::<f64>(second, "x"),
        Some(5.0),
        "an entity spawned after"
    );
}

#[test]
fn a_patch_calls_the_scripts_own_function_under_full_optimization() {
    let plugin = bevy_rhai_hot::RhaiPlugin::default().with_engine(|engine| {
        engine.set_optimization_level(rhai::OptimizationLevel::Full);
    });
    let mut h = Harness::with(plugin, |_| {});
    let text = |body: &str| {
        format!(
            "let got = \"\";\nfn max(a, b) {{ \"script max\" }}\nfn g() {{ {body} }}\nfn on_update() {{ got = g(); }}\n"
        )
    };
    h.write("scripts/max.rhai", &text("max(2, 1)"));
    let entity = h.spawn("scripts/max.rhai");
    h.run_until_ready(entity);
    h.update();
    assert_eq!(
        h.state::<String>(entity, "got").as_deref(),
        Some("script max")
    );

    h.edit("scripts/max.rhai", &text("let unused = 0; max(2, 1)"));
    h.run_until_reloads(1);
    h.update();
    assert_eq!(
        h.state::<String>(entity, "got").as_deref(),
        Some("script max")
    );
    assert!(
        h.reloads()[0].changed.contains(&"g".to_owned()),
        "{:?}",
        h.reloads()
    );
}

#[test]
fn a_patch_that_adds_a_parameter_named_like_a_constant_binds_it() {
    let mut h = Harness::new();
    let v1 = "const K = 5;\nlet a = 0;\nlet b = 0;\nfn f() { K }\nfn on_update() { a = f(); }\n";
    let v2 = "const K = 5;\nlet a = 0;\nlet b = 0;\nfn f() { K }\nfn g(K) { K * 2 }\nfn on_update() { a = f(); b = g(100); }\n";
    h.write("scripts/k.rhai", v1);
    let entity = h.spawn("scripts/k.rhai");
    h.run_until_ready(entity);
    h.update();
    assert_eq!(h.state::<i64>(entity, "a"), Some(5));

    h.edit("scripts/k.rhai", v2);
    h.run_until_reloads(1);
    h.update();
    assert_eq!(h.reloads()[0].kind, bevy_rhai_hot::ReloadKind::Patched);
    assert_eq!(h.state::<i64>(entity, "a"), Some(5));
    assert_eq!(h.state::<i64>(entity, "b"), Some(200));
}
