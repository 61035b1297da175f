//! Top-level `const`s, visible inside every function of their script.
//!
//! Rhai functions cannot see a script's top-level constants. Two mechanisms
//! close the gap:
//! - when a version compiles, constant values are folded into function
//!   bodies (`Engine::optimize_ast`), which covers plain uses such as
//!   `SPEED * dt` at no cost per call;
//! - Rhai's optimizer leaves a constant alone where it is the object of a
//!   method call or an index (`POINTS.len()`, `POINTS[i]`), so the engine's
//!   variable resolver (in `engine::context`) looks those up among the
//!   running script's constants.

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

    /// Whether `other` has the same constants with the same values.
    pub(crate) fn same_values(&self, other: &ScriptConstants) -> bool {
        self.values.len() == other.values.len()
            && self.values.iter().zip(&other.values).all(|(a, b)| {
                a.0 == b.0
                    && a.1.type_id() == b.1.type_id()
                    && format!("{:?}", a.1) == format!("{:?}", b.1)
            })
    }
}
