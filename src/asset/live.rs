//! The live version of each script path, shared between the loader (which
//! patches new versions against it) and the reload system (which sets it),
//! and the loads of each path in flight, so that overlapping saves settle
//! on the last one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use crate::script::{CompiledScript, ScriptError};

/// The build of one text on one base version, shared by the loads of a
/// path that overlap (a save the watcher reports twice, the read after
/// overlapping saves): a big script's build takes seconds of a core the
/// game needs. `None` when the script imports modules: those loads build
/// on their own.
pub(crate) type SharedBuild = Arc<OnceLock<Option<Result<Arc<CompiledScript>, ScriptError>>>>;

/// The live version of each script by asset path, shared with the asset
/// loader: it builds a new version as a patch of the live one.
#[derive(Clone, Default)]
pub(crate) struct LiveByPath {
    live: Arc<RwLock<HashMap<String, Arc<CompiledScript>>>>,
    loads: Arc<Mutex<HashMap<String, PathLoads>>>,
}

/// The loads of one path.
#[derive(Default)]
struct PathLoads {
    in_flight: u32,
    /// Whether two loads of the path ran at once since the path last
    /// settled: the one that finished last need not be the last save.
    overlapped: bool,
    /// Builds of the loads in flight, by content hash and base version.
    builds: HashMap<(u64, Option<u64>), SharedBuild>,
}

/// Counts a load of a path as in flight until it is dropped.
pub(crate) struct LoadInFlight {
    live: LiveByPath,
    path: String,
}

impl Drop for LoadInFlight {
    fn drop(&mut self) {
        let mut loads = self.live.lock_loads();
        if let Some(path_loads) = loads.get_mut(&self.path) {
            path_loads.in_flight = path_loads.in_flight.saturating_sub(1);
            if path_loads.in_flight == 0 {
                path_loads.builds.clear();
            }
        }
    }
}

impl LiveByPath {
    pub(crate) fn get(&self, path: &str) -> Option<Arc<CompiledScript>> {
        let map = self.live.read().unwrap_or_else(PoisonError::into_inner);
        map.get(path).cloned()
    }

    pub(crate) fn set(&self, compiled: Arc<CompiledScript>) {
        let mut map = self.live.write().unwrap_or_else(PoisonError::into_inner);
        map.insert(compiled.path().to_owned(), compiled);
    }

    pub(crate) fn remove(&self, path: &str) {
        let mut map = self.live.write().unwrap_or_else(PoisonError::into_inner);
        map.remove(path);
    }

    fn lock_loads(&self) -> std::sync::MutexGuard<'_, HashMap<String, PathLoads>> {
        self.loads.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks a load of `path` as started; it ends when the guard drops.
    pub(crate) fn begin_load(&self, path: &str) -> LoadInFlight {
        let mut loads = self.lock_loads();
        let path_loads = loads.entry(path.to_owned()).or_default();
        path_loads.in_flight += 1;
        if path_loads.in_flight > 1 {
            path_loads.overlapped = true;
        }
        LoadInFlight {
            live: self.clone(),
            path: path.to_owned(),
        }
    }

    /// The build of `path`'s text with `content_hash` on the version with
    /// `built_on`, shared with the other loads of it in flight.
    pub(crate) fn shared_build(
        &self,
        path: &str,
        content_hash: u64,
        built_on: Option<u64>,
    ) -> SharedBuild {
        let mut loads = self.lock_loads();
        let path_loads = loads.entry(path.to_owned()).or_default();
        (path_loads.builds.entry((content_hash, built_on)))
            .or_default()
            .clone()
    }

    /// Whether `path`'s loads overlapped and have all finished: the file
    /// must then be read once more, so that its last save goes live
    /// whatever order the overlapping loads finished in. Answers `true`
    /// once per overlap.
    pub(crate) fn take_settled_overlap(&self, path: &str) -> bool {
        let mut loads = self.lock_loads();
        match loads.get_mut(path) {
            Some(path_loads) if path_loads.in_flight == 0 && path_loads.overlapped => {
                path_loads.overlapped = false;
                true
            }
            _ => false,
        }
    }
}
