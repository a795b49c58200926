//! Events on `GET /api/v1/events` (server-sent events, JSON in `data:`).

use serde::{Deserialize, Serialize};

use crate::{RegistryKey, RegistrySummary, Replication, ReplicationName};

/// Everything known about one watched registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryState {
    /// The registry.
    pub registry: RegistrySummary,
    /// Its replications, sorted by name.
    pub replications: Vec<Replication>,
    /// Why the last poll failed, if it did (the data above is then the last good one).
    #[serde(default)]
    pub error: Option<String>,
}

/// One message of the status stream. The first message on every connection is a
/// `snapshot`; the rest are deltas against it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StatusEvent {
    /// The full state of every watched registry.
    Snapshot {
        /// One entry per registry.
        registries: Vec<RegistryState>,
    },
    /// A replication appeared or changed.
    ReplicationUpserted {
        /// Its registry.
        registry: RegistryKey,
        /// Its new state.
        replication: Replication,
    },
    /// A replication is gone.
    ReplicationRemoved {
        /// Its registry.
        registry: RegistryKey,
        /// Its name.
        name: ReplicationName,
    },
    /// A write the portal started ended in error; the message is for people.
    OperationFailed {
        /// Its registry.
        registry: RegistryKey,
        /// The replication the write was for.
        name: ReplicationName,
        /// What ARM said.
        message: String,
    },
    /// Polling a registry started or stopped failing.
    RegistryError {
        /// The registry.
        registry: RegistryKey,
        /// The error, or `None` once polling works again.
        error: Option<String>,
    },
}
