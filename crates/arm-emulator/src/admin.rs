//! Out-of-band admin API under `/_emulator/` (never an ARM path, never
//! authenticated): request and token counts, fault rules, run-time timings,
//! token lifetime and throttling, state reset, and
//! changes "made elsewhere" (a registry or replica added, removed or broken
//! without going through ARM). Same envelope for errors as ARM, so clients
//! need one parser. Reference: `docs/emulator.md`.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::emulator::Emulator;
use crate::error::ArmError;
use crate::faults::FaultRule;
use crate::seed::{SeedRegistry, SeedReplica};
use crate::throttle::Throttling;

pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/requests", get(requests))
        .route("/requests/reset", post(reset_requests))
        .route("/faults", get(list_faults).post(add_faults).delete(clear_faults))
        .route("/config", get(get_config).post(set_config))
        .route("/reset", post(reset))
        .route("/state", get(state))
        .route("/registries", post(put_registry))
        .route("/registries/{registry}", delete(remove_registry))
        .route("/registries/{registry}/replications", post(put_replica))
        .route("/registries/{registry}/replications/{replica}", patch(patch_replica).delete(remove_replica))
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

/// `throttling` in `POST /_emulator/config`: `true` (ARM's limits), `false`
/// (off), or limits (`{"reads":{"bucket":3,"refillPerSec":1}}`; kinds left
/// out keep ARM's values).
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum ThrottleSetting {
    Switch(bool),
    Limits(Throttling),
}

/// The run-time settings, in milliseconds.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigDto {
    provisioning_delay_ms: Option<u64>,
    update_delay_ms: Option<u64>,
    page_size: Option<usize>,
    retry_after_secs: Option<u64>,
    /// Lifetime of access tokens issued from now on (`expires_in` follows it).
    token_lifetime_secs: Option<u64>,
    /// Answered as the limits in force, or `false`.
    throttling: Option<ThrottleSetting>,
    /// Resource Graph's per-user quota: `true` (15 per 5 s), `false` (off, no quota
    /// headers) or `{"queries":N,"windowSecs":S}`.
    resource_graph_quota: Option<QuotaSetting>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum QuotaSetting {
    Switch(bool),
    Limits(crate::graph_quota::GraphQuota),
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
        token_lifetime_secs: Some(t.token_lifetime.as_secs()),
        throttling: Some(match emu.throttling() {
            Some(l) => ThrottleSetting::Limits(l),
            None => ThrottleSetting::Switch(false),
        }),
        resource_graph_quota: Some(match emu.resource_graph_quota() {
            Some(q) => QuotaSetting::Limits(q),
            None => QuotaSetting::Switch(false),
        }),
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
    if let Some(s) = dto.token_lifetime_secs {
        emu.set_token_lifetime(Duration::from_secs(s));
    }
    match dto.throttling {
        None => {}
        Some(ThrottleSetting::Switch(on)) => emu.set_throttling(on.then(Throttling::arm)),
        Some(ThrottleSetting::Limits(l)) => emu.set_throttling(Some(l)),
    }
    match dto.resource_graph_quota {
        None => {}
        Some(QuotaSetting::Switch(on)) => emu.set_resource_graph_quota(on.then(Default::default)),
        Some(QuotaSetting::Limits(q)) => emu.set_resource_graph_quota(Some(q)),
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

fn parse<T: serde::de::DeserializeOwned>(body: &Bytes, what: &str) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid {what}: {e}"))
}

fn admin_not_found(what: &str) -> Response {
    ArmError::not_found("NotFound", format!("{what} does not exist.")).into_response()
}

/// Adds or replaces a registry with its replicas (body: a seed registry).
async fn put_registry(State(emu): State<Emulator>, body: Bytes) -> Response {
    let reg: SeedRegistry = match parse(&body, "registry") {
        Ok(r) => r,
        Err(msg) => return bad_request(msg),
    };
    let (sub, rg, name) = (reg.subscription_id.clone(), reg.resource_group.clone(), reg.name.clone());
    emu.add_registry(reg);
    match emu.registry(&sub, &rg, &name) {
        Some(doc) => Json(doc).into_response(),
        None => admin_not_found(&format!("Registry '{name}'")),
    }
}

async fn remove_registry(State(emu): State<Emulator>, Path(registry): Path<String>) -> Response {
    if emu.remove_registry(&registry) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        admin_not_found(&format!("Registry '{registry}'"))
    }
}

/// Adds or replaces a replica without an LRO (body: a seed replica).
async fn put_replica(State(emu): State<Emulator>, Path(registry): Path<String>, body: Bytes) -> Response {
    let rep: SeedReplica = match parse(&body, "replica") {
        Ok(r) => r,
        Err(msg) => return bad_request(msg),
    };
    if emu.put_replica(&registry, rep) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        admin_not_found(&format!("Registry '{registry}'"))
    }
}

/// Body of `PATCH /_emulator/registries/{r}/replications/{x}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReplicaStateDto {
    provisioning_state: String,
    /// Shown in `status.message` when the state is `Failed`.
    message: Option<String>,
}

/// Sets a replica's provisioning state (e.g. `Failed`), as if it changed on
/// Azure's side.
async fn patch_replica(
    State(emu): State<Emulator>,
    Path((registry, replica)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let dto: ReplicaStateDto = match parse(&body, "replica state") {
        Ok(d) => d,
        Err(msg) => return bad_request(msg),
    };
    const STATES: &[&str] = &["Creating", "Updating", "Deleting", "Succeeded", "Failed", "Canceled"];
    let Some(state) = STATES.iter().find(|s| s.eq_ignore_ascii_case(&dto.provisioning_state)) else {
        return bad_request(format!("provisioningState must be one of {STATES:?}"));
    };
    if emu.set_replica_state(&registry, &replica, state, dto.message.as_deref()) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        admin_not_found(&format!("Replication '{replica}' of registry '{registry}'"))
    }
}

async fn remove_replica(State(emu): State<Emulator>, Path((registry, replica)): Path<(String, String)>) -> Response {
    if emu.remove_replica(&registry, &replica) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        admin_not_found(&format!("Replication '{replica}' of registry '{registry}'"))
    }
}
