//! What callers hand the store and get back, besides the wire types of `replimap-types`
//! (`AuditRecord`, `Operation`) that are stored as they are shown.

use replimap_types::{AuditAction, AuditOutcome, Operation, RegistryKey, ReplicationName};

/// A write attempt about to be made; [`crate::Store::audit_begin`] records it as `pending`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAudit {
    /// When the attempt arrived (ms since the epoch).
    pub at_ms: i64,
    /// Who asked.
    pub actor: String,
    /// Where that identity came from (`local`, `proxy`, `session`, `token:<id>`).
    pub actor_source: String,
    /// The client's address as the portal saw it.
    pub client_ip: String,
    /// The portal's request id.
    pub request_id: String,
    /// The correlation id sent to ARM.
    pub correlation_id: String,
    /// The registry written to.
    pub registry: Option<RegistryKey>,
    /// The region the write is about (compared without regard to case).
    pub region: Option<String>,
    /// The replication written to.
    pub replication: Option<ReplicationName>,
    /// What was attempted.
    pub action: AuditAction,
    /// The requested values.
    pub request: serde_json::Value,
}

/// What happened to a write since it was recorded. Every field is optional: set what is
/// known now. A field already stored keeps its first value (the audit trail is never
/// rewritten); a new value for it is ignored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditChange {
    /// The new outcome; it must be a legal forward move (see [`crate::outcome_may_move`]).
    pub outcome: Option<AuditOutcome>,
    /// ARM's `x-ms-request-id` of its first answer.
    pub arm_request_id: Option<String>,
    /// When ARM answered the write itself (ms since the epoch).
    pub answered_at_ms: Option<i64>,
    /// Milliseconds ARM took to answer.
    pub arm_ms: Option<u64>,
    /// The portal operation that follows the write.
    pub operation_id: Option<String>,
    /// The error code when refused or failed.
    pub code: Option<String>,
    /// The error message when refused or failed.
    pub message: Option<String>,
    /// When this change happened (ms since the epoch); becomes `ended_at` when the outcome
    /// becomes final.
    pub at_ms: i64,
}

/// Which records [`crate::Store::audit_list`] returns; unset fields do not filter. Registry
/// and region match without regard to case, as ARM compares them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    /// Records about this registry.
    pub registry: Option<RegistryKey>,
    /// Records about this region.
    pub region: Option<String>,
    /// Records of this actor (exact).
    pub actor: Option<String>,
    /// Records of this action.
    pub action: Option<AuditAction>,
    /// Records with this outcome now.
    pub outcome: Option<AuditOutcome>,
    /// Records whose `at` is at or after this (ms since the epoch).
    pub since_ms: Option<i64>,
    /// Records whose `at` is before this (ms since the epoch; exclusive).
    pub until_ms: Option<i64>,
    /// Records older than this id: the cursor of the previous page.
    pub before_id: Option<i64>,
}

/// An operation with what the portal needs to keep following it after a restart.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOperation {
    /// The operation as the API shows it. `started_at`/`ended_at` are stored as
    /// milliseconds and come back in the wire form (`…T12:00:00.000Z`).
    pub operation: Operation,
    /// Where ARM said to poll for the outcome, when it said.
    pub monitor: Option<Monitor>,
    /// When the portal gives up asking and settles the operation (ms since the epoch).
    pub deadline_ms: i64,
}

/// An ARM long-running-operation monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Monitor {
    /// Which header it came from, which decides how its answers read.
    pub kind: MonitorKind,
    /// The URL to poll.
    pub url: String,
}

/// The header an ARM monitor URL came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MonitorKind {
    /// `Azure-AsyncOperation`: answers carry a `status`.
    AsyncOperation,
    /// `Location`: 202 while running, then the final answer.
    Location,
}

impl MonitorKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AsyncOperation => "async_operation",
            Self::Location => "location",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::AsyncOperation, Self::Location].into_iter().find(|k| k.as_str() == s)
    }
}

/// The result of claiming an idempotency key (IETF httpapi `Idempotency-Key` draft).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is now this request's: handle it, then complete or release the claim.
    New,
    /// The same request is being handled right now (answer 409).
    InProgress,
    /// The key was used for a different request (answer 422).
    Mismatch,
    /// The same request was answered already: replay this answer.
    Done(StoredResponse),
}

/// An answer kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers worth replaying, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}
