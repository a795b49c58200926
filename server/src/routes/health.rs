//! Liveness, readiness and the API description.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use replimap_types::ErrorCode;
use serde_json::{json, Value};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

const OPENAPI: &str = include_str!("../../api/openapi.json");

/// `GET /healthz`: the process is up and serving.
pub async fn healthz(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "arm": if state.emulated { "emulator" } else { "live" },
        "registriesDiscovered": state.hub.discovered(),
    }))
}

/// Probes come every few seconds from several places; ARM is asked at most this often.
const READINESS_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// `GET /readyz`: ARM answers with the configured credentials, and the registry list is known.
pub async fn readyz(State(state): State<AppState>) -> AppResult<Json<Value>> {
    let fresh = state.ready_at.lock().unwrap_or_else(|p| p.into_inner()).is_some_and(|at| at.elapsed() < READINESS_TTL);
    if !fresh {
        // A subscription listing is the cheapest authenticated read and proves the token works.
        // Only success is remembered: while ARM fails, every probe sees the current truth.
        state.arm.list_subscriptions().await.map_err(|e| {
            AppError::new(
                ErrorCode::Unavailable,
                format!("Azure Resource Manager is not usable: {}", e.public_message()),
            )
        })?;
        *state.ready_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(std::time::Instant::now());
    }
    if !state.hub.discovered() {
        return Err(AppError::new(ErrorCode::Unavailable, "The registry list has not been read yet."));
    }
    Ok(Json(json!({ "status": "ready" })))
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi() -> impl IntoResponse {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], OPENAPI)
}
