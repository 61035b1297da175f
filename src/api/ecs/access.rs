//! Which reflected types scripts may reach, and finding them by name.

use std::any::TypeId;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock};

use bevy::ecs::reflect::ReflectComponent;
use bevy::prelude::*;
use bevy::reflect::{TypeRegistration, TypeRegistry};

use crate::api::did_you_mean;
use crate::runtime::{Script, ScriptState};

/// Which components and resources scripts may see and change.
///
/// By default every type registered for reflection with
/// `#[reflect(Component)]` or `#[reflect(Resource)]` is reachable. A denied
/// type is unreachable by every path (field access, `has`, queries,
/// `insert`, `remove`, spawning, resources), and scripts are told it does
/// not exist; a read-only type can be read but not written, inserted or
/// removed.
///
/// ```
/// # use bevy::prelude::*;
/// # use bevy_rhai_hot::prelude::*;
/// #[derive(Component, Reflect)]
/// #[reflect(Component)]
/// struct AdminToken;
///
/// #[derive(Component, Reflect)]
/// #[reflect(Component)]
/// struct Player;
///
/// let plugin = RhaiPlugin::default()
///     .with_access(ScriptAccess::default().deny::<AdminToken>().read_only::<Player>());
/// ```
#[derive(Clone, Debug, Default)]
pub struct ScriptAccess {
    /// When set, only these types are reachable.
    only: Option<HashSet<TypeId>>,
    denied: HashSet<TypeId>,
    read_only: HashSet<TypeId>,
}

impl ScriptAccess {
    /// Makes `T` reachable, and from the first call on, only the types
    /// allowed this way (an allow list).
    #[must_use]
    pub fn allow<T: 'static>(mut self) -> Self {
        self.only.get_or_insert_default().insert(TypeId::of::<T>());
        self
    }

    /// Makes `T` unreachable for scripts.
    #[must_use]
    pub fn deny<T: 'static>(mut self) -> Self {
        self.denied.insert(TypeId::of::<T>());
        self
    }

    /// Lets scripts read `T` but not change, insert or remove it.
    #[must_use]
    pub fn read_only<T: 'static>(mut self) -> Self {
        self.read_only.insert(TypeId::of::<T>());
        self
    }

    /// Whether scripts may reach `type_id` at all. The plugin's own
    /// bookkeeping (`Script`, `ScriptState`) is never reachable.
    pub fn permits(&self, type_id: TypeId) -> bool {
        type_id != TypeId::of::<Script>()
            && type_id != TypeId::of::<ScriptState>()
            && !self.denied.contains(&type_id)
            && self
                .only
                .as_ref()
                .is_none_or(|only| only.contains(&type_id))
    }

    /// Whether scripts may change `type_id`.
    pub fn permits_writes(&self, type_id: TypeId) -> bool {
        self.permits(type_id) && !self.read_only.contains(&type_id)
    }
}

/// A name scripts used, resolved once: the type, how to reach it, and
/// whether scripts may change it.
pub(crate) struct Resolved {
    pub(crate) target: Target,
    pub(crate) reflect: ReflectComponent,
    pub(crate) writable: bool,
    /// For building values a write adds (list items, enum variants).
    pub(crate) registry: AppTypeRegistry,
}

/// The names scripts have used, resolved against the app's type registry
/// under its [`ScriptAccess`].
#[derive(Resource)]
pub(crate) struct ReflectedTypes {
    registry: AppTypeRegistry,
    access: ScriptAccess,
    components: RwLock<HashMap<Box<str>, Arc<Resolved>>>,
    resources: RwLock<HashMap<Box<str>, Arc<Resolved>>>,
}

impl ReflectedTypes {
    pub(crate) fn new(registry: AppTypeRegistry, access: ScriptAccess) -> Self {
        Self {
            registry,
            access,
            components: RwLock::default(),
            resources: RwLock::default(),
        }
    }

    pub(crate) fn registry(&self) -> &AppTypeRegistry {
        &self.registry
    }

    /// Calls `f` for each registered component (`false`) and resource
    /// (`true`) type scripts may reach.
    pub(crate) fn for_each_reachable(&self, mut f: impl FnMut(&TypeRegistration, bool)) {
        let registry = self.registry.read();
        for registration in registry.iter() {
            if !self.access.permits(registration.type_id()) {
                continue;
            }
            if Kind::Resource.matches(registration) {
                f(registration, true);
            } else if Kind::Component.matches(registration) {
                f(registration, false);
            }
        }
    }

    /// What `name` stands for among components or resources; resolved
    /// names are kept, so each is looked up in the registry once.
    pub(crate) fn lookup(&self, kind: Kind, name: &str) -> Result<Arc<Resolved>, String> {
        let known = match kind {
            Kind::Component => &self.components,
            Kind::Resource => &self.resources,
        };
        if let Some(resolved) = known
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
        {
            return Ok(resolved.clone());
        }
        let registry = self.registry.read();
        let target = resolve(&registry, &self.access, kind, name)?;
        let reflect = registry
            .get_type_data::<ReflectComponent>(target.type_id)
            .cloned()
            .ok_or_else(|| format!("{} does not reflect as a component", target.name))?;
        let resolved = Arc::new(Resolved {
            target,
            reflect,
            writable: self.access.permits_writes(target.type_id),
            registry: self.registry.clone(),
        });
        let mut known = known.write().unwrap_or_else(PoisonError::into_inner);
        known.insert(name.into(), resolved.clone());
        Ok(resolved)
    }
}

/// What a name stands for: a reflected component or resource type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Target {
    pub(crate) type_id: TypeId,
    pub(crate) name: &'static str,
}

/// Whether a name is looked up among components or resources.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Component,
    Resource,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Component => "component",
            Kind::Resource => "resource",
        }
    }

    fn matches(self, registration: &TypeRegistration) -> bool {
        match self {
            Kind::Component => {
                registration.data::<ReflectComponent>().is_some()
                    && registration.data::<ReflectResource>().is_none()
            }
            Kind::Resource => registration.data::<ReflectResource>().is_some(),
        }
    }
}

/// Finds the type `name` stands for: a short type name (`Health`) or, where
/// that is ambiguous, a full type path.
pub(crate) fn resolve(
    registry: &TypeRegistry,
    access: &ScriptAccess,
    kind: Kind,
    name: &str,
) -> Result<Target, String> {
    let registration = registry
        .get_with_short_type_path(name)
        .or_else(|| registry.get_with_type_path(name))
        .filter(|registration| {
            kind.matches(registration) && access.permits(registration.type_id())
        });
    if let Some(registration) = registration {
        return Ok(Target {
            type_id: registration.type_id(),
            name: registration.type_info().type_path_table().short_path(),
        });
    }
    if registry.is_ambiguous(name) {
        return Err(format!(
            "several types are named {name}: give the full type path (for example \"my_game::{name}\")"
        ));
    }
    let known = registry
        .iter()
        .filter(|registration| kind.matches(registration) && access.permits(registration.type_id()))
        .map(|registration| registration.type_info().type_path_table().short_path());
    let hint = did_you_mean(name, known).unwrap_or_else(|| {
        format!(
            "register it with app.register_type::<{name}>() and #[reflect({})]",
            if kind == Kind::Component {
                "Component"
            } else {
                "Resource"
            }
        )
    });
    Err(format!(
        "no {} named '{name}' is available to scripts; {hint}",
        kind.word()
    ))
}
