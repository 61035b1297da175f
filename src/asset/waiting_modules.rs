//! Scripts that wait for a module file that could not be read.
//!
//! A module the importer read is a dependency Bevy follows: its edits load
//! the importer again. A file that could not be read is no dependency, so
//! nothing would load the importer when the file appears; the plugin looks
//! for such files a few times a second, through the asset source's reader
//! (so any source works, watched or not), and loads the waiting scripts
//! again once their modules are there.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use bevy::asset::AssetPath;
use bevy::platform::time::Instant;
use bevy::prelude::*;
use bevy::tasks::{IoTaskPool, Task, block_on, futures_lite::future};

use super::RhaiScript;

/// How often missing module files are looked for.
const LOOK_EVERY: Duration = Duration::from_millis(250);

/// Missing module files and the scripts that wait for them.
#[derive(Resource, Default)]
pub(crate) struct WaitingForModules {
    waiting: HashMap<String, HashSet<AssetId<RhaiScript>>>,
    looking: Option<Task<Vec<String>>>,
    last_look: Option<Instant>,
}

/// Whether some script waits for a module file (see
/// [`reload_when_modules_appear`]).
pub(crate) fn scripts_wait_for_modules(waiting: Res<WaitingForModules>) -> bool {
    !waiting.waiting.is_empty() || waiting.looking.is_some()
}

/// Keeps [`WaitingForModules`] up to date and loads a waiting script again
/// when a module it waits for appears.
pub(crate) fn reload_when_modules_appear(
    mut waiting: ResMut<WaitingForModules>,
    mut events: MessageReader<AssetEvent<RhaiScript>>,
    scripts: Res<Assets<RhaiScript>>,
    asset_server: Res<AssetServer>,
) {
    for event in events.read() {
        let (AssetEvent::Added { id } | AssetEvent::Modified { id }) = *event else {
            continue;
        };
        for scripts in waiting.waiting.values_mut() {
            scripts.remove(&id);
        }
        if let Some(script) = scripts.get(id) {
            for module in script.waiting_on() {
                waiting
                    .waiting
                    .entry(module.clone())
                    .or_default()
                    .insert(id);
            }
        }
        waiting.waiting.retain(|_, scripts| !scripts.is_empty());
    }

    if let Some(task) = &mut waiting.looking {
        let Some(found) = block_on(future::poll_once(task)) else {
            return;
        };
        waiting.looking = None;
        for module in found {
            for id in waiting.waiting.remove(&module).unwrap_or_default() {
                if let Some(path) = asset_server.get_path(id) {
                    debug!("{module} appeared: loading {path} again");
                    asset_server.reload(path.into_owned());
                }
            }
        }
    }

    let due = waiting
        .last_look
        .is_none_or(|last| last.elapsed() >= LOOK_EVERY);
    if waiting.waiting.is_empty() || !due {
        return;
    }
    waiting.last_look = Some(Instant::now());
    let modules: Vec<String> = waiting.waiting.keys().cloned().collect();
    let asset_server = asset_server.clone();
    waiting.looking = Some(IoTaskPool::get().spawn(async move {
        let mut found = Vec::new();
        for module in modules {
            let path = AssetPath::from(PathBuf::from(&module));
            let Ok(source) = asset_server.get_source(path.source().clone_owned()) else {
                continue;
            };
            if source.reader().read(path.path()).await.is_ok() {
                found.push(module);
            }
        }
        found
    }));
}
