//! `/api/v1/tokens`: API tokens for pipelines and wall screens. Admin on every registry only
//! (an admin of some registries could otherwise mint a token for all of them); every creation
//! and revocation, allowed or refused, is in the audit trail.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use replimap_store::ApiTokenRow;
use replimap_types::{AuditAction, CreatedApiToken, ErrorCode, NewApiToken};
use serde_json::json;

use crate::audit::record_decision;
use crate::auth::{authz, tokens};
use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Days a token lives unless asked otherwise: a quarter, so forgotten tokens die.
const DEFAULT_DAYS: u32 = 90;
/// The longest life a token may be given: a wall screen is re-enrolled about once a year.
const MAX_DAYS: u32 = 400;
/// Longest name.
const MAX_NAME: usize = 100;
/// Most registry patterns on one token.
const MAX_PATTERNS: usize = 50;

fn bad(message: String) -> AppError {
    AppError::new(ErrorCode::BadRequest, message)
}

/// `GET /api/v1/tokens`: every token, newest first, revoked and expired ones included.
pub async fn list(State(state): State<AppState>, caller: Caller) -> AppResult<Json<serde_json::Value>> {
    authz::require_global_admin(&caller, "Listing API tokens")?;
    let rows = state.store.token_list().await.map_err(|e| crate::auth::store_error("list API tokens", &e))?;
    let now = replimap_store::clock::now_ms();
    let items: Vec<_> = rows.iter().map(|r| tokens::view(r, now)).collect();
    Ok(Json(json!({ "items": items })))
}

/// `POST /api/v1/tokens`: 201 with the secret, which is not stored and never shown again.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> AppResult<Response> {
    let raw = match &body {
        Ok(Json(v)) => v.clone(),
        Err(_) => serde_json::Value::Null,
    };
    let decided = decide_create(&caller, body);
    let request = json!({ "name": raw.get("name"), "role": raw.get("role"), "registries": raw.get("registries"), "expiresInDays": raw.get("expiresInDays") });
    let new = match decided {
        Ok(new) => new,
        Err(e) => {
            if e.code() == ErrorCode::Forbidden {
                state.auth.counters.forbidden.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            record_decision(&state, &caller, AuditAction::CreateToken, request, Err(&e)).await?;
            return Err(e);
        }
    };
    let (secret, id, hash) = tokens::mint()?;
    let now = replimap_store::clock::now_ms();
    let days = new.expires_in_days.unwrap_or(DEFAULT_DAYS);
    let row = ApiTokenRow {
        id,
        name: new.name.trim().to_owned(),
        secret_hash: hash,
        role: new.role.as_str().to_owned(),
        registries: new
            .registries
            .map_or_else(|| vec!["*".into()], |l| l.iter().map(|p| p.trim().to_owned()).collect()),
        created_by: caller.actor().to_owned(),
        created_at_ms: now,
        expires_at_ms: now + i64::from(days) * 86_400_000,
        last_used_at_ms: None,
        revoked_at_ms: None,
        revoked_by: None,
    };
    // Recorded first: a token the audit trail does not know of must not exist.
    let mut request = request;
    request["id"] = json!(row.id);
    record_decision(&state, &caller, AuditAction::CreateToken, request, Ok(())).await?;
    state.store.token_insert(&row).await.map_err(|e| crate::auth::store_error("store the API token", &e))?;
    tracing::info!(token = %row.id, name = %row.name, role = %row.role, by = %caller.actor(), "API token created");
    let created = CreatedApiToken { secret, token: tokens::view(&row, now) };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Checks the caller and the request; the token to create.
fn decide_create(caller: &Caller, body: Result<Json<serde_json::Value>, JsonRejection>) -> AppResult<NewApiToken> {
    authz::require_global_admin(caller, "Creating API tokens")?;
    let Json(raw) = body.map_err(|e| bad(format!("Invalid request body: {}", e.body_text())))?;
    let new: NewApiToken = serde_json::from_value(raw).map_err(|e| bad(format!("Invalid request body: {e}")))?;
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(bad(format!("'name' must be 1 to {MAX_NAME} printable characters.")));
    }
    if let Some(days) = new.expires_in_days {
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(bad(format!("'expiresInDays' must be from 1 to {MAX_DAYS}, not {days}.")));
        }
    }
    if let Some(patterns) = &new.registries {
        if patterns.is_empty() || patterns.len() > MAX_PATTERNS {
            return Err(bad(format!(
                "'registries' must hold 1 to {MAX_PATTERNS} patterns (leave it out for every registry)."
            )));
        }
        for p in patterns {
            crate::config::check_pattern(p).map_err(|e| bad(format!("'registries': {e}")))?;
        }
    }
    Ok(new)
}

/// `DELETE /api/v1/tokens/{id}`: revokes the token and ends the screens enrolled with it.
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> AppResult<Response> {
    let id = super::validate::path(path)?;
    let request = json!({ "id": id.chars().take(64).collect::<String>() });
    if let Err(e) = authz::require_global_admin(&caller, "Revoking API tokens") {
        state.auth.counters.forbidden.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        record_decision(&state, &caller, AuditAction::RevokeToken, request, Err(&e)).await?;
        return Err(e);
    }
    let store_err = |e| crate::auth::store_error("revoke the API token", &e);
    let Some(row) = state.store.token_get(&id).await.map_err(store_err)? else {
        return Err(AppError::new(
            ErrorCode::NotFound,
            format!("There is no API token '{}'.", request["id"].as_str().unwrap_or_default()),
        ));
    };
    record_decision(&state, &caller, AuditAction::RevokeToken, request, Ok(())).await?;
    let now = replimap_store::clock::now_ms();
    state.store.token_revoke(&row.id, caller.actor(), now).await.map_err(store_err)?;
    let ended = state.store.sessions_delete_for_token(&row.id).await.map_err(store_err)?;
    crate::auth::ended(&state, crate::auth::Ended::Token(row.id.clone()));
    tracing::info!(token = %row.id, by = %caller.actor(), sessions_ended = ended, "API token revoked");
    let row = state.store.token_get(&row.id).await.map_err(store_err)?.unwrap_or(row);
    Ok(Json(tokens::view(&row, now)).into_response())
}
