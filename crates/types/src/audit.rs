//! The audit trail: one record per write attempt (a replication written, a token created or
//! revoked, a sign-in), as `GET /api/v1/audit` returns it and the event stream's `activity`
//! event carries it.
//!
//! A record is written before the portal acts (calls ARM, issues a token) and completed as
//! the write goes on (refused, accepted, then succeeded or failed); no API edits or deletes one. Times are
//! RFC 3339 in UTC with milliseconds, so they sort as text.

use serde::{Deserialize, Serialize};

use crate::{RegistryKey, ReplicationName};

/// What was attempted. New kinds of write (plans) add variants; the store keeps the wire
/// name without a CHECK, so a new variant needs no migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// PUT of a replication.
    CreateReplication,
    /// PATCH of a replication's routing or tags.
    UpdateReplication,
    /// DELETE of a replication.
    DeleteReplication,
    /// An API token issued (its secret is shown once and never recorded).
    CreateToken,
    /// An API token revoked, with the device sessions it had enrolled.
    RevokeToken,
    /// A person signed in (OpenID Connect), or tried to.
    SignIn,
    /// A person signed out.
    SignOut,
    /// A wall screen exchanged an API token for a device session.
    EnrollDevice,
}

impl AuditAction {
    /// Every action, for filters and documentation.
    pub const ALL: [Self; 8] = [
        Self::CreateReplication,
        Self::UpdateReplication,
        Self::DeleteReplication,
        Self::CreateToken,
        Self::RevokeToken,
        Self::SignIn,
        Self::SignOut,
        Self::EnrollDevice,
    ];

    /// The wire name (`create_replication`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreateReplication => "create_replication",
            Self::UpdateReplication => "update_replication",
            Self::DeleteReplication => "delete_replication",
            Self::CreateToken => "create_token",
            Self::RevokeToken => "revoke_token",
            Self::SignIn => "sign_in",
            Self::SignOut => "sign_out",
            Self::EnrollDevice => "enroll_device",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// How far a write got. Moves forward only: `pending` → `refused` | `accepted`; `pending` or
/// `accepted` → `succeeded` | `failed` | `unknown`; and `unknown` → `succeeded` | `failed`, for
/// an answer that comes after all (the store enforces it: `replimap_store::outcome_may_move`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// Recorded; ARM has not answered yet.
    Pending,
    /// Refused, by the portal or by ARM's first answer; `code` says why. Nothing changed.
    Refused,
    /// ARM accepted it and is working (a long-running operation).
    Accepted,
    /// ARM finished it.
    Succeeded,
    /// ARM reported a failure.
    Failed,
    /// The portal could not learn the outcome (ARM unreachable until the operation's deadline,
    /// or the portal stopped between recording and ARM's answer).
    Unknown,
}

impl AuditOutcome {
    /// Every outcome, for filters and documentation.
    pub const ALL: [Self; 6] =
        [Self::Pending, Self::Refused, Self::Accepted, Self::Succeeded, Self::Failed, Self::Unknown];

    /// The wire name (`succeeded`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Refused => "refused",
            Self::Accepted => "accepted",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// Whether nothing more will happen to the record.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Refused | Self::Succeeded | Self::Failed | Self::Unknown)
    }
}

/// One write attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// Increasing: a later attempt has a larger id. Cursors page by it.
    pub id: i64,
    /// When the attempt arrived.
    pub at: String,
    /// Who asked: the identity the request carried (`local` in local mode).
    pub actor: String,
    /// Where that identity came from (`local`, later `proxy`, `session`, `token:<id>`).
    pub actor_source: String,
    /// The role the identity held when the portal decided (`viewer`, `operator`, `admin`);
    /// absent when it held none (a refused sign-in, records from before roles). Skipped when
    /// absent so records without roles read as before on the wire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_role: Option<String>,
    /// The client's address as the portal saw it.
    pub client_ip: String,
    /// The portal's request id (`x-request-id`).
    pub request_id: String,
    /// Sent to ARM as `x-ms-correlation-request-id`; ARM's activity log shows it.
    pub correlation_id: String,
    /// ARM's `x-ms-request-id` of its first answer, when it answered.
    #[serde(default)]
    pub arm_request_id: Option<String>,
    /// The registry written to.
    pub registry: Option<RegistryKey>,
    /// The region the write is about.
    #[serde(default)]
    pub region: Option<String>,
    /// The replication written to.
    #[serde(default)]
    pub replication: Option<ReplicationName>,
    /// What was attempted.
    pub action: AuditAction,
    /// The requested values, as the portal understood them. The page never reads them, and
    /// a JSON value reader is 2.5 KB of its WASM, so the browser skips them.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub request: serde_json::Value,
    /// How far it got.
    pub outcome: AuditOutcome,
    /// The error code when refused or failed (the portal's, or ARM's).
    #[serde(default)]
    pub code: Option<String>,
    /// The error message when refused or failed.
    #[serde(default)]
    pub message: Option<String>,
    /// The portal operation that follows it, when ARM accepted it.
    #[serde(default)]
    pub operation_id: Option<String>,
    /// When ARM answered the write itself.
    #[serde(default)]
    pub answered_at: Option<String>,
    /// When the outcome became final.
    #[serde(default)]
    pub ended_at: Option<String>,
    /// Milliseconds ARM took to answer the write itself.
    #[serde(default)]
    pub arm_ms: Option<u64>,
}

/// A page of `GET /api/v1/audit`, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    /// The records.
    pub items: Vec<AuditRecord>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
        }
        let names: std::collections::HashSet<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), AuditAction::ALL.len(), "wire names are distinct");
        assert_eq!(AuditAction::EnrollDevice.as_str(), "enroll_device");
        for o in AuditOutcome::ALL {
            assert_eq!(AuditOutcome::parse(o.as_str()), Some(o));
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
        assert_eq!(AuditOutcome::parse("Succeeded"), None, "wire names are exact");
    }

    #[test]
    fn actor_role_is_optional_on_the_wire() {
        let old = serde_json::json!({
            "id": 1, "at": "2026-11-30T12:00:00.000Z", "actor": "local", "actorSource": "local",
            "clientIp": "127.0.0.1", "requestId": "r1", "correlationId": "c1", "registry": null,
            "action": "sign_in", "request": null, "outcome": "succeeded",
        });
        let mut record: AuditRecord = serde_json::from_value(old).unwrap();
        assert_eq!(record.actor_role, None, "records written before roles still read");
        assert_eq!(serde_json::to_value(&record).unwrap().get("actorRole"), None, "absent, not null");
        record.actor_role = Some("operator".into());
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["actorRole"], "operator");
        assert_eq!(serde_json::from_value::<AuditRecord>(json).unwrap(), record);
    }
}
