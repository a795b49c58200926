//! `GET /api/v1/operations[/{id}]`: the writes this portal started.

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
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> AppResult<Json<Operation>> {
    state.operations.get(&id).map(Json).ok_or_else(|| {
        AppError::not_found(ErrorCode::NotFound, format!("No operation '{id}' (the portal keeps the most recent 500)."))
    })
}
