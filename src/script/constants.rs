//! Top-level `const`s, visible inside every function of their script.
//!
//! Rhai functions cannot see a script's top-level constants. The engine's
//! variable resolver (in `engine::context`) closes the gap: a name that no
//! parameter, `let`, loop, `catch`, closure capture or `eval` binds where
//! it is used is looked up among the running script's constants. Names are
//! bound exactly as Rhai binds them, so a parameter `K` hides `const K`.
//!
//! Folding the values into function bodies with Rhai's optimizer would be
//! cheaper per read, but the optimizer replaces names that a parameter,
//! a loop variable or a capture shadows, so the values are looked up when
//! read instead.
//!
//! `global::NAME` reaches the constants the way Rhai's own `global` module
//! does in top-level code: the handlers of a script that writes it import
//! the constants as a module named `global` (see `modules`).

use rhai::Dynamic;

/// The constants of one script version.
#[derive(Debug, Default)]
pub(crate) struct ScriptConstants {
    /// One bit per (first byte, length) class of the names present, so that
    /// looking up an ordinary variable usually costs one test.
    classes: u64,
    values: Vec<(String, Dynamic)>,
}

fn class_bit(name: &str) -> u64 {
    let first = name.as_bytes().first().copied().unwrap_or(0) as usize;
    1 << ((first * 7 + name.len()) % 64)
}

impl ScriptConstants {
    pub(crate) fn push(&mut self, name: &str, value: Dynamic) {
        self.classes |= class_bit(name);
        match self.values.iter_mut().find(|(known, _)| known == name) {
            Some((_, known_value)) => *known_value = value,
            None => self.values.push((name.to_owned(), value)),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Dynamic> {
        if self.classes & class_bit(name) == 0 {
            return None;
        }
        self.values
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value)
    }

    /// Whether `other` has the same constants with the same values. Values
    /// that cannot be compared reliably count as different.
    pub(crate) fn same_values(&self, other: &ScriptConstants) -> bool {
        self.values.len() == other.values.len()
            && (self.values.iter().zip(&other.values))
                .all(|(a, b)| a.0 == b.0 && surely_equal(&a.1, &b.1))
    }

    /// The constants as a module's variables, for `global::NAME`.
    pub(crate) fn to_module(&self) -> rhai::Module {
        let mut module = rhai::Module::new();
        for (name, value) in &self.values {
            module.set_var(name.as_str(), value.clone());
        }
        module.build_index();
        module
    }
}

/// Whether `a` and `b` are certainly the same value. Rhai's own values are
/// compared by value; of the app's types, the math and transform types
/// the plugin registers are too. Any other type (its `Debug` text may
/// print only the type's name) is never called equal, so that a changed
/// value cannot go unnoticed.
fn surely_equal(a: &Dynamic, b: &Dynamic) -> bool {
    use bevy::math::{Quat, Vec2, Vec3};
    use bevy::transform::components::Transform;
    use rhai::{Array, Blob, ImmutableString, Map};

    if a.type_id() != b.type_id() {
        return false;
    }
    macro_rules! by_value {
        ($($kind:ty),*) => {
            $(if let (Some(a), Some(b)) = (a.read_lock::<$kind>(), b.read_lock::<$kind>()) {
                return *a == *b;
            })*
        };
    }
    by_value!(
        (),
        bool,
        rhai::INT,
        rhai::FLOAT,
        char,
        ImmutableString,
        Blob,
        Vec2,
        Vec3,
        Quat,
        Transform,
        bevy::ecs::entity::Entity
    );
    if let (Some(a), Some(b)) = (a.read_lock::<Array>(), b.read_lock::<Array>()) {
        return a.len() == b.len() && a.iter().zip(b.iter()).all(|(a, b)| surely_equal(a, b));
    }
    if let (Some(a), Some(b)) = (a.read_lock::<Map>(), b.read_lock::<Map>()) {
        return a.len() == b.len()
            && (a.iter()).all(|(key, a)| b.get(key).is_some_and(|b| surely_equal(a, b)));
    }
    false
}
