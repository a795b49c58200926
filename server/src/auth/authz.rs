//! The one place that decides what a caller may do. Routes ask here before they act; nothing
//! else compares roles.

use replimap_store::AuditScope;
use replimap_types::{ErrorCode, RegistryKey, Role};

use crate::caller::Caller;
use crate::error::AppError;

/// What needs which role, in the words the refusal uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See a registry: the map, the table, the stream, its activity.
    Read,
    /// Create, change or delete a registry's replicas.
    Write,
}

impl Action {
    /// The role the action needs.
    pub fn needs(self) -> Role {
        match self {
            Self::Read => Role::Viewer,
            Self::Write => Role::Operator,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Read => "Seeing",
            Self::Write => "Creating, changing or deleting replicas of",
        }
    }
}

/// Allows `action` on the registry, or says why not. A registry the caller may not even see
/// answers as if it did not exist (404), so names outside one's scope cannot be probed; one
/// the caller sees but may not change answers 403 naming the missing role.
pub fn require(caller: &Caller, action: Action, key: &RegistryKey) -> Result<Role, AppError> {
    let Some(role) = caller.role_on(key) else {
        return Err(AppError::new(
            ErrorCode::RegistryNotFound,
            format!("Registry '{}' is not among the registries you may see.", key.name),
        ));
    };
    if role >= action.needs() {
        return Ok(role);
    }
    Err(AppError::new(
        ErrorCode::Forbidden,
        format!(
            "{} '{}' needs the {} role; {} has {role} on it.",
            action.describe(),
            key.name,
            action.needs(),
            caller.who()
        ),
    ))
}

/// Allows what needs admin on every registry (tokens, everyone's activity): an admin bound
/// to some registries could otherwise mint a token for all of them.
pub fn require_global_admin(caller: &Caller, what: &str) -> Result<(), AppError> {
    if is_global_admin(caller) {
        return Ok(());
    }
    Err(AppError::new(
        ErrorCode::Forbidden,
        format!("{what} needs the admin role on every registry; {} has {}.", caller.who(), held(caller)),
    ))
}

/// Admin with a grant on every registry.
pub fn is_global_admin(caller: &Caller) -> bool {
    caller.grants.iter().any(|g| g.role == Role::Admin && g.registries.iter().any(|p| matches!(p.trim(), "*" | "**")))
}

/// Whether the caller may see the registry.
pub fn can_read(caller: &Caller, key: &RegistryKey) -> bool {
    caller.role_on(key).is_some()
}

/// Which audit records the caller may read: everything for a global admin; otherwise the
/// records of the registries they may see (of those the portal watches), and none that name
/// no registry (token changes, sign-ins: an admin's business).
pub fn audit_scope(caller: &Caller, watched: impl IntoIterator<Item = RegistryKey>) -> Option<AuditScope> {
    if is_global_admin(caller) {
        return None;
    }
    Some(AuditScope {
        registries: watched.into_iter().filter(|k| can_read(caller, k)).collect(),
        include_unscoped: false,
    })
}

/// "viewer on 2 patterns, operator on 1", for refusals.
fn held(caller: &Caller) -> String {
    if caller.grants.is_empty() {
        return "no role".into();
    }
    let parts: Vec<String> =
        caller.grants.iter().map(|g| format!("{} on {}", g.role, g.registries.join(", "))).collect();
    parts.join("; ")
}
