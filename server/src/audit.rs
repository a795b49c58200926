//! The audit trail of writes: each attempt is recorded before ARM is called and completed as
//! it goes on, so "who deleted the Japan replica on Tuesday?" has an answer even when the
//! portal died in between. Azure's activity log names only the portal's identity; the
//! correlation id sent with the write joins the two records.
//!
//! If the store cannot record, the write is refused (503) and ARM is never called.

use std::time::Instant;

use replimap_arm::{ArmClient, ArmError};
use replimap_store::{AuditChange, NewAudit, StoreError};
use replimap_types::{AuditAction, AuditOutcome, AuditRecord, ErrorCode, RegistryKey, ReplicationName, StatusEvent};

use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// What a write is about, as far as the portal understood the request.
pub struct Draft {
    /// What is attempted.
    pub action: AuditAction,
    /// The registry, when the path named a valid one.
    pub registry: Option<RegistryKey>,
    /// The region the write is about.
    pub region: Option<String>,
    /// The replication, when named.
    pub replication: Option<ReplicationName>,
    /// The requested values.
    pub request: serde_json::Value,
}

/// A write being recorded: its audit id and the ARM client that carries its correlation id.
pub struct Attempt {
    state: AppState,
    id: i64,
    arm: ArmClient,
    started: Instant,
    /// Set once ARM accepted: a later error (say, an answer the portal cannot read) no longer
    /// means the write did not happen.
    accepted: std::sync::atomic::AtomicBool,
}

/// What `/metrics` shows of the audit trail.
#[derive(Debug, Default)]
pub struct AuditCounters {
    /// Store calls that failed (a write refused, or a record left incomplete).
    pub store_errors: std::sync::atomic::AtomicU64,
}

/// Milliseconds since the epoch, the store's time.
pub fn now_ms() -> i64 {
    replimap_store::clock::now_ms()
}

impl Attempt {
    /// Records the attempt, or refuses the write when the store cannot.
    ///
    /// Every attempt is a write to Azure, so here — after the record, before anything else —
    /// the caller's role on the registry is checked (`auth::authz`): a refusal is recorded as
    /// such, and neither ARM nor the identity provider (acting as the user) is asked anything.
    pub async fn begin(state: &AppState, caller: &Caller, draft: Draft) -> AppResult<Self> {
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let registry = draft.registry.clone();
        let new = NewAudit {
            at_ms: now_ms(),
            actor: caller.actor().to_owned(),
            actor_source: caller.source(),
            // The role that decided: on the registry when the write names one.
            actor_role: draft
                .registry
                .as_ref()
                .map_or_else(|| caller.strongest_role(), |k| caller.role_on(k))
                .map(|r| r.as_str().to_owned()),
            client_ip: caller.client_ip.clone(),
            request_id: caller.request_id.clone(),
            correlation_id: correlation_id.clone(),
            registry: draft.registry,
            region: draft.region,
            replication: draft.replication,
            action: draft.action,
            request: draft.request,
        };
        let record = state.store.audit_begin(new).await.map_err(|e| unavailable(state, &e))?;
        let id = record.id;
        publish(state, record);
        if let Some(key) = &registry {
            if let Err(e) = crate::auth::authz::require(caller, crate::auth::authz::Action::Write, key) {
                if e.code() == ErrorCode::Forbidden {
                    state.auth.counters.forbidden.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                complete(state, id, ended(AuditOutcome::Refused, Some((&wire_code(e.code()), e.to_string())))).await;
                return Err(e);
            }
        }
        // Acting as the user (auth.oidc.act_as_user): the write goes with the person's own ARM
        // token, or is refused (and recorded so) — never sent with the portal's identity instead.
        let arm = match crate::auth::obo::delegated_arm(state, caller).await {
            Ok(Some(user)) => user,
            Ok(None) => state.arm.clone(),
            Err(e) => {
                let message = e.to_string();
                complete(state, id, ended(AuditOutcome::Refused, Some((&wire_code(e.code()), message)))).await;
                return Err(e);
            }
        };
        Ok(Self {
            state: state.clone(),
            id,
            arm: arm.correlated(&correlation_id),
            started: Instant::now(),
            accepted: Default::default(),
        })
    }

    /// The audit record's id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The ARM client for this write (its requests carry the correlation id).
    pub fn arm(&self) -> &ArmClient {
        &self.arm
    }

    /// The portal or ARM refused the write, or ARM could not be asked.
    pub async fn failed(self, err: &AppError) {
        if self.accepted.load(std::sync::atomic::Ordering::Relaxed) {
            tracing::warn!(audit_id = self.id, error = %err, "a write ARM accepted answered with an error; its operation decides the outcome");
            return;
        }
        let (outcome, code) = match err {
            // The connection broke after the write may have reached ARM: only ARM knows.
            AppError::Upstream(ArmError::Transport(_)) if self.arm.last_request_id().is_none() => {
                (AuditOutcome::Unknown, "unavailable".to_owned())
            }
            AppError::Upstream(e @ ArmError::Status { code, status, .. }) => {
                let outcome = if *status >= 500 { AuditOutcome::Failed } else { AuditOutcome::Refused };
                (outcome, if code.is_empty() { format!("http_{}", e.status().unwrap_or(0)) } else { code.clone() })
            }
            AppError::Upstream(_) => (AuditOutcome::Failed, wire_code(err.code())),
            AppError::Api { code, .. } => (AuditOutcome::Refused, wire_code(*code)),
        };
        let message = match err {
            AppError::Upstream(e) => e.public_message(),
            AppError::Api { message, .. } => message.clone(),
        };
        let change = AuditChange { outcome: Some(outcome), code: Some(code), message: Some(message), ..self.answer() };
        self.update(change).await;
    }

    /// ARM accepted the write; `operation_id` follows it to its end.
    pub async fn accepted(&self, operation_id: &str) {
        self.accepted.store(true, std::sync::atomic::Ordering::Relaxed);
        let change = AuditChange {
            outcome: Some(AuditOutcome::Accepted),
            operation_id: Some(operation_id.to_owned()),
            ..self.answer()
        };
        self.update(change).await;
    }

    /// What ARM's answer to the write itself says: its request id and how long it took.
    fn answer(&self) -> AuditChange {
        let at_ms = now_ms();
        let arm_request_id = self.arm.last_request_id();
        AuditChange {
            answered_at_ms: arm_request_id.as_ref().map(|_| at_ms),
            arm_request_id,
            arm_ms: Some(u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)),
            at_ms,
            ..AuditChange::default()
        }
    }

    async fn update(&self, change: AuditChange) {
        complete(&self.state, self.id, change).await;
    }
}

/// Moves a record on (the operation follower uses it for the final outcome) and publishes it.
/// A store failure here is logged and counted: the write already happened, so the
/// follower's outcome must not be lost silently, but it cannot be undone either.
pub async fn complete(state: &AppState, id: i64, change: AuditChange) {
    match state.store.audit_update(id, change).await {
        Ok(record) => publish(state, record),
        Err(e) => {
            state.audit_counters.store_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::error!(audit_id = id, error = %e, "could not complete an audit record");
        }
    }
}

/// The final outcome of an operation, for [`complete`].
pub fn ended(outcome: AuditOutcome, error: Option<(&str, String)>) -> AuditChange {
    let (code, message) = match error {
        Some((code, message)) => (Some(code.to_owned()), Some(message)),
        None => (None, None),
    };
    AuditChange { outcome: Some(outcome), code, message, at_ms: now_ms(), ..AuditChange::default() }
}

fn publish(state: &AppState, record: AuditRecord) {
    state.hub.publish(StatusEvent::Activity { record });
}

fn unavailable(state: &AppState, e: &StoreError) -> AppError {
    state.audit_counters.store_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    tracing::error!(error = %e, "the audit trail cannot record a write; refusing it");
    AppError::new(
        ErrorCode::StoreUnavailable,
        "The audit trail cannot record this write right now, so it was not sent to Azure. \
         Reads and the live map keep working; try again in a moment.",
    )
}

/// An error code as the API spells it (`home_replica`).
pub fn wire_code(code: ErrorCode) -> String {
    serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_else(|| "internal".into())
}

/// Records a decision that is not a write to Azure (a token created or revoked, a screen
/// enrolled, a sign-in) as one final record. Refused decisions are recorded too: "who tried to
/// mint an admin token?" needs an answer as much as who did. A store failure refuses the
/// action (503) when `required`, as a write to Azure would be refused.
pub async fn record_decision(
    state: &AppState,
    caller: &Caller,
    action: AuditAction,
    request: serde_json::Value,
    result: Result<(), &AppError>,
) -> AppResult<()> {
    let new = NewAudit {
        at_ms: now_ms(),
        actor: caller.actor().to_owned(),
        actor_source: caller.source(),
        actor_role: caller.strongest_role().map(|r| r.as_str().to_owned()),
        client_ip: caller.client_ip.clone(),
        request_id: caller.request_id.clone(),
        // Nothing goes to ARM; the id still joins the record to the portal's log line.
        correlation_id: uuid::Uuid::new_v4().to_string(),
        registry: None,
        region: None,
        replication: None,
        action,
        request,
    };
    let record = state.store.audit_begin(new).await.map_err(|e| unavailable(state, &e))?;
    let change = match result {
        Ok(()) => AuditChange { outcome: Some(AuditOutcome::Succeeded), at_ms: now_ms(), ..AuditChange::default() },
        Err(e) => AuditChange {
            outcome: Some(AuditOutcome::Refused),
            code: Some(wire_code(e.code())),
            message: Some(e.to_string()),
            at_ms: now_ms(),
            ..AuditChange::default()
        },
    };
    complete(state, record.id, change).await;
    Ok(())
}
