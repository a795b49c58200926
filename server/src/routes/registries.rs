//! `GET /api/v1/registries`.

use axum::extract::State;
use axum::Json;
use replimap_types::{ErrorCode, RegistrySummary};

use crate::auth::authz;
use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The registries the portal watches, non-Premium ones marked not replicable with the reason.
pub async fn list(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Vec<RegistrySummary>>> {
    if !state.hub.discovered() {
        return Err(AppError::new(
            ErrorCode::Unavailable,
            "The registry list has not been read from Azure yet; try again shortly.",
        ));
    }
    // Registries outside the caller's scope are not listed at all.
    let visible = state.hub.registries().into_iter().filter(|r| authz::can_read(&caller, &r.key)).collect();
    Ok(Json(visible))
}
