//! What callers hand the store and get back, besides the wire types of `replimap-types`
//! (`AuditRecord`, `Operation`) that are stored as they are shown.

use std::fmt;

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
    /// The role the identity held for the decision (`viewer`, `operator`, `admin`), or
    /// `None` when it held none. Stored as given: the trail records what was decided with.
    pub actor_role: Option<String>,
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
    /// Only what the caller may see; `None` shows everything.
    pub visible: Option<AuditScope>,
}

/// The part of the trail a caller may see: records about the registries in its scope, and
/// records about no registry (sign-ins, tokens) only when it may see those too. An empty
/// scope without them shows nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditScope {
    /// Registries whose records are visible, matched as [`AuditFilter::registry`] is. A few
    /// thousand are fine: they travel as one bound value, not one placeholder each.
    pub registries: Vec<RegistryKey>,
    /// Whether records about no registry are visible.
    pub include_unscoped: bool,
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

/// An API token as stored. The caller makes the secret and its hash; the store keeps the
/// hash only, and never shows it in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiTokenRow {
    /// The short random public id the caller chose (part of the token's text).
    pub id: String,
    /// What the creator called it.
    pub name: String,
    /// Hex SHA-256 of the secret.
    pub secret_hash: String,
    /// `viewer`, `operator` or `admin`; anything else is refused as [`crate::StoreError::Corrupt`].
    pub role: String,
    /// Registry patterns the token may act on; `["*"]` means all.
    pub registries: Vec<String>,
    /// Who created it.
    pub created_by: String,
    /// When it was created (ms since the epoch).
    pub created_at_ms: i64,
    /// When it stops working (ms since the epoch; exclusive).
    pub expires_at_ms: i64,
    /// When it was last presented (ms since the epoch).
    pub last_used_at_ms: Option<i64>,
    /// When it was revoked (ms since the epoch).
    pub revoked_at_ms: Option<i64>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
}

impl ApiTokenRow {
    /// Whether the token works at `now_ms`: not revoked and not expired.
    pub fn is_active(&self, now_ms: i64) -> bool {
        self.revoked_at_ms.is_none() && now_ms < self.expires_at_ms
    }
}

impl fmt::Debug for ApiTokenRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiTokenRow")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("secret_hash", &"<redacted>")
            .field("role", &self.role)
            .field("registries", &self.registries)
            .field("created_by", &self.created_by)
            .field("created_at_ms", &self.created_at_ms)
            .field("expires_at_ms", &self.expires_at_ms)
            .field("last_used_at_ms", &self.last_used_at_ms)
            .field("revoked_at_ms", &self.revoked_at_ms)
            .field("revoked_by", &self.revoked_by)
            .finish()
    }
}

/// A server-side session: a signed-in person, or a device enrolled with an API token.
/// `Debug` never shows the delegated tokens.
#[derive(Clone, PartialEq)]
pub struct SessionRow {
    /// Hex SHA-256 of the cookie value; the value itself is never stored.
    pub id_hash: String,
    /// The identity the server resolved; opaque to the store.
    pub subject: serde_json::Value,
    /// The API token a device session was enrolled with; `None` for a signed-in person.
    pub token_id: Option<String>,
    /// When it began (ms since the epoch).
    pub created_at_ms: i64,
    /// When a request last carried it (ms since the epoch).
    pub last_seen_at_ms: i64,
    /// When it ends however active it is (ms since the epoch; exclusive).
    pub expires_at_ms: i64,
    /// The person's tokens for acting as them (opaque to the store), when there are any.
    pub delegated: Option<serde_json::Value>,
}

impl SessionRow {
    /// Whether the session still holds at `now_ms` for an idle limit of `idle_ms`: the
    /// opposite of what [`crate::Store::sessions_purge`] deletes, to the millisecond.
    ///
    /// A device session (a wall screen enrolled with a token) has no idle limit: a screen left
    /// showing one event stream over a long weekend makes no request to touch it, and must still
    /// be enrolled on Monday. Its token's expiry (its absolute expiry) and revocation end it.
    pub fn is_live(&self, now_ms: i64, idle_ms: i64) -> bool {
        now_ms < self.expires_at_ms
            && (self.token_id.is_some() || self.last_seen_at_ms >= now_ms.saturating_sub(idle_ms))
    }
}

impl fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRow")
            .field("id_hash", &self.id_hash)
            .field("subject", &self.subject)
            .field("token_id", &self.token_id)
            .field("created_at_ms", &self.created_at_ms)
            .field("last_seen_at_ms", &self.last_seen_at_ms)
            .field("expires_at_ms", &self.expires_at_ms)
            .field("delegated", &self.delegated.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// An OpenID Connect sign-in in flight: what the callback needs to check the provider's
/// answer. `Debug` never shows the PKCE verifier.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginStateRow {
    /// The `state` sent to the provider, which it hands back.
    pub state: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// The PKCE code verifier.
    pub pkce_verifier: String,
    /// Where to send the person once signed in.
    pub return_to: String,
    /// When the sign-in began (ms since the epoch).
    pub created_at_ms: i64,
    /// When the callback stops accepting it (ms since the epoch; exclusive).
    pub expires_at_ms: i64,
}

impl fmt::Debug for LoginStateRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginStateRow")
            .field("state", &self.state)
            .field("nonce", &self.nonce)
            .field("pkce_verifier", &"<redacted>")
            .field("return_to", &self.return_to)
            .field("created_at_ms", &self.created_at_ms)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}
