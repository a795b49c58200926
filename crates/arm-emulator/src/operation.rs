//! The record of one long-running operation, as `operationStatuses` reports it, and what a
//! handler asks for when it starts one (`ops.rs` runs them).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpKind {
    CreateReplica,
    UpdateReplica,
    DeleteReplica,
    DeleteRegistry,
}

impl OpKind {
    /// The status word while running. The real RP answers "Creating" rather
    /// than ARM's "InProgress" (arm-facts §3).
    pub(crate) fn running_status(self) -> &'static str {
        match self {
            Self::CreateReplica => "Creating",
            Self::UpdateReplica => "Updating",
            Self::DeleteReplica | Self::DeleteRegistry => "Deleting",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Operation {
    /// Operation id, e.g. `replications-<uuid>` (last path segment of the URL).
    pub name: String,
    pub kind: OpKind,
    /// Resource id of the registry the operation works on.
    pub registry_id: String,
    /// Replica name, for replica operations.
    pub replica: Option<String>,
    /// Path of the polling URL without query: `…/operationStatuses/{name}`
    /// (Azure-AsyncOperation) or `…/operationResults/{name}` (Location).
    pub poll_path: String,
    pub status: String,
    pub start_time: String,
    pub end_time: Option<String>,
    pub due: Instant,
    pub error: Option<(String, String)>,
    /// Injected by a `failReplicaIn` fault: the create ends Failed with this.
    pub failure: Option<(String, String)>,
}

impl Operation {
    pub fn is_running(&self) -> bool {
        self.end_time.is_none()
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
    pub registry_id: String,
    pub replica: Option<String>,
    /// Builds the polling path from the generated operation id.
    pub poll_path: Box<dyn Fn(&str) -> String>,
    pub delay: Duration,
    pub failure: Option<(String, String)>,
}
