//! `GET /api/v1/operations[/{id}]`: the writes this portal started, from the store (they
//! survive restarts).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::Json;
use replimap_types::{ErrorCode, Operation};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// How many recent writes the list shows.
const RECENT: u32 = 500;

/// Recent writes, newest first.
pub async fn list(State(state): State<AppState>) -> AppResult<Json<Vec<Operation>>> {
    Ok(Json(crate::operations::recent(&state, RECENT).await?))
}

/// One write.
pub async fn get(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> AppResult<Json<Operation>> {
    let id = super::validate::path(path)?;
    crate::operations::get(&state, &id).await?.map(Json).ok_or_else(|| {
        AppError::new(ErrorCode::NotFound, format!("No operation '{}'.", id.chars().take(60).collect::<String>()))
    })
}
