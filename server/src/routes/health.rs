//! Liveness.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::state::AppState;

/// `GET /healthz`: the process is up and serving.
pub async fn healthz(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "arm": if state.emulated { "emulator" } else { "live" },
        "registriesDiscovered": state.hub.discovered(),
    }))
}
