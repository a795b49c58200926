//! `GET /api/v1/registries`.

use axum::extract::State;
use axum::Json;
use replimap_types::{ErrorCode, RegistrySummary};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The registries the portal watches, non-Premium ones marked not replicable with the reason.
pub async fn list(State(state): State<AppState>) -> AppResult<Json<Vec<RegistrySummary>>> {
    if !state.hub.discovered() {
        return Err(AppError::new(
            ErrorCode::Unavailable,
            "The registry list has not been read from Azure yet; try again shortly.",
        ));
    }
    Ok(Json(state.hub.registries()))
}
