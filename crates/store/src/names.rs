//! The stored spelling of each enum: the API's wire names, so a row reads the same in a
//! SQL shell as in the API, and CHECK constraints in the migrations list exactly these.

use replimap_types::{OperationKind, OperationState};

/// The roles an API token may carry, as `api_tokens.role`'s CHECK lists them.
pub(crate) const ROLES: [&str; 3] = ["viewer", "operator", "admin"];

pub(crate) fn kind(k: OperationKind) -> &'static str {
    match k {
        OperationKind::Create => "create",
        OperationKind::Update => "update",
        OperationKind::Delete => "delete",
    }
}

pub(crate) fn parse_kind(s: &str) -> Option<OperationKind> {
    [OperationKind::Create, OperationKind::Update, OperationKind::Delete].into_iter().find(|k| kind(*k) == s)
}

pub(crate) fn state(s: OperationState) -> &'static str {
    match s {
        OperationState::Running => "running",
        OperationState::Succeeded => "succeeded",
        OperationState::Failed => "failed",
        OperationState::Unknown => "unknown",
    }
}

pub(crate) fn parse_state(s: &str) -> Option<OperationState> {
    [OperationState::Running, OperationState::Succeeded, OperationState::Failed, OperationState::Unknown]
        .into_iter()
        .find(|st| state(*st) == s)
}

/// Names are folded the way `replimap-types` compares them (per character, Unicode lower
/// case), in Rust on both the writing and the filtering side, so the engines' own `lower()`
/// (ASCII only in SQLite) never decides what matches.
pub(crate) fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_are_the_wire_names() {
        for k in [OperationKind::Create, OperationKind::Update, OperationKind::Delete] {
            assert_eq!(serde_json::to_value(k).unwrap(), kind(k));
            assert_eq!(parse_kind(kind(k)), Some(k));
        }
        for s in [OperationState::Running, OperationState::Succeeded, OperationState::Failed, OperationState::Unknown] {
            assert_eq!(serde_json::to_value(s).unwrap(), state(s));
            assert_eq!(parse_state(state(s)), Some(s));
        }
        assert_eq!(fold("Platform-PROD"), "platform-prod");
    }
}
