//! `GET /api/v1/operations[/{id}]`: the writes this portal started, from the store (they
//! survive restarts).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::Json;
use replimap_types::{ErrorCode, Operation};

use crate::auth::authz;
use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// How many recent writes the list shows.
const RECENT: u32 = 500;

/// Recent writes, newest first.
pub async fn list(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Vec<Operation>>> {
    let mut ops = crate::operations::recent(&state, RECENT).await?;
    ops.retain(|op| authz::can_read(&caller, &op.registry));
    Ok(Json(ops))
}

/// One write.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> AppResult<Json<Operation>> {
    let id = super::validate::path(path)?;
    // Another scope's operation answers as a missing one.
    let op = crate::operations::get(&state, &id).await?.filter(|op| authz::can_read(&caller, &op.registry));
    op.map(Json).ok_or_else(|| {
        AppError::new(ErrorCode::NotFound, format!("No operation '{}'.", id.chars().take(60).collect::<String>()))
    })
}
