//! Rows back into records. A stored value that no longer parses (an id that fails its
//! type's validation, an unknown enum name) is `Corrupt`, never a panic and never skipped
//! silently.

use replimap_types::{AuditAction, AuditOutcome, AuditRecord, Operation, RegistryKey};

use crate::backend::Columns;
use crate::model::{
    ApiTokenRow, Claim, LoginStateRow, Monitor, MonitorKind, SessionRow, StoredOperation, StoredResponse,
};
use crate::{clock, names, StoreError};

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn int(r: &dyn Columns, column: &str) -> Result<i64, StoreError> {
    r.int(column)?.ok_or_else(|| corrupt(format!("{column} is NULL")))
}

fn text(r: &dyn Columns, column: &str) -> Result<String, StoreError> {
    r.text(column)?.ok_or_else(|| corrupt(format!("{column} is NULL")))
}

fn parse<T: std::str::FromStr>(column: &str, value: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e| corrupt(format!("{column}: {e}")))
}

fn time(column: &str, ms: i64) -> Result<String, StoreError> {
    clock::format_ms(ms).ok_or_else(|| corrupt(format!("{column} {ms} is out of range")))
}

fn opt_time(r: &dyn Columns, column: &str) -> Result<Option<String>, StoreError> {
    r.int(column)?.map(|ms| time(column, ms)).transpose()
}

/// All three parts or none.
fn registry(r: &dyn Columns) -> Result<Option<RegistryKey>, StoreError> {
    match (r.text("registry_sub")?, r.text("registry_rg")?, r.text("registry_name")?) {
        (Some(sub), Some(rg), Some(name)) => Ok(Some(RegistryKey {
            subscription_id: parse("registry_sub", &sub)?,
            resource_group: parse("registry_rg", &rg)?,
            name: parse("registry_name", &name)?,
        })),
        (None, None, None) => Ok(None),
        _ => Err(corrupt("registry is partly NULL")),
    }
}

pub(crate) fn audit(r: &dyn Columns) -> Result<AuditRecord, StoreError> {
    let id = int(r, "id")?;
    let in_record = |e: StoreError| match e {
        StoreError::Corrupt(m) => StoreError::Corrupt(format!("audit record {id}: {m}")),
        other => other,
    };
    audit_fields(r, id).map_err(in_record)
}

fn audit_fields(r: &dyn Columns, id: i64) -> Result<AuditRecord, StoreError> {
    let action = text(r, "action")?;
    let outcome = text(r, "outcome")?;
    let request = text(r, "request")?;
    Ok(AuditRecord {
        id,
        at: time("at_ms", int(r, "at_ms")?)?,
        actor: text(r, "actor")?,
        actor_source: text(r, "actor_source")?,
        actor_role: r.text("actor_role")?,
        client_ip: text(r, "client_ip")?,
        request_id: text(r, "request_id")?,
        correlation_id: text(r, "correlation_id")?,
        arm_request_id: r.text("arm_request_id")?,
        registry: registry(r)?,
        region: r.text("region")?,
        replication: r.text("replication")?.map(|n| parse("replication", &n)).transpose()?,
        action: AuditAction::parse(&action).ok_or_else(|| corrupt(format!("unknown action '{action}'")))?,
        request: serde_json::from_str(&request).map_err(|e| corrupt(format!("request: {e}")))?,
        outcome: AuditOutcome::parse(&outcome).ok_or_else(|| corrupt(format!("unknown outcome '{outcome}'")))?,
        code: r.text("code")?,
        message: r.text("message")?,
        operation_id: r.text("operation_id")?,
        answered_at: opt_time(r, "answered_at_ms")?,
        ended_at: opt_time(r, "ended_at_ms")?,
        arm_ms: r
            .int("arm_ms")?
            .map(|v| u64::try_from(v).map_err(|_| corrupt(format!("arm_ms {v} < 0"))))
            .transpose()?,
    })
}

pub(crate) fn operation(r: &dyn Columns) -> Result<StoredOperation, StoreError> {
    let id = text(r, "id")?;
    let kind = text(r, "kind")?;
    let state = text(r, "state")?;
    let in_op = |m: String| corrupt(format!("operation {id}: {m}"));
    let registry = registry(r)?.ok_or_else(|| in_op("no registry".into()))?;
    let monitor = match (r.text("monitor_kind")?, r.text("monitor_url")?) {
        (Some(kind), Some(url)) => Some(Monitor {
            kind: MonitorKind::parse(&kind).ok_or_else(|| in_op(format!("unknown monitor kind '{kind}'")))?,
            url,
        }),
        (None, None) => None,
        _ => return Err(in_op("monitor is partly NULL".into())),
    };
    Ok(StoredOperation {
        operation: Operation {
            kind: names::parse_kind(&kind).ok_or_else(|| in_op(format!("unknown kind '{kind}'")))?,
            registry,
            replication: parse("replication", &text(r, "replication")?)?,
            state: names::parse_state(&state).ok_or_else(|| in_op(format!("unknown state '{state}'")))?,
            error: r.text("error")?,
            started_at: time("started_at_ms", int(r, "started_at_ms")?)?,
            ended_at: opt_time(r, "ended_at_ms")?,
            audit_id: r.int("audit_id")?,
            id,
        },
        monitor,
        deadline_ms: int(r, "deadline_ms")?,
    })
}

/// What a key someone already holds means for a request with `fingerprint`.
pub(crate) fn claim(r: &dyn Columns, fingerprint: &str) -> Result<Claim, StoreError> {
    if text(r, "fingerprint")? != fingerprint {
        return Ok(Claim::Mismatch);
    }
    let Some(status) = r.int("status")? else {
        return Ok(Claim::InProgress);
    };
    let headers = r.text("headers")?.unwrap_or_else(|| "[]".to_owned());
    Ok(Claim::Done(StoredResponse {
        status: u16::try_from(status).map_err(|_| corrupt(format!("status {status}")))?,
        headers: serde_json::from_str(&headers).map_err(|e| corrupt(format!("headers: {e}")))?,
        body: r.bytes("body")?.unwrap_or_default(),
    }))
}

fn json(column: &str, value: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(value).map_err(|e| corrupt(format!("{column}: {e}")))
}

pub(crate) fn token(r: &dyn Columns) -> Result<ApiTokenRow, StoreError> {
    let id = text(r, "id")?;
    let registries = text(r, "registries")?;
    let registries = serde_json::from_str(&registries)
        .map_err(|e| corrupt(format!("api token {id}: registries is not a list of patterns: {e}")))?;
    Ok(ApiTokenRow {
        name: text(r, "name")?,
        secret_hash: text(r, "secret_hash")?,
        role: text(r, "role")?,
        registries,
        created_by: text(r, "created_by")?,
        created_at_ms: int(r, "created_at_ms")?,
        expires_at_ms: int(r, "expires_at_ms")?,
        last_used_at_ms: r.int("last_used_at_ms")?,
        revoked_at_ms: r.int("revoked_at_ms")?,
        revoked_by: r.text("revoked_by")?,
        id,
    })
}

pub(crate) fn session(r: &dyn Columns) -> Result<SessionRow, StoreError> {
    Ok(SessionRow {
        id_hash: text(r, "id_hash")?,
        subject: json("subject", &text(r, "subject")?)?,
        token_id: r.text("token_id")?,
        created_at_ms: int(r, "created_at_ms")?,
        last_seen_at_ms: int(r, "last_seen_at_ms")?,
        expires_at_ms: int(r, "expires_at_ms")?,
        delegated: r.text("delegated")?.map(|v| json("delegated", &v)).transpose()?,
    })
}

pub(crate) fn login_state(r: &dyn Columns) -> Result<LoginStateRow, StoreError> {
    Ok(LoginStateRow {
        state: text(r, "state")?,
        nonce: text(r, "nonce")?,
        pkce_verifier: text(r, "pkce_verifier")?,
        return_to: text(r, "return_to")?,
        created_at_ms: int(r, "created_at_ms")?,
        expires_at_ms: int(r, "expires_at_ms")?,
    })
}

/// The one text column of a row (`outcome`, `state`).
pub(crate) fn single_text(r: &dyn Columns, column: &str) -> Result<String, StoreError> {
    text(r, column)
}
