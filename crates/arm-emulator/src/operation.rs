//! The record of one long-running operation, as `operationStatuses` reports it, and what a
//! handler asks for when it starts one (`ops.rs` runs them).

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum OpKind {
    CreateReplica,
    UpdateReplica,
    DeleteReplica,
    DeleteRegistry,
    DeleteResourceGroup,
}

impl OpKind {
    /// The status word while running. The real RP answers "Creating" rather
    /// than ARM's "InProgress" (arm-facts §3).
    pub(crate) fn running_status(self) -> &'static str {
        match self {
            Self::CreateReplica => "Creating",
            Self::UpdateReplica => "Updating",
            Self::DeleteReplica | Self::DeleteRegistry | Self::DeleteResourceGroup => "Deleting",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Operation {
    /// Operation id, e.g. `replications-<uuid>` (last path segment of the URL).
    pub name: String,
    pub kind: OpKind,
    /// Resource id the operation works on: the registry, or the resource
    /// group for [`OpKind::DeleteResourceGroup`].
    pub target: String,
    /// Replica name, for replica operations.
    pub replica: Option<String>,
    /// Path of the polling URL without query: `…/operationStatuses/{name}`
    /// (Azure-AsyncOperation) or `…/operationResults/{name}` (Location).
    pub poll_path: String,
    pub status: String,
    /// `startTime` as reported (RFC 3339 of `started_at`).
    pub start_time: String,
    pub end_time: Option<String>,
    /// Wall-clock start and length: what the state file keeps, because an
    /// [`Instant`] means nothing to the next process.
    pub started_at: OffsetDateTime,
    pub duration: Duration,
    /// When the operation finishes, on this process's monotonic clock.
    pub due: Instant,
    pub error: Option<(String, String)>,
    /// Injected by a `failReplicaIn` fault: the create ends Failed with this.
    pub failure: Option<(String, String)>,
}

impl Operation {
    pub fn is_running(&self) -> bool {
        self.end_time.is_none()
    }

    /// The wall-clock time the operation was due: finishing it later (the
    /// store is advanced lazily, or the emulator was down) still reports it
    /// ended on time.
    pub fn due_at(&self, now: OffsetDateTime) -> OffsetDateTime {
        (self.started_at + self.duration).min(now)
    }

    /// Body of `GET …/operationStatuses/{id}` (common-types `OperationStatusResult`).
    pub fn status_body(&self) -> Value {
        let mut body = json!({
            "id": self.poll_path,
            "name": self.name,
            "status": self.status,
            "startTime": self.start_time,
        });
        if let Some(end) = &self.end_time {
            body["endTime"] = end.clone().into();
        }
        if let Some((code, message)) = &self.error {
            body["error"] = json!({ "code": code, "message": message });
        }
        body
    }
}

/// What a handler asks for when it starts an operation.
pub(crate) struct OpRequest {
    pub kind: OpKind,
    pub target: String,
    pub replica: Option<String>,
    /// The operation id; `None` lets the store make one up (`replications-<uuid>`).
    pub name: Option<String>,
    /// Builds the polling path from the operation id.
    pub poll_path: Box<dyn Fn(&str) -> String>,
    pub delay: Duration,
    pub failure: Option<(String, String)>,
}
