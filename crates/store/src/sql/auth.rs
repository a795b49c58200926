//! The statements behind sign-in: API tokens, sessions and sign-ins in flight. Inserts use
//! `ON CONFLICT DO NOTHING` so a taken key reads as "no row inserted", which the store names
//! precisely, instead of an engine's constraint message that a bad value would give too.

use super::{Dialect, Stmt};
use crate::model::{ApiTokenRow, LoginStateRow, SessionRow};
use crate::StoreError;

// ---- API tokens ----

fn token_columns(d: Dialect) -> String {
    format!(
        "id, name, secret_hash, role, {}, created_by, created_at_ms, expires_at_ms, last_used_at_ms, \
         revoked_at_ms, revoked_by",
        d.json_out("registries")
    )
}

pub(crate) fn token_insert(d: Dialect, t: &ApiTokenRow) -> Result<Stmt, StoreError> {
    let registries = serde_json::to_string(&t.registries).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut s = Stmt::default();
    let values = [
        s.str(&t.id),
        s.str(&t.name),
        s.str(&t.secret_hash),
        s.str(&t.role),
        d.json_in(&s.str(&registries)),
        s.str(&t.created_by),
        s.int(t.created_at_ms),
        s.int(t.expires_at_ms),
        s.int(t.last_used_at_ms),
        s.int(t.revoked_at_ms),
        s.text(t.revoked_by.as_deref()),
    ];
    let sql = format!(
        "INSERT INTO api_tokens (id, name, secret_hash, role, registries, created_by, created_at_ms, \
         expires_at_ms, last_used_at_ms, revoked_at_ms, revoked_by) VALUES ({}) ON CONFLICT (id) DO NOTHING",
        values.join(", ")
    );
    Ok(s.finish(sql))
}

pub(crate) fn token_get(d: Dialect, id: &str) -> Stmt {
    let mut s = Stmt::default();
    let id = s.str(id);
    let sql = format!("SELECT {} FROM api_tokens WHERE id = {id}", token_columns(d));
    s.finish(sql)
}

/// Newest first; the id breaks ties between tokens made in the same millisecond.
pub(crate) fn token_list(d: Dialect) -> Stmt {
    Stmt::default().finish(format!("SELECT {} FROM api_tokens ORDER BY created_at_ms DESC, id DESC", token_columns(d)))
}

/// Only a token not revoked yet: the first revocation is the one kept.
pub(crate) fn token_revoke(id: &str, by: &str, at_ms: i64) -> Stmt {
    let mut s = Stmt::default();
    let (id, by, at) = (s.str(id), s.str(by), s.int(at_ms));
    s.finish(format!(
        "UPDATE api_tokens SET revoked_at_ms = {at}, revoked_by = {by} WHERE id = {id} AND revoked_at_ms IS NULL"
    ))
}

/// Forward only, in the `WHERE`: of two concurrent touches the later time wins in any order.
pub(crate) fn token_touch(id: &str, at_ms: i64) -> Stmt {
    let mut s = Stmt::default();
    let (id, at) = (s.str(id), s.int(at_ms));
    s.finish(format!(
        "UPDATE api_tokens SET last_used_at_ms = {at} \
         WHERE id = {id} AND (last_used_at_ms IS NULL OR last_used_at_ms < {at})"
    ))
}

// ---- sessions ----

fn session_columns(d: Dialect) -> String {
    format!(
        "id_hash, {}, token_id, created_at_ms, last_seen_at_ms, expires_at_ms, {}",
        d.json_out("subject"),
        d.json_out("delegated")
    )
}

pub(crate) fn session_insert(d: Dialect, row: &SessionRow) -> Stmt {
    let subject = row.subject.to_string();
    let delegated = row.delegated.as_ref().map(serde_json::Value::to_string);
    let mut s = Stmt::default();
    let values = [
        s.str(&row.id_hash),
        d.json_in(&s.str(&subject)),
        s.text(row.token_id.as_deref()),
        s.int(row.created_at_ms),
        s.int(row.last_seen_at_ms),
        s.int(row.expires_at_ms),
        d.json_in(&s.text(delegated.as_deref())),
    ];
    let sql = format!(
        "INSERT INTO sessions (id_hash, subject, token_id, created_at_ms, last_seen_at_ms, expires_at_ms, delegated) \
         VALUES ({}) ON CONFLICT (id_hash) DO NOTHING",
        values.join(", ")
    );
    s.finish(sql)
}

pub(crate) fn session_get(d: Dialect, id_hash: &str) -> Stmt {
    let mut s = Stmt::default();
    let id = s.str(id_hash);
    let sql = format!("SELECT {} FROM sessions WHERE id_hash = {id}", session_columns(d));
    s.finish(sql)
}

/// Forward only, as [`token_touch`].
pub(crate) fn session_touch(id_hash: &str, at_ms: i64) -> Stmt {
    let mut s = Stmt::default();
    let (id, at) = (s.str(id_hash), s.int(at_ms));
    s.finish(format!("UPDATE sessions SET last_seen_at_ms = {at} WHERE id_hash = {id} AND last_seen_at_ms < {at}"))
}

pub(crate) fn session_set_delegated(d: Dialect, id_hash: &str, delegated: Option<&serde_json::Value>) -> Stmt {
    let mut s = Stmt::default();
    let id = s.str(id_hash);
    let delegated = d.json_in(&s.text(delegated.map(serde_json::Value::to_string).as_deref()));
    s.finish(format!("UPDATE sessions SET delegated = {delegated} WHERE id_hash = {id}"))
}

pub(crate) fn session_delete(id_hash: &str) -> Stmt {
    let mut s = Stmt::default();
    let id = s.str(id_hash);
    s.finish(format!("DELETE FROM sessions WHERE id_hash = {id}"))
}

pub(crate) fn sessions_delete_for_token(token_id: &str) -> Stmt {
    let mut s = Stmt::default();
    let token = s.str(token_id);
    s.finish(format!("DELETE FROM sessions WHERE token_id = {token}"))
}

/// The exact opposite of [`SessionRow::is_live`].
pub(crate) fn sessions_purge(now_ms: i64, idle_ms: i64) -> Stmt {
    let mut s = Stmt::default();
    let now = s.int(now_ms);
    let idle_since = s.int(now_ms.saturating_sub(idle_ms));
    // A device session (token_id set) has no idle limit: see SessionRow::is_live.
    s.finish(format!(
        "DELETE FROM sessions WHERE expires_at_ms <= {now} OR (token_id IS NULL AND last_seen_at_ms < {idle_since})"
    ))
}

// ---- sign-ins in flight ----

const LOGIN_STATE_COLUMNS: &str = "state, nonce, pkce_verifier, return_to, created_at_ms, expires_at_ms";

pub(crate) fn login_state_put(row: &LoginStateRow) -> Stmt {
    let mut s = Stmt::default();
    let values = [
        s.str(&row.state),
        s.str(&row.nonce),
        s.str(&row.pkce_verifier),
        s.str(&row.return_to),
        s.int(row.created_at_ms),
        s.int(row.expires_at_ms),
    ];
    let sql = format!(
        "INSERT INTO login_states ({LOGIN_STATE_COLUMNS}) VALUES ({}) ON CONFLICT (state) DO NOTHING",
        values.join(", ")
    );
    s.finish(sql)
}

/// Deletes and returns in one statement, expired or not: of two concurrent callbacks with
/// the same `state` exactly one gets the row, and an expired row goes on first use.
pub(crate) fn login_state_take(state: &str) -> Stmt {
    let mut s = Stmt::default();
    let state = s.str(state);
    s.finish(format!("DELETE FROM login_states WHERE state = {state} RETURNING {LOGIN_STATE_COLUMNS}"))
}

pub(crate) fn login_states_purge(now_ms: i64) -> Stmt {
    let mut s = Stmt::default();
    let now = s.int(now_ms);
    s.finish(format!("DELETE FROM login_states WHERE expires_at_ms <= {now}"))
}
