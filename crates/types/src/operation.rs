//! Writes the portal started, and how they ended.

use serde::{Deserialize, Serialize};

use crate::{RegistryKey, ReplicationName};

/// What kind of write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    /// PUT of a new replication.
    Create,
    /// PATCH of routing or tags.
    Update,
    /// DELETE.
    Delete,
}

/// Where a write stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationState {
    /// ARM accepted it and is working.
    Running,
    /// ARM finished it.
    Succeeded,
    /// ARM reported a failure.
    Failed,
    /// ARM could not be asked (credential or network outage): the operation may still finish
    /// there, so it is neither failed nor done; the portal keeps asking until its deadline.
    Unknown,
}

/// One write, as `GET /api/v1/operations[/{id}]` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// Portal-assigned id.
    pub id: String,
    /// Create, update or delete.
    pub kind: OperationKind,
    /// The registry.
    pub registry: RegistryKey,
    /// The replication.
    pub replication: ReplicationName,
    /// Running, succeeded or failed.
    pub state: OperationState,
    /// ARM's error, when failed.
    #[serde(default)]
    pub error: Option<String>,
    /// When the portal sent it (RFC 3339).
    pub started_at: String,
    /// When it ended (RFC 3339).
    #[serde(default)]
    pub ended_at: Option<String>,
    /// The audit record of the write.
    #[serde(default)]
    pub audit_id: Option<i64>,
}
