//! Cookie sessions: a signed-in person (oidc mode) or an enrolled wall screen (any mode).
//!
//! The cookie holds 256 random bits; the store keeps only their SHA-256, so a copy of the
//! database does not hand out sessions. A session ends after `auth.session_idle_minutes`
//! without a request, at its absolute expiry (`auth.session_max_hours` after sign-in, or its
//! token's expiry for a device), at sign-out, or when its token is revoked.

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine;
use replimap_store::SessionRow;
use replimap_types::ErrorCode;

use super::identity::Identity;
use crate::caller::Caller;
use crate::error::AppError;
use crate::state::AppState;

/// The cookie's name. With `Secure`, the `__Host-` prefix makes browsers refuse it unless it
/// is host-only, on `/`, and from https: a sibling subdomain cannot plant or shadow it.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-replimap_session"
    } else {
        "replimap_session"
    }
}

/// The value of the cookie `name` in a request, if it has one that is not blank.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The session cookie's value in a request, if any.
pub fn from_headers(headers: &HeaderMap, secure: bool) -> Option<String> {
    cookie(headers, cookie_name(secure))
}

/// The store's key for a cookie value.
pub fn key(cookie: &str) -> String {
    super::tokens::hash(cookie)
}

/// `Set-Cookie` for a value living until `expires_at_ms`.
fn set_cookie(state: &AppState, value: &str, max_age_secs: i64) -> Result<HeaderValue, AppError> {
    let secure = state.auth.secure_cookies;
    let mut c = format!("{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}", cookie_name(secure));
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).map_err(|_| AppError::new(ErrorCode::Internal, "Could not build the session cookie."))
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(state: &AppState) -> HeaderValue {
    let secure = state.auth.secure_cookies;
    let c = format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        cookie_name(secure),
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("replimap_session=; Path=/; Max-Age=0"))
}

/// Starts a session for `identity` and answers the cookie to set. A device session
/// (`token_id`) lives until its token expires; a person's for `auth.session_max_hours`.
pub async fn create(
    state: &AppState,
    identity: &Identity,
    delegated: Option<serde_json::Value>,
    token_id: Option<&str>,
) -> Result<HeaderValue, AppError> {
    create_until(state, identity, delegated, token_id, None).await
}

/// [`create`] with an absolute expiry no later than `until_ms` (a token's expiry).
pub async fn create_until(
    state: &AppState,
    identity: &Identity,
    delegated: Option<serde_json::Value>,
    token_id: Option<&str>,
    until_ms: Option<i64>,
) -> Result<HeaderValue, AppError> {
    let mut raw = [0u8; 32];
    super::random(&mut raw)?;
    let value = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let now = replimap_store::clock::now_ms();
    let max = i64::try_from(state.auth.config.session_max.as_millis()).unwrap_or(i64::MAX);
    let expires_at_ms = match until_ms {
        Some(until) => until,
        None => now.saturating_add(max),
    };
    let subject = serde_json::to_value(identity)
        .map_err(|_| AppError::new(ErrorCode::Internal, "Could not record the session's identity."))?;
    let row = SessionRow {
        id_hash: key(&value),
        subject,
        token_id: token_id.map(str::to_owned),
        created_at_ms: now,
        last_seen_at_ms: now,
        expires_at_ms,
        delegated,
    };
    state.store.session_insert(&row).await.map_err(|e| super::store_error("start a session", &e))?;
    set_cookie(state, &value, (expires_at_ms - now).max(0) / 1000)
}

/// The live session for a cookie value, touched; `None` if it ended (it is deleted then).
pub async fn load(state: &AppState, cookie: &str) -> Result<Option<(String, SessionRow)>, AppError> {
    let id = key(cookie);
    let Some(row) = state.store.session_get(&id).await.map_err(|e| super::store_error("read sessions", &e))? else {
        return Ok(None);
    };
    let now = replimap_store::clock::now_ms();
    let idle = i64::try_from(state.auth.config.session_idle.as_millis()).unwrap_or(i64::MAX);
    if !row.is_live(now, idle) {
        let _ = state.store.session_delete(&id).await;
        return Ok(None);
    }
    // Touch at most every quarter of the idle limit (capped at a minute): the expiry stays
    // accurate to that, at one write per minute per active session rather than per request.
    let every = (idle / 4).min(60_000);
    if now - row.last_seen_at_ms >= every {
        if let Err(e) = state.store.session_touch(&id, now).await {
            tracing::warn!(error = %e, "could not record a session's last use");
        }
    }
    Ok(Some((id, row)))
}

/// Ends the caller's session, if they came with one.
pub async fn end(state: &AppState, caller: &Caller) -> Result<(), AppError> {
    if let Some(id) = &caller.session {
        state.store.session_delete(id).await.map_err(|e| super::store_error("end the session", &e))?;
        super::ended(state, super::Ended::Session(id.clone()));
    }
    Ok(())
}
