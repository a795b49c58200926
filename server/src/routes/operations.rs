//! `GET /api/v1/operations[/{id}]`: the writes this portal started.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::Json;
use replimap_types::{ErrorCode, Operation};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Recent writes, newest first.
pub async fn list(State(state): State<AppState>) -> Json<Vec<Operation>> {
    Json(state.operations.list())
}

/// One write.
pub async fn get(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> AppResult<Json<Operation>> {
    let id = super::validate::path(path)?;
    state.operations.get(&id).map(Json).ok_or_else(|| {
        AppError::new(ErrorCode::NotFound, format!("No operation '{id}' (the portal keeps the most recent 500)."))
    })
}
