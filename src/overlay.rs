//! An on-screen list of the script errors that hold now, on top of the
//! game (feature `overlay`).

use bevy::prelude::*;

use crate::plugin::RhaiSystems;
use crate::runtime::CurrentScriptErrors;

/// Shows every current script error on top of the game: file, line and
/// column, the message and the source line with a caret, as in the log. It
/// follows [`CurrentScriptErrors`]: it updates as errors come and go and
/// disappears when all are fixed. It is UI without buttons, so it takes no
/// keyboard or mouse input from the game.
///
/// Needs Bevy's UI: the `overlay` feature turns on `bevy_ui`; an app that
/// renders also needs Bevy's UI renderer (`bevy_ui_render`, part of
/// `DefaultPlugins` with Bevy's default features).
///
/// ```no_run
/// # use bevy::prelude::*;
/// # use bevy_rhai_hot::prelude::*;
/// App::new().add_plugins((DefaultPlugins, RhaiPlugin::default(), ScriptErrorOverlay::default()));
/// ```
#[derive(Clone, Debug)]
pub struct ScriptErrorOverlay {
    /// The most errors shown at once; the rest are counted in a last line.
    pub max_shown: usize,
    /// The panel's background.
    pub background: Color,
    /// The text's size.
    pub font_size: f32,
}

impl Default for ScriptErrorOverlay {
    fn default() -> Self {
        Self {
            max_shown: 6,
            background: OVERLAY_BACKGROUND,
            font_size: 13.0,
        }
    }
}

/// The default panel colour: a dark red, apart from any game's palette.
pub const OVERLAY_BACKGROUND: Color = Color::srgba(0.42, 0.03, 0.06, 0.94);

/// The overlay's root node.
#[derive(Component, Debug)]
pub struct ScriptErrorOverlayRoot;

/// The overlay's text.
#[derive(Component, Debug)]
struct OverlayText;

#[derive(Resource, Clone)]
struct OverlaySettings(ScriptErrorOverlay);

impl Plugin for ScriptErrorOverlay {
    fn build(&self, app: &mut App) {
        app.insert_resource(OverlaySettings(self.clone()))
            .add_systems(Startup, spawn_overlay)
            .add_systems(Update, show_errors.after(RhaiSystems::Update));
    }
}

fn spawn_overlay(mut commands: Commands, settings: Res<OverlaySettings>) {
    let settings = &settings.0;
    commands
        .spawn((
            ScriptErrorOverlayRoot,
            Node {
                position_type: PositionType::Absolute,
                left: px(8),
                top: px(8),
                max_width: percent(96),
                padding: UiRect::all(px(8)),
                ..default()
            },
            BackgroundColor(settings.background),
            GlobalZIndex(i32::MAX - 1),
            Visibility::Hidden,
        ))
        .with_child((
            OverlayText,
            Text::new(""),
            TextFont::from_font_size(settings.font_size),
            TextColor(Color::WHITE),
        ));
}

/// Rewrites the text when the list of errors changed.
fn show_errors(
    errors: Res<CurrentScriptErrors>,
    settings: Res<OverlaySettings>,
    mut root: Query<&mut Visibility, With<ScriptErrorOverlayRoot>>,
    mut text: Query<&mut Text, With<OverlayText>>,
) {
    if !errors.is_changed() {
        return;
    }
    let mut shown: Vec<_> = errors.iter().map(|(_, error)| error).collect();
    shown.sort_by(|a, b| {
        let (a, b) = (a.location(), b.location());
        (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column))
    });
    let max = settings.0.max_shown.max(1);
    let mut lines: Vec<String> = shown
        .iter()
        .take(max)
        .map(|error| format!("{error:#}"))
        .collect();
    if shown.len() > max {
        lines.push(format!("... and {} more", shown.len() - max));
    }
    for mut visibility in &mut root {
        *visibility = if shown.is_empty() {
            Visibility::Hidden
        } else {
            Visibility::Inherited
        };
    }
    for mut text in &mut text {
        text.0 = lines.join("\n\n");
    }
}
