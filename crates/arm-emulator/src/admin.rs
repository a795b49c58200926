//! Out-of-band admin API under `/_emulator/` (never an ARM path): request
//! counts, fault rules, run-time timings and state reset. Same envelope for
//! errors as ARM, so clients need one parser.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::emulator::Emulator;
use crate::error::ArmError;
use crate::faults::FaultRule;

pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/requests", get(requests))
        .route("/requests/reset", post(reset_requests))
        .route(
            "/faults",
            get(list_faults).post(add_faults).delete(clear_faults),
        )
        .route("/config", get(get_config).post(set_config))
        .route("/reset", post(reset))
        .route("/state", get(state))
}

fn bad_request(message: impl Into<String>) -> Response {
    ArmError::bad_request("InvalidAdminRequest", message).into_response()
}

async fn requests(State(emu): State<Emulator>) -> Response {
    Json(emu.request_stats()).into_response()
}

async fn reset_requests(State(emu): State<Emulator>) -> StatusCode {
    emu.reset_requests();
    StatusCode::NO_CONTENT
}

async fn list_faults(State(emu): State<Emulator>) -> Response {
    Json(json!({ "faults": emu.faults() })).into_response()
}

/// Accepts one rule or a list; appends them after the existing rules.
async fn add_faults(State(emu): State<Emulator>, body: Bytes) -> Response {
    let rules: Vec<FaultRule> = match serde_json::from_slice::<Value>(&body) {
        Ok(v @ Value::Array(_)) => match serde_json::from_value(v) {
            Ok(r) => r,
            Err(e) => return bad_request(format!("invalid fault rule: {e}")),
        },
        Ok(v) => match serde_json::from_value(v) {
            Ok(r) => vec![r],
            Err(e) => return bad_request(format!("invalid fault rule: {e}")),
        },
        Err(e) => return bad_request(format!("invalid JSON: {e}")),
    };
    if let Some(err) = rules.iter().find_map(|r| r.validate().err()) {
        return bad_request(err);
    }
    for r in rules {
        emu.add_fault(r);
    }
    list_faults(State(emu)).await
}

async fn clear_faults(State(emu): State<Emulator>) -> StatusCode {
    emu.clear_faults();
    StatusCode::NO_CONTENT
}

/// The run-time settings, in milliseconds.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigDto {
    provisioning_delay_ms: Option<u64>,
    update_delay_ms: Option<u64>,
    page_size: Option<usize>,
    retry_after_secs: Option<u64>,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

async fn get_config(State(emu): State<Emulator>) -> Response {
    let t = emu.timings();
    Json(ConfigDto {
        provisioning_delay_ms: Some(millis(t.provisioning_delay)),
        update_delay_ms: Some(millis(t.update_delay)),
        page_size: Some(t.page_size),
        retry_after_secs: Some(t.retry_after_secs),
    })
    .into_response()
}

async fn set_config(State(emu): State<Emulator>, body: Bytes) -> Response {
    let dto: ConfigDto = match serde_json::from_slice(&body) {
        Ok(d) => d,
        Err(e) => return bad_request(format!("invalid config: {e}")),
    };
    if let Some(ms) = dto.provisioning_delay_ms {
        emu.set_provisioning_delay(Duration::from_millis(ms));
    }
    if let Some(ms) = dto.update_delay_ms {
        emu.set_update_delay(Duration::from_millis(ms));
    }
    if let Some(n) = dto.page_size {
        emu.set_page_size(n);
    }
    if let Some(s) = dto.retry_after_secs {
        emu.set_retry_after_secs(s);
    }
    get_config(State(emu)).await
}

async fn reset(State(emu): State<Emulator>) -> StatusCode {
    emu.reset();
    StatusCode::NO_CONTENT
}

/// Every registry with its replicas (debugging aid).
async fn state(State(emu): State<Emulator>) -> Response {
    Json(emu.snapshot()).into_response()
}
