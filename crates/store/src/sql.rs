//! The statements both engines run, written once.
//!
//! Both understand `$N` placeholders (Postgres's own; one of SQLite's forms), `RETURNING`
//! and `INSERT … ON CONFLICT`, so each statement is one text; the engines differ only in how
//! JSON goes in and out (`TEXT` in SQLite, `JSONB` in Postgres). Every check that guards a
//! write sits in the write's own `WHERE`, so it holds under concurrency without transactions.

use replimap_types::{AuditOutcome, OperationState};

use crate::model::{AuditChange, AuditFilter, NewAudit, StoredOperation};
use crate::names::{self, fold};
use crate::outcome::allowed_from;
use crate::{clock, StoreError};

pub(crate) mod auth;
mod scope;

/// The SQL flavour of a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// A placeholder whose text is stored as JSON.
    fn json_in(self, placeholder: &str) -> String {
        match self {
            Self::Sqlite => placeholder.to_owned(),
            Self::Postgres => format!("{placeholder}::jsonb"),
        }
    }

    /// A JSON column read back as text.
    fn json_out(self, column: &str) -> String {
        match self {
            Self::Sqlite => column.to_owned(),
            Self::Postgres => format!("{column}::text AS {column}"),
        }
    }
}

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Vec<u8>),
}

/// A statement with its values.
#[derive(Debug, Default)]
pub(crate) struct Stmt {
    pub(crate) sql: String,
    pub(crate) binds: Vec<Bind>,
}

impl Stmt {
    /// Adds a value and returns its placeholder, so statements name their values instead
    /// of counting them.
    fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    fn int(&mut self, v: impl Into<Option<i64>>) -> String {
        self.bind(Bind::Int(v.into()))
    }

    fn text(&mut self, v: Option<&str>) -> String {
        self.bind(Bind::Text(v.map(str::to_owned)))
    }

    fn str(&mut self, v: &str) -> String {
        self.text(Some(v))
    }

    fn finish(mut self, sql: String) -> Self {
        self.sql = sql;
        self
    }
}

/// `'a', 'b'`: for `IN` lists of the store's own constant names, never of input.
fn quoted(names: impl IntoIterator<Item = &'static str>) -> String {
    names.into_iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ")
}

fn final_outcomes() -> String {
    quoted(AuditOutcome::ALL.into_iter().filter(|o| o.is_final()).map(AuditOutcome::as_str))
}

fn unfinished_states() -> String {
    quoted([OperationState::Running, OperationState::Unknown].map(names::state))
}

// ---- audit ----

fn audit_columns(d: Dialect) -> String {
    format!(
        "id, at_ms, actor, actor_source, actor_role, client_ip, request_id, correlation_id, arm_request_id, \
         registry_sub, registry_rg, registry_name, region, replication, action, {}, outcome, \
         code, message, operation_id, answered_at_ms, ended_at_ms, arm_ms",
        d.json_out("request")
    )
}

pub(crate) fn audit_insert(d: Dialect, new: &NewAudit) -> Result<Stmt, StoreError> {
    let request = serde_json::to_string(&new.request).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let reg = new.registry.as_ref();
    let mut s = Stmt::default();
    let values = [
        s.int(new.at_ms),
        s.str(&new.actor),
        s.str(&new.actor_source),
        s.text(new.actor_role.as_deref()),
        s.str(&new.client_ip),
        s.str(&new.request_id),
        s.str(&new.correlation_id),
        s.text(reg.map(|r| fold(r.subscription_id.as_str())).as_deref()),
        s.text(reg.map(|r| r.resource_group.as_str())),
        s.text(reg.map(|r| fold(r.resource_group.as_str())).as_deref()),
        s.text(reg.map(|r| r.name.as_str())),
        s.text(reg.map(|r| fold(r.name.as_str())).as_deref()),
        s.text(new.region.as_deref()),
        s.text(new.region.as_deref().map(fold).as_deref()),
        s.text(new.replication.as_ref().map(|r| r.as_str())),
        s.str(new.action.as_str()),
        d.json_in(&s.str(&request)),
        s.str(AuditOutcome::Pending.as_str()),
    ];
    let sql = format!(
        "INSERT INTO audit (at_ms, actor, actor_source, actor_role, client_ip, request_id, correlation_id, \
         registry_sub, registry_rg, registry_rg_lc, registry_name, registry_name_lc, region, region_lc, \
         replication, action, request, outcome) VALUES ({}) RETURNING {}",
        values.join(", "),
        audit_columns(d)
    );
    Ok(s.finish(sql))
}

/// One atomic statement: the outcome moves only from an outcome that may precede the new
/// one, fields already set keep their value (`COALESCE(old, new)`), and `ended_at` is set
/// the first time the outcome is final. No row back means the record is missing or the
/// move is illegal.
pub(crate) fn audit_update(d: Dialect, id: i64, c: &AuditChange) -> Stmt {
    let mut s = Stmt::default();
    let id = s.int(id);
    let outcome = s.text(c.outcome.map(AuditOutcome::as_str));
    let arm_request_id = s.text(c.arm_request_id.as_deref());
    let answered = s.int(c.answered_at_ms);
    // ARM durations are milliseconds; one past i64 is not a duration worth refusing over.
    let arm_ms = s.int(c.arm_ms.map(|v| i64::try_from(v).unwrap_or(i64::MAX)));
    let operation_id = s.text(c.operation_id.as_deref());
    let code = s.text(c.code.as_deref());
    let message = s.text(c.message.as_deref());
    let ended = s.int(c.outcome.filter(|o| o.is_final()).map(|_| c.at_ms));
    let guard = match c.outcome {
        Some(to) => format!(" AND outcome IN ({})", quoted(allowed_from(to).into_iter().map(AuditOutcome::as_str))),
        None => String::new(),
    };
    let sql = format!(
        "UPDATE audit SET outcome = COALESCE({outcome}, outcome), \
         arm_request_id = COALESCE(arm_request_id, {arm_request_id}), \
         answered_at_ms = COALESCE(answered_at_ms, {answered}), \
         arm_ms = COALESCE(arm_ms, {arm_ms}), \
         operation_id = COALESCE(operation_id, {operation_id}), \
         code = COALESCE(code, {code}), \
         message = COALESCE(message, {message}), \
         ended_at_ms = COALESCE(ended_at_ms, {ended}) \
         WHERE id = {id}{guard} RETURNING {}",
        audit_columns(d)
    );
    s.finish(sql)
}

pub(crate) fn audit_get(d: Dialect, id: i64) -> Stmt {
    let mut s = Stmt::default();
    let id = s.int(id);
    let sql = format!("SELECT {} FROM audit WHERE id = {id}", audit_columns(d));
    s.finish(sql)
}

/// The outcome alone, to say why an update matched nothing.
pub(crate) fn audit_outcome(id: i64) -> Stmt {
    let mut s = Stmt::default();
    let id = s.int(id);
    s.finish(format!("SELECT outcome FROM audit WHERE id = {id}"))
}

/// Newest first; `fetch` is one more than the page so the caller learns whether more exist.
pub(crate) fn audit_list(d: Dialect, f: &AuditFilter, fetch: i64) -> Stmt {
    let mut s = Stmt::default();
    let mut conds = Vec::new();
    if let Some(r) = &f.registry {
        let sub = s.str(&fold(r.subscription_id.as_str()));
        let rg = s.str(&fold(r.resource_group.as_str()));
        let name = s.str(&fold(r.name.as_str()));
        conds.push(format!("registry_sub = {sub} AND registry_rg_lc = {rg} AND registry_name_lc = {name}"));
    }
    if let Some(region) = &f.region {
        conds.push(format!("region_lc = {}", s.str(&fold(region))));
    }
    if let Some(actor) = &f.actor {
        conds.push(format!("actor = {}", s.str(actor)));
    }
    if let Some(action) = f.action {
        conds.push(format!("action = {}", s.str(action.as_str())));
    }
    if let Some(outcome) = f.outcome {
        conds.push(format!("outcome = {}", s.str(outcome.as_str())));
    }
    if let Some(since) = f.since_ms {
        conds.push(format!("at_ms >= {}", s.int(since)));
    }
    if let Some(until) = f.until_ms {
        conds.push(format!("at_ms < {}", s.int(until)));
    }
    if let Some(before) = f.before_id {
        conds.push(format!("id < {}", s.int(before)));
    }
    if let Some(scope) = &f.visible {
        conds.push(scope::visible(d, &mut s, scope));
    }
    let filter = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
    let limit = s.int(fetch);
    let sql = format!("SELECT {} FROM audit{filter} ORDER BY id DESC LIMIT {limit}", audit_columns(d));
    s.finish(sql)
}

/// Retention: only records that are old *and* final go, so a write still in flight keeps
/// its record however old it is.
pub(crate) fn audit_purge(older_than_ms: i64) -> Stmt {
    let mut s = Stmt::default();
    let older = s.int(older_than_ms);
    s.finish(format!("DELETE FROM audit WHERE at_ms < {older} AND outcome IN ({})", final_outcomes()))
}

// ---- operations ----

const OPERATION_COLUMNS: &str = "id, kind, registry_sub, registry_rg, registry_name, replication, state, error, \
     started_at_ms, ended_at_ms, audit_id, monitor_kind, monitor_url, deadline_ms";

fn time_ms(what: &str, id: &str, value: &str) -> Result<i64, StoreError> {
    clock::parse_ms(value)
        .ok_or_else(|| StoreError::Corrupt(format!("operation {id}: {what} '{value}' is not an RFC 3339 time")))
}

pub(crate) fn operation_insert(stored: &StoredOperation) -> Result<Stmt, StoreError> {
    let op = &stored.operation;
    let started = time_ms("started_at", &op.id, &op.started_at)?;
    let ended = op.ended_at.as_deref().map(|t| time_ms("ended_at", &op.id, t)).transpose()?;
    let mut s = Stmt::default();
    let values = [
        s.str(&op.id),
        s.str(names::kind(op.kind)),
        s.str(op.registry.subscription_id.as_str()),
        s.str(op.registry.resource_group.as_str()),
        s.str(op.registry.name.as_str()),
        s.str(op.replication.as_str()),
        s.str(names::state(op.state)),
        s.text(op.error.as_deref()),
        s.int(started),
        s.int(ended),
        s.int(op.audit_id),
        s.text(stored.monitor.as_ref().map(|m| m.kind.as_str())),
        s.text(stored.monitor.as_ref().map(|m| m.url.as_str())),
        s.int(stored.deadline_ms),
    ];
    let sql = format!("INSERT INTO operations ({OPERATION_COLUMNS}) VALUES ({})", values.join(", "));
    Ok(s.finish(sql))
}

/// A finished operation (succeeded or failed) keeps its state; anything else may change.
pub(crate) fn operation_update(id: &str, state: OperationState, error: Option<&str>, ended_at_ms: Option<i64>) -> Stmt {
    let mut s = Stmt::default();
    let id = s.str(id);
    let state = s.str(names::state(state));
    let error = s.text(error);
    let ended = s.int(ended_at_ms);
    let sql = format!(
        "UPDATE operations SET state = {state}, error = {error}, ended_at_ms = {ended} \
         WHERE id = {id} AND (state IN ({}) OR state = {state})",
        unfinished_states()
    );
    s.finish(sql)
}

pub(crate) fn operation_state(id: &str) -> Stmt {
    let mut s = Stmt::default();
    let id = s.str(id);
    s.finish(format!("SELECT state FROM operations WHERE id = {id}"))
}

pub(crate) fn operation_get(id: &str) -> Stmt {
    let mut s = Stmt::default();
    let id = s.str(id);
    s.finish(format!("SELECT {OPERATION_COLUMNS} FROM operations WHERE id = {id}"))
}

/// Newest first; `seq` (insertion order) breaks ties between equal start times.
pub(crate) fn operations_recent(limit: i64) -> Stmt {
    let mut s = Stmt::default();
    let limit = s.int(limit);
    s.finish(format!("SELECT {OPERATION_COLUMNS} FROM operations ORDER BY started_at_ms DESC, seq DESC LIMIT {limit}"))
}

/// Oldest first: the order the portal resumes following them after a restart.
pub(crate) fn operations_unfinished() -> Stmt {
    Stmt::default().finish(format!(
        "SELECT {OPERATION_COLUMNS} FROM operations WHERE state IN ({}) ORDER BY started_at_ms, seq",
        unfinished_states()
    ))
}

// ---- idempotency keys ----

/// Takes the key when nobody holds it, or when its holder's row has expired; returns the
/// key when taken. Atomic in both engines: the conflicting row is locked while the
/// `DO UPDATE … WHERE` decides, so of many concurrent claims exactly one gets a row back.
pub(crate) fn claim_take(key: &str, fingerprint: &str, now_ms: i64, expires_at_ms: i64) -> Stmt {
    let mut s = Stmt::default();
    let (key, fp, now, expires) = (s.str(key), s.str(fingerprint), s.int(now_ms), s.int(expires_at_ms));
    let sql = format!(
        "INSERT INTO idempotency (key, fingerprint, created_at_ms, expires_at_ms) VALUES ({key}, {fp}, {now}, {expires}) \
         ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, created_at_ms = excluded.created_at_ms, \
         expires_at_ms = excluded.expires_at_ms, status = NULL, headers = NULL, body = NULL \
         WHERE idempotency.expires_at_ms <= excluded.created_at_ms \
         RETURNING key"
    );
    s.finish(sql)
}

/// The live row of a key someone else holds.
pub(crate) fn claim_get(key: &str, now_ms: i64) -> Stmt {
    let mut s = Stmt::default();
    let (key, now) = (s.str(key), s.int(now_ms));
    s.finish(format!(
        "SELECT fingerprint, status, headers, body FROM idempotency WHERE key = {key} AND expires_at_ms > {now}"
    ))
}

pub(crate) fn claim_complete(key: &str, status: u16, headers: &str, body: &[u8]) -> Stmt {
    let mut s = Stmt::default();
    let key = s.str(key);
    let status = s.int(i64::from(status));
    let headers = s.str(headers);
    let body = s.bind(Bind::Bytes(body.to_vec()));
    s.finish(format!(
        "UPDATE idempotency SET status = {status}, headers = {headers}, body = {body} \
         WHERE key = {key} AND status IS NULL"
    ))
}

pub(crate) fn claim_release(key: &str) -> Stmt {
    let mut s = Stmt::default();
    let key = s.str(key);
    s.finish(format!("DELETE FROM idempotency WHERE key = {key} AND status IS NULL"))
}

pub(crate) fn claims_purge(now_ms: i64) -> Stmt {
    let mut s = Stmt::default();
    let now = s.int(now_ms);
    s.finish(format!("DELETE FROM idempotency WHERE expires_at_ms <= {now}"))
}

pub(crate) fn ping() -> Stmt {
    Stmt::default().finish("SELECT 1".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_bind_order() {
        let f = AuditFilter { actor: Some("alice".into()), since_ms: Some(5), ..Default::default() };
        let s = audit_list(Dialect::Sqlite, &f, 11);
        assert!(s.sql.contains("WHERE actor = $1 AND at_ms >= $2 ORDER BY id DESC LIMIT $3"), "{}", s.sql);
        assert_eq!(s.binds, vec![Bind::Text(Some("alice".into())), Bind::Int(Some(5)), Bind::Int(Some(11))]);
        let pg = audit_get(Dialect::Postgres, 1);
        assert!(pg.sql.contains("request::text AS request"), "{}", pg.sql);
    }

    #[test]
    fn updates_guard_the_outcome_in_the_same_statement() {
        let c = AuditChange { outcome: Some(AuditOutcome::Accepted), ..Default::default() };
        let s = audit_update(Dialect::Sqlite, 7, &c);
        assert!(s.sql.contains("WHERE id = $1 AND outcome IN ('pending', 'accepted')"), "{}", s.sql);
        let fields_only = audit_update(Dialect::Sqlite, 7, &AuditChange::default());
        assert!(!fields_only.sql.contains("outcome IN"), "{}", fields_only.sql);
    }
}
