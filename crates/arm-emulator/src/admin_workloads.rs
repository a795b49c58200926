//! The admin calls for workloads, role assignments and Resource Graph
//! (`/_emulator/workloads`, `/_emulator/role-assignments`,
//! `/_emulator/faults/resource-graph`): changes "made elsewhere" that discovery must
//! notice, the bench generator, and the switch that refuses Resource Graph.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::emulator::Emulator;
use crate::error::ArmError;
use crate::workloads::{SeedRoleAssignment, SeedWorkload};

pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/workloads", put(put_workload).delete(delete_workload).get(list))
        .route("/workloads/generate", post(generate))
        .route("/role-assignments", put(put_role_assignment).delete(delete_role_assignment))
        .route("/faults/resource-graph", put(set_refusal).get(get_refusal))
}

fn bad_request(message: impl Into<String>) -> Response {
    ArmError::bad_request("InvalidAdminRequest", message).into_response()
}

/// The error is the message of the 400 (`bad_request`).
fn parse<T: serde::de::DeserializeOwned>(body: &Bytes, what: &str) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid {what}: {e}"))
}

#[derive(Deserialize)]
struct ById {
    id: String,
}

async fn put_workload(State(emu): State<Emulator>, body: Bytes) -> Response {
    let w: SeedWorkload = match parse(&body, "workload") {
        Ok(w) => w,
        Err(msg) => return bad_request(msg),
    };
    match emu.put_workload(&w) {
        Ok(doc) => Json(doc).into_response(),
        Err(msg) => bad_request(msg),
    }
}

async fn delete_workload(State(emu): State<Emulator>, Query(q): Query<ById>) -> Response {
    if emu.remove_workload(&q.id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        ArmError::not_found("NotFound", format!("Workload '{}' does not exist.", q.id)).into_response()
    }
}

/// Every workload document and role assignment (debugging aid, and for tests).
async fn list(State(emu): State<Emulator>) -> Response {
    let (workloads, assignments) = emu.workload_documents();
    Json(json!({ "workloads": workloads, "roleAssignments": assignments })).into_response()
}

async fn generate(State(emu): State<Emulator>, body: Bytes) -> Response {
    let g: crate::generate::Generate = match parse(&body, "generate request") {
        Ok(g) => g,
        Err(msg) => return bad_request(msg),
    };
    match emu.generate_workloads(&g) {
        Ok(summary) => Json(summary).into_response(),
        Err(msg) => bad_request(msg),
    }
}

async fn put_role_assignment(State(emu): State<Emulator>, body: Bytes) -> Response {
    let a: SeedRoleAssignment = match parse(&body, "role assignment") {
        Ok(a) => a,
        Err(msg) => return bad_request(msg),
    };
    match emu.put_role_assignment(&a) {
        Ok(doc) => Json(doc).into_response(),
        Err(msg) => bad_request(msg),
    }
}

async fn delete_role_assignment(State(emu): State<Emulator>, Query(q): Query<ById>) -> Response {
    if emu.remove_role_assignment(&q.id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        ArmError::not_found("NotFound", format!("Role assignment '{}' does not exist.", q.id)).into_response()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Refusal {
    refuse: bool,
}

async fn set_refusal(State(emu): State<Emulator>, body: Bytes) -> Response {
    match parse::<Refusal>(&body, "resource-graph fault") {
        Ok(r) => {
            emu.set_resource_graph_refused(r.refuse);
            Json(json!({ "refuse": r.refuse })).into_response()
        }
        Err(msg) => bad_request(msg),
    }
}

async fn get_refusal(State(emu): State<Emulator>) -> Response {
    Json(json!({ "refuse": emu.resource_graph_refused() })).into_response()
}
