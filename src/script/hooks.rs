//! The script functions the plugin calls by name.

/// Called every frame with the frame's delta time in seconds.
pub(crate) const ON_UPDATE: &str = "on_update";
/// Called once per entity when its script first compiled.
pub(crate) const INIT: &str = "init";
/// Called per entity after its script was reloaded.
pub(crate) const ON_RELOAD: &str = "on_reload";
/// Called when the script is detached from its entity.
pub(crate) const ON_DETACH: &str = "on_detach";

/// The script function that handles event `event_name`: `on_<event_name>`.
pub fn handler_name(event_name: &str) -> String {
    format!("on_{event_name}")
}
