//! Writes ARM accepted, made durable: each is stored with ARM's monitor URL before its `202`
//! goes back, followed to its end, and followed again after a restart (graceful or `kill -9`)
//! under the same operation id.
//!
//! While ARM cannot be asked (a credential or network outage), an operation is `unknown`, not
//! failed: ARM may still finish it. It is asked again, with back-off, until its deadline.

use std::time::Duration;

use replimap_arm::{ArmError, LroPoller, LroStatus, Monitor};
use replimap_store::{MonitorKind, StoredOperation};
use replimap_types::{
    AuditOutcome, Operation, OperationKind, OperationState, RegistryKey, ReplicationName, StatusEvent,
};

use crate::audit::{self, Attempt};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// How long an operation is followed. Replicas of large registries take long to sync, but
/// one that runs longer than this is reported as unknown rather than followed forever.
const DEADLINE: Duration = Duration::from_secs(6 * 3600);
/// Longest wait between two asks while ARM cannot be reached.
const MAX_RETRY: Duration = Duration::from_secs(60);

/// Stores the write ARM accepted, marks its audit record accepted, and follows it in the
/// background; the poller is nudged so the map shows ARM's truth.
pub async fn start(
    state: &AppState,
    attempt: &Attempt,
    kind: OperationKind,
    key: RegistryKey,
    replication: ReplicationName,
    poller: Option<LroPoller>,
) -> Operation {
    let now = audit::now_ms();
    let operation = Operation {
        id: uuid::Uuid::new_v4().to_string(),
        kind,
        registry: key.clone(),
        replication,
        state: OperationState::Running,
        error: None,
        started_at: replimap_store::clock::format_ms(now).unwrap_or_default(),
        ended_at: None,
        audit_id: Some(attempt.id()),
    };
    let monitor = poller.as_ref().map(|p| {
        let (kind, url) = p.monitor();
        replimap_store::Monitor { kind: monitor_kind(kind), url }
    });
    let stored =
        StoredOperation { operation: operation.clone(), monitor, deadline_ms: now + DEADLINE.as_millis() as i64 };
    // ARM has accepted the write: it cannot be refused any more, so a store failure here is
    // logged and the operation followed in memory (it is then not resumed after a restart).
    if let Err(e) = state.store.operation_insert(&stored).await {
        state.audit_counters.store_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::error!(operation = %operation.id, error = %e, "could not store an operation ARM accepted");
    }
    attempt.accepted(&operation.id).await;
    state.hub.nudge(&key);
    tokio::spawn(follow(state.clone(), stored, poller.map(Ok)));
    operation
}

/// Follows every operation a previous run left unfinished.
pub async fn resume(state: &AppState) -> anyhow::Result<usize> {
    let unfinished = state.store.operations_unfinished().await?;
    for stored in &unfinished {
        let correlation = match stored.operation.audit_id {
            Some(id) => state.store.audit_get(id).await.ok().flatten().map(|r| r.correlation_id),
            None => None,
        };
        let arm = correlation.map_or_else(|| state.arm.clone(), |c| state.arm.correlated(&c));
        let poller = stored.monitor.as_ref().map(|m| LroPoller::resume(&arm, arm_monitor(m.kind), &m.url));
        tracing::info!(operation = %stored.operation.id, registry = %stored.operation.registry, "resuming an operation");
        tokio::spawn(follow(state.clone(), stored.clone(), poller));
    }
    Ok(unfinished.len())
}

/// Asks ARM until the operation ends or its deadline passes.
async fn follow(state: AppState, stored: StoredOperation, poller: Option<Result<LroPoller, ArmError>>) {
    let op = &stored.operation;
    let mut poller = match poller {
        // ARM finished the write in its first answer.
        None => return finish(&state, op, Ok(())).await,
        Some(Err(e)) => return finish(&state, op, Err(e)).await,
        Some(Ok(p)) => p,
    };
    let mut failures = 0u32;
    let mut unknown = op.state == OperationState::Unknown;
    loop {
        if audit::now_ms() > stored.deadline_ms {
            return finish_unknown(&state, op, "Azure gave no final answer before the portal's deadline.").await;
        }
        let wait = match poller.poll().await {
            Ok(LroStatus::Succeeded) => return finish(&state, op, Ok(())).await,
            Ok(LroStatus::Failed(e)) => return finish(&state, op, Err(e)).await,
            Ok(LroStatus::InProgress) => {
                failures = 0;
                if unknown {
                    unknown = false;
                    set_state(&state, op, OperationState::Running, None).await;
                }
                poller.retry_after()
            }
            Err(e) if e.is_transient() => {
                if !unknown {
                    unknown = true;
                    tracing::warn!(operation = %op.id, error = %e, "cannot ask ARM how an operation stands; it is unknown until ARM answers");
                    set_state(&state, op, OperationState::Unknown, Some(e.public_message())).await;
                }
                failures = failures.saturating_add(1);
                replimap_types::backoff(poller.retry_after(), MAX_RETRY, failures, 1.0)
            }
            Err(e) => return finish(&state, op, Err(e)).await,
        };
        tokio::time::sleep(wait).await;
    }
}

async fn set_state(state: &AppState, op: &Operation, to: OperationState, error: Option<String>) {
    if let Err(e) = state.store.operation_update(&op.id, to, error.as_deref(), None).await {
        tracing::warn!(operation = %op.id, error = %e, "could not store an operation's state");
    }
}

/// Records the end (operation and audit record), tells pages about a failure, and nudges the
/// registry's poller so the map shows ARM's final truth.
async fn finish(state: &AppState, op: &Operation, result: Result<(), ArmError>) {
    let now = audit::now_ms();
    let (to, error, change) = match &result {
        Ok(()) => (OperationState::Succeeded, None, audit::ended(AuditOutcome::Succeeded, None)),
        Err(e) => {
            tracing::warn!(registry = %op.registry, replication = %op.replication, error = %e, "replication operation failed");
            let code = arm_code(e);
            let message = e.public_message();
            (OperationState::Failed, Some(message.clone()), audit::ended(AuditOutcome::Failed, Some((&code, message))))
        }
    };
    if let Err(e) = state.store.operation_update(&op.id, to, error.as_deref(), Some(now)).await {
        state.audit_counters.store_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::error!(operation = %op.id, error = %e, "could not store how an operation ended");
    }
    if let Some(id) = op.audit_id {
        audit::complete(state, id, change).await;
    }
    if let Some(message) = error {
        state.hub.publish(StatusEvent::OperationFailed {
            registry: op.registry.clone(),
            name: op.replication.clone(),
            message,
        });
    }
    state.hub.nudge(&op.registry);
}

async fn finish_unknown(state: &AppState, op: &Operation, why: &str) {
    let now = audit::now_ms();
    if let Err(e) = state.store.operation_update(&op.id, OperationState::Unknown, Some(why), Some(now)).await {
        tracing::error!(operation = %op.id, error = %e, "could not store how an operation ended");
    }
    if let Some(id) = op.audit_id {
        audit::complete(state, id, audit::ended(AuditOutcome::Unknown, Some(("deadline", why.to_owned())))).await;
    }
    state.hub.nudge(&op.registry);
}

/// ARM's error code for the audit record, else the portal's code for the failure.
fn arm_code(e: &ArmError) -> String {
    match e {
        ArmError::Status { code, .. } if !code.is_empty() => code.clone(),
        ArmError::OperationFailed { error, .. } if !error.code.is_empty() => error.code.clone(),
        other => audit::wire_code(crate::error::upstream_code(other)),
    }
}

fn monitor_kind(m: Monitor) -> MonitorKind {
    match m {
        Monitor::AsyncOperation => MonitorKind::AsyncOperation,
        Monitor::Location => MonitorKind::Location,
    }
}

fn arm_monitor(m: MonitorKind) -> Monitor {
    match m {
        MonitorKind::AsyncOperation => Monitor::AsyncOperation,
        MonitorKind::Location => Monitor::Location,
    }
}

/// The operation with this id, for the API.
pub async fn get(state: &AppState, id: &str) -> AppResult<Option<Operation>> {
    Ok(state.store.operation_get(id).await.map_err(|e| store_read(&e))?.map(|s| s.operation))
}

/// Recent operations, newest first.
pub async fn recent(state: &AppState, limit: u32) -> AppResult<Vec<Operation>> {
    Ok(state
        .store
        .operations_recent(limit)
        .await
        .map_err(|e| store_read(&e))?
        .into_iter()
        .map(|s| s.operation)
        .collect())
}

/// A read the store could not answer.
pub fn store_read(e: &replimap_store::StoreError) -> AppError {
    tracing::warn!(error = %e, "store read failed");
    AppError::new(
        replimap_types::ErrorCode::StoreUnavailable,
        "The portal's store cannot be read right now; try again in a moment.",
    )
}
