//! `GET /api/v1/locations`.

use axum::extract::State;
use axum::Json;
use replimap_types::Region;

use crate::state::AppState;

/// Every physical region, with `acceptsReplicas` false for canary and staging regions.
pub async fn list(State(state): State<AppState>) -> Json<Vec<Region>> {
    Json(state.regions.all().to_vec())
}
