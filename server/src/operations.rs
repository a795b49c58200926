//! The writes this portal started: state, error and timing, for `/api/v1/operations`, and
//! the follower that waits for ARM to finish each one.
//!
//! Kept in memory and bounded: an operator looks at recent history, and ARM's activity
//! log is the durable record.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use replimap_arm::LroPoller;
use replimap_types::{Operation, OperationKind, OperationState, RegistryKey, ReplicationName, StatusEvent};

use crate::hub::stamp_now;
use crate::state::AppState;

const KEEP: usize = 500;

/// Shared, cheap to clone.
#[derive(Clone, Default)]
pub struct Operations {
    inner: Arc<Mutex<VecDeque<Operation>>>,
}

impl Operations {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Operation>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a write ARM accepted; returns it.
    pub fn start(&self, kind: OperationKind, registry: RegistryKey, replication: ReplicationName) -> Operation {
        let op = Operation {
            id: uuid::Uuid::new_v4().to_string(),
            kind,
            registry,
            replication,
            state: OperationState::Running,
            error: None,
            started_at: stamp_now(),
            ended_at: None,
        };
        let mut ops = self.lock();
        if ops.len() == KEEP {
            ops.pop_front();
        }
        ops.push_back(op.clone());
        op
    }

    /// Marks a write finished.
    pub fn finish(&self, id: &str, error: Option<String>) {
        if let Some(op) = self.lock().iter_mut().find(|o| o.id == id) {
            op.state = if error.is_some() { OperationState::Failed } else { OperationState::Succeeded };
            op.error = error;
            op.ended_at = Some(stamp_now());
        }
    }

    /// Newest first.
    pub fn list(&self) -> Vec<Operation> {
        self.lock().iter().rev().cloned().collect()
    }

    /// One by id.
    pub fn get(&self, id: &str) -> Option<Operation> {
        self.lock().iter().find(|o| o.id == id).cloned()
    }
}

/// Records the write and follows its long-running operation in the background; a failure
/// becomes an `operation_failed` event. The poller is nudged at the end either way, so the
/// map shows ARM's final truth.
pub fn follow(
    state: &AppState,
    kind: OperationKind,
    key: RegistryKey,
    name: ReplicationName,
    poller: Option<LroPoller>,
) -> Operation {
    let op = state.operations.start(kind, key.clone(), name.clone());
    let hub = state.hub.clone();
    let ops = state.operations.clone();
    let id = op.id.clone();
    hub.nudge(&key);
    tokio::spawn(async move {
        let result = match poller {
            Some(p) => p.wait().await,
            None => Ok(()),
        };
        match result {
            Ok(()) => ops.finish(&id, None),
            Err(e) => {
                tracing::warn!(registry = %key, replication = %name, error = %e, "replication operation failed");
                ops.finish(&id, Some(e.public_message()));
                hub.publish(StatusEvent::OperationFailed { registry: key.clone(), name, message: e.public_message() });
            }
        }
        hub.nudge(&key);
    });
    op
}
