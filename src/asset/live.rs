//! The live version of each script path, shared between the loader (which
//! patches new versions against it) and the reload system (which sets it).

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use crate::script::CompiledScript;

/// The live version of each script by asset path, shared with the asset
/// loader: it builds a new version as a patch of the live one.
#[derive(Clone, Default)]
pub(crate) struct LiveByPath(Arc<RwLock<HashMap<String, Arc<CompiledScript>>>>);

impl LiveByPath {
    pub(crate) fn get(&self, path: &str) -> Option<Arc<CompiledScript>> {
        let map = self.0.read().unwrap_or_else(PoisonError::into_inner);
        map.get(path).cloned()
    }

    pub(crate) fn set(&self, compiled: Arc<CompiledScript>) {
        let mut map = self.0.write().unwrap_or_else(PoisonError::into_inner);
        map.insert(compiled.path().to_owned(), compiled);
    }

    pub(crate) fn remove(&self, path: &str) {
        let mut map = self.0.write().unwrap_or_else(PoisonError::into_inner);
        map.remove(path);
    }
}
