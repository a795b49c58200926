//! The one error envelope of the portal API.

use serde::{Deserialize, Serialize};

/// Machine-readable error code. Unknown codes from a newer server parse as `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body or path is malformed.
    BadRequest,
    /// A name does not follow ARM's rules.
    InvalidName,
    /// The location is not an Azure region.
    UnknownRegion,
    /// The region exists but does not accept replicas.
    RegionNotAvailable,
    /// The location is the registry's home region.
    HomeRegion,
    /// The registry already has a replica in that region.
    AlreadyReplicated,
    /// The registry is not known to the portal.
    RegistryNotFound,
    /// No such replication, or no such API path.
    NotFound,
    /// The API path exists, the method does not (the answer's `Allow` header lists those that do).
    MethodNotAllowed,
    /// The registry's SKU does not support geo-replication.
    NotReplicable,
    /// The home replica cannot be deleted.
    HomeReplica,
    /// The state-changing request lacked the CSRF header or came from another origin.
    CsrfRejected,
    /// The request carries no identity the portal accepts (sign in, or send a valid API token).
    Unauthenticated,
    /// The identity is known but lacks the role for this action on this registry; the message
    /// names the role needed.
    Forbidden,
    /// ARM refused the request; the message carries ARM's code and text.
    Upstream,
    /// ARM throttled the portal; retry later.
    Throttled,
    /// ARM could not be reached.
    Unavailable,
    /// ARM did not answer within the portal's bound.
    UpstreamTimeout,
    /// The store cannot record the write, so it was not sent to Azure.
    StoreUnavailable,
    /// The `Idempotency-Key` was used before with another request.
    IdempotencyKeyReused,
    /// The first request with this `Idempotency-Key` is still being processed.
    IdempotencyKeyInUse,
    /// The request body is larger than the portal accepts (`http.max_body_bytes`).
    PayloadTooLarge,
    /// A limit of the portal was reached (open event streams); the message names the setting.
    LimitReached,
    /// Something went wrong in the portal itself.
    Internal,
    /// A code this build does not know.
    #[serde(other)]
    Unknown,
}

/// Body of every non-2xx portal response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    /// What kind of error.
    pub code: ErrorCode,
    /// A sentence a person can act on.
    pub message: String,
    /// The portal request id, to find the matching log line.
    #[serde(default)]
    pub request_id: Option<String>,
}
