//! Where images run: `…/coverage` (workload regions, evidence, gaps, idle replicas, cost),
//! `…/coverage/plan` and `…/coverage/fill`, `/api/v1/fleet` and `/api/v1/coverage/refresh`.
//! Every answer comes from memory (the hub and the last discovery); only a fill or a refresh
//! reaches ARM.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use replimap_types::{CoverageReport, ErrorCode, FillGaps, FillPlan, Fleet, Role, TransferEstimate};
use serde::Deserialize;

use super::validate;
use crate::caller::Caller;
use crate::coverage::{plan, report};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct RegistryPath {
    subscription_id: String,
    resource_group: String,
    registry: String,
}

/// The editable estimate, as query parameters (all optional).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EstimateQuery {
    pulls_per_month: Option<String>,
    gb_per_pull: Option<String>,
    storage_gb: Option<String>,
}

impl EstimateQuery {
    /// The estimate and the storage, each checked with its own message.
    pub fn parse(&self) -> AppResult<(TransferEstimate, Option<f64>)> {
        let d = TransferEstimate::default();
        let estimate = TransferEstimate {
            pulls_per_month: number("pullsPerMonth", self.pulls_per_month.as_deref(), 1e9)?
                .unwrap_or(d.pulls_per_month),
            gb_per_pull: number("gbPerPull", self.gb_per_pull.as_deref(), 1_000.0)?.unwrap_or(d.gb_per_pull),
        };
        Ok((estimate, number("storageGb", self.storage_gb.as_deref(), 1e6)?))
    }
}

/// A non-negative decimal no larger than `max`; empty means not given.
pub fn number(name: &str, value: Option<&str>, max: f64) -> AppResult<Option<f64>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() && (0.0..=max).contains(&x) => Ok(Some(x)),
        _ => Err(AppError::new(ErrorCode::BadRequest, format!("{name} must be a number from 0 to {max}, not '{v}'."))),
    }
}

fn estimate(query: Result<Query<EstimateQuery>, QueryRejection>) -> AppResult<(TransferEstimate, Option<f64>)> {
    let Query(q) =
        query.map_err(|e| AppError::new(ErrorCode::BadRequest, format!("Invalid query: {}", e.body_text())))?;
    q.parse()
}

fn key(path: Result<Path<RegistryPath>, PathRejection>) -> AppResult<replimap_types::RegistryKey> {
    let p = validate::path(path)?;
    validate::registry_key(&p.subscription_id, &p.resource_group, &p.registry)
}

/// `GET …/coverage`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<RegistryPath>, PathRejection>,
    query: Result<Query<EstimateQuery>, QueryRejection>,
) -> AppResult<Json<CoverageReport>> {
    let key = key(path)?;
    let (estimate, storage) = estimate(query)?;
    Ok(Json(report::report(&state, &caller, &key, estimate, storage)?))
}

/// `GET …/coverage/plan`.
pub async fn get_plan(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<RegistryPath>, PathRejection>,
    query: Result<Query<EstimateQuery>, QueryRejection>,
) -> AppResult<Json<FillPlan>> {
    let key = key(path)?;
    let (estimate, _) = estimate(query)?;
    Ok(Json(plan::plan(&state, &caller, &key, estimate)?))
}

/// `POST …/coverage/fill`: 202 with each region's outcome. The request's Idempotency-Key
/// (recommended) keys every region's create, so a retried fill creates nothing twice.
pub async fn fill(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    path: Result<Path<RegistryPath>, PathRejection>,
    json: Result<Json<FillGaps>, JsonRejection>,
) -> AppResult<Response> {
    let key = key(path)?;
    let Json(request) =
        json.map_err(|e| AppError::new(ErrorCode::BadRequest, format!("Invalid request body: {}", e.body_text())))?;
    let idempotency = headers
        .get(crate::idempotency::HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_matches('"').to_owned());
    let result = plan::fill(&state, &caller, &key, request, idempotency).await?;
    Ok((StatusCode::ACCEPTED, Json(result)).into_response())
}

/// `GET /api/v1/fleet`.
pub async fn fleet(State(state): State<AppState>, caller: Caller) -> Json<Fleet> {
    Json(report::fleet(&state, &caller))
}

/// `POST /api/v1/coverage/refresh`: asks discovery to run now (operators and admins; runs
/// asked for while one is under way are one run). 202; the result arrives on the stream.
pub async fn refresh(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    if caller.strongest_role() < Some(Role::Operator) {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            format!("Reading the workloads again needs the operator role; {} is a viewer.", caller.who()),
        ));
    }
    if !state.coverage.settings.enabled {
        return Err(AppError::new(ErrorCode::Unavailable, "Workload discovery is off (coverage.enabled = false)."));
    }
    state.coverage.refresh();
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "requested": true }))).into_response())
}
