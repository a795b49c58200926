//! `/api/v1/registries/{sub}/{rg}/{registry}/replications[/{name}]`.
//!
//! The list is answered from the status hub (`?refresh=true` asks ARM); one replication is
//! read from ARM. Each write is recorded in the audit trail first, then validated, sent to
//! ARM and answered with `202 Accepted` at once; the long-running operation is stored and
//! followed in the background (see `operations`), and its outcome reaches browsers through
//! the status hub.

use std::time::Duration;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use replimap_arm::{ReplicationPatch, ReplicationPatchProperties};
use replimap_types::{
    AuditAction, CreateReplication, ErrorCode, Operation, OperationKind, RegistryKey, RegistryState, Replication,
    ReplicationName, StatusEvent, UpdateReplication,
};
use serde::Deserialize;

use super::validate;
use crate::audit::{Attempt, Draft};
use crate::auth::authz::{self, Action};
use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::operations;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct RegistryPath {
    subscription_id: String,
    resource_group: String,
    registry: String,
}

#[derive(Deserialize)]
pub struct ReplicationPath {
    subscription_id: String,
    resource_group: String,
    registry: String,
    name: String,
}

impl RegistryPath {
    fn key(&self) -> AppResult<RegistryKey> {
        validate::registry_key(&self.subscription_id, &self.resource_group, &self.registry)
    }
}

impl ReplicationPath {
    fn key(&self) -> AppResult<RegistryKey> {
        validate::registry_key(&self.subscription_id, &self.resource_group, &self.registry)
    }

    fn parts(&self) -> AppResult<(RegistryKey, ReplicationName)> {
        let key = self.key()?;
        Ok((key, validate::replication_name(&self.name)?))
    }
}

/// The hub's spelling of the registry key (ARM names are case-insensitive; the hub keys are ARM's).
fn canonical(reg: &RegistryState) -> RegistryKey {
    reg.registry.key.clone()
}

/// `?refresh=` of the list.
#[derive(Deserialize)]
pub struct ListQuery {
    refresh: Option<String>,
}

/// How long `?refresh=true` waits for ARM (throttling included) before answering 504.
const REFRESH_WAIT: Duration = Duration::from_secs(10);

/// Milliseconds since the replica list was last read from ARM (`Age` has it in seconds).
const STATE_AGE_HEADER: &str = "x-replimap-state-age-ms";

/// `GET …/replications`: the status hub's current list (the poller's last result and the
/// writes since), with its age; `?refresh=true` reads ARM now and feeds the answer to the hub.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<RegistryPath>, PathRejection>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> AppResult<Response> {
    let p = validate::path(path)?;
    let Query(q) =
        query.map_err(|e| AppError::new(ErrorCode::BadRequest, format!("Invalid query string: {}", e.body_text())))?;
    let refresh = validate::flag("refresh", q.refresh.as_deref())?;
    let key = p.key()?;
    authz::require(&caller, Action::Read, &key)?;
    let reg = validate::replicable_registry(&state, &key)?;
    let (replications, age) = if refresh { from_arm(&state, &reg).await? } else { from_hub(&state, &reg)? };
    let headers = [
        (header::AGE, age.as_secs().to_string()),
        (HeaderName::from_static(STATE_AGE_HEADER), age.as_millis().to_string()),
    ];
    Ok((headers, Json(replications)).into_response())
}

fn from_hub(state: &AppState, reg: &RegistryState) -> AppResult<(Vec<Replication>, Duration)> {
    let key = &reg.registry.key;
    let (current, age) = state.hub.registry_with_age(key).ok_or_else(|| validate::unknown_registry(key))?;
    let age = age.ok_or_else(|| {
        AppError::new(
            ErrorCode::Unavailable,
            format!(
                "The replicas of '{}' have not been read from Azure yet; try again in a few seconds, or add ?refresh=true.",
                key.name
            ),
        )
    })?;
    Ok((current.replications, age))
}

async fn from_arm(state: &AppState, reg: &RegistryState) -> AppResult<(Vec<Replication>, Duration)> {
    let key = canonical(reg);
    let generation = state.hub.generation(&key);
    let listed = tokio::time::timeout(REFRESH_WAIT, state.arm.list_replications(&key)).await.map_err(|_| {
        AppError::new(
            ErrorCode::UpstreamTimeout,
            format!(
                "Azure Resource Manager did not list the replicas of '{}' within {} s; try again, or leave out refresh=true for the portal's last poll.",
                key.name,
                REFRESH_WAIT.as_secs()
            ),
        )
    })??;
    let mut out = Vec::new();
    for r in listed {
        out.push(r.into_view(&reg.registry.location)?);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    // Fed to the hub as a poll (SSE clients see the differences), unless a write was published
    // meanwhile; then ARM's answer is returned as it came.
    if state.hub.update_replications(&key, generation, out.clone()) {
        if let Some((current, Some(age))) = state.hub.registry_with_age(&key) {
            return Ok((current.replications, age));
        }
    }
    Ok((out, Duration::ZERO))
}

/// `GET …/replications/{name}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<ReplicationPath>, PathRejection>,
) -> AppResult<Json<Replication>> {
    let p = validate::path(path)?;
    let (key, name) = p.parts()?;
    authz::require(&caller, Action::Read, &key)?;
    let reg = validate::replicable_registry(&state, &key)?;
    let arm = state.arm.get_replication(&canonical(&reg), &name).await?;
    Ok(Json(arm.into_view(&reg.registry.location)?))
}

/// The request body as JSON for the audit record, and as the handler's input (or its 400).
fn raw_body(json: Result<Json<serde_json::Value>, JsonRejection>) -> (serde_json::Value, AppResult<serde_json::Value>) {
    match json {
        Ok(Json(v)) => (v.clone(), Ok(v)),
        Err(e) => (
            serde_json::Value::Null,
            Err(AppError::new(ErrorCode::BadRequest, format!("Invalid request body: {}", e.body_text()))),
        ),
    }
}

fn typed<T: serde::de::DeserializeOwned>(v: AppResult<serde_json::Value>) -> AppResult<T> {
    serde_json::from_value(v?).map_err(|e| AppError::new(ErrorCode::BadRequest, format!("Invalid request body: {e}")))
}

/// Runs one write with its audit record: recorded and authorised before `write` may call ARM
/// (a 503 and no ARM call when the store cannot record, a 403 when the role is missing),
/// refused or failed with the error if `write` fails; `write` itself marks the record accepted.
async fn audited(
    state: &AppState,
    caller: &Caller,
    draft: Draft,
    write: impl AsyncFnOnce(&Attempt) -> AppResult<Response>,
) -> AppResult<Response> {
    let attempt = Attempt::begin(state, caller, draft).await?;
    match write(&attempt).await {
        Ok(resp) => Ok(resp),
        Err(e) => {
            attempt.failed(&e).await;
            Err(e)
        }
    }
}

/// The region a replication is in, as the hub last saw it (replica names usually are regions).
fn region_of(state: &AppState, key: Option<&RegistryKey>, name: &str) -> Option<String> {
    let reg = state.hub.registry(key?)?;
    let r = reg.replications.iter().find(|r| r.name.as_str().eq_ignore_ascii_case(name))?;
    Some(r.location.to_string())
}

/// `PUT …/replications`: name defaults to the location, as `az acr replication create` does.
pub async fn create_default_name(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<RegistryPath>, PathRejection>,
    json: Result<Json<serde_json::Value>, JsonRejection>,
) -> AppResult<Response> {
    let p = validate::path(path)?;
    create_with(state, caller, p.key(), None, json).await
}

/// `PUT …/replications/{name}`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<ReplicationPath>, PathRejection>,
    json: Result<Json<serde_json::Value>, JsonRejection>,
) -> AppResult<Response> {
    let p = validate::path(path)?;
    create_with(state, caller, p.key(), Some(p.name.clone()), json).await
}

async fn create_with(
    state: AppState,
    caller: Caller,
    key: AppResult<RegistryKey>,
    name: Option<String>,
    json: Result<Json<serde_json::Value>, JsonRejection>,
) -> AppResult<Response> {
    let (raw, body) = raw_body(json);
    let (op, view) = create_replica(&state, &caller, key, name, raw, body).await?;
    Ok((StatusCode::ACCEPTED, operation_headers(&op), Json(view)).into_response())
}

/// One create, as the API and the fill of the gaps (`coverage::plan`) do it: recorded in the
/// audit trail, authorised, validated, sent to ARM, followed as an operation and published.
pub(crate) async fn create_replica(
    state: &AppState,
    caller: &Caller,
    key: AppResult<RegistryKey>,
    name: Option<String>,
    raw: serde_json::Value,
    body: AppResult<serde_json::Value>,
) -> AppResult<(Operation, Replication)> {
    let location = raw.get("location").and_then(|l| l.as_str()).map(str::to_ascii_lowercase);
    let draft = Draft {
        action: AuditAction::CreateReplication,
        registry: key.as_ref().ok().cloned(),
        replication: name.as_deref().or(location.as_deref()).and_then(|n| n.parse().ok()),
        region: location,
        request: raw,
    };
    let attempt = Attempt::begin(state, caller, draft).await?;
    let created = async {
        let key = key?;
        let req: CreateReplication = typed(body)?;
        let reg = validate::writable_registry(state, &key)?;
        let (name, put) = validate::create(state, &reg, name.as_deref(), &req)?;
        let key = canonical(&reg);
        tracing::info!(registry = %key, replication = %name, location = %put.location, "creating replication");
        let (arm, poller) = attempt.arm().create_replication(&key, &name, &put).await?;
        let op = operations::start(state, &attempt, OperationKind::Create, key.clone(), name, poller).await;
        let view = arm.into_view(&reg.registry.location)?;
        state.hub.publish(StatusEvent::ReplicationUpserted { registry: key, replication: view.clone() });
        Ok((op, view))
    }
    .await;
    if let Err(e) = &created {
        attempt.failed(e).await;
    }
    created
}

/// `PATCH …/replications/{name}`: routing and tags only.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<ReplicationPath>, PathRejection>,
    json: Result<Json<serde_json::Value>, JsonRejection>,
) -> AppResult<Response> {
    let p = validate::path(path)?;
    let key = p.key();
    let (raw, body) = raw_body(json);
    let draft = Draft {
        action: AuditAction::UpdateReplication,
        registry: key.as_ref().ok().cloned(),
        region: region_of(&state, key.as_ref().ok(), &p.name),
        replication: p.name.parse().ok(),
        request: raw,
    };
    audited(&state, &caller, draft, async |attempt| {
        let key = key?;
        let name = validate::replication_name(&p.name)?;
        let raw = body?;
        // ARM fixes these at creation; say so rather than "unknown field".
        for field in ["location", "zoneRedundancy", "name"] {
            if raw.get(field).is_some() {
                return Err(AppError::new(
                    ErrorCode::BadRequest,
                    format!("'{field}' cannot be changed after a replica is created; delete and re-create it instead."),
                ));
            }
        }
        let req: UpdateReplication = typed(Ok(raw))?;
        if req.region_endpoint_enabled.is_none() && req.tags.is_none() {
            return Err(AppError::new(
                ErrorCode::BadRequest,
                "Nothing to change: give regionEndpointEnabled and/or tags.",
            ));
        }
        if let Some(tags) = &req.tags {
            validate::tags(tags)?;
        }
        let reg = validate::writable_registry(&state, &key)?;
        let key = canonical(&reg);
        if !reg.replications.iter().any(|r| r.name == name) {
            return Err(AppError::new(
                ErrorCode::NotFound,
                format!("Registry '{}' has no replication named '{name}'.", key.name),
            ));
        }
        let patch = ReplicationPatch {
            tags: req.tags,
            properties: ReplicationPatchProperties { region_endpoint_enabled: req.region_endpoint_enabled },
        };
        let (arm, poller) = attempt.arm().update_replication(&key, &name, &patch).await?;
        let op = operations::start(&state, attempt, OperationKind::Update, key.clone(), name, poller).await;
        let view = arm.into_view(&reg.registry.location)?;
        state.hub.publish(StatusEvent::ReplicationUpserted { registry: key, replication: view.clone() });
        Ok((StatusCode::ACCEPTED, operation_headers(&op), Json(view)).into_response())
    })
    .await
}

/// `DELETE …/replications/{name}`: refused for the home replica.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<ReplicationPath>, PathRejection>,
) -> AppResult<Response> {
    let p = validate::path(path)?;
    let key = p.key();
    let draft = Draft {
        action: AuditAction::DeleteReplication,
        registry: key.as_ref().ok().cloned(),
        region: region_of(&state, key.as_ref().ok(), &p.name),
        replication: p.name.parse().ok(),
        request: serde_json::Value::Null,
    };
    audited(&state, &caller, draft, async |attempt| {
        let key = key?;
        let name = validate::replication_name(&p.name)?;
        let reg = validate::writable_registry(&state, &key)?;
        let key = canonical(&reg);
        let known = reg.replications.iter().find(|r| r.name == name);
        match known {
            Some(r) if r.is_home => {
                return Err(AppError::new(
                    ErrorCode::HomeReplica,
                    format!(
                        "'{}' is the home replica of '{}' ({}); it goes only with the registry itself.",
                        r.name, key.name, r.location
                    ),
                ))
            }
            Some(_) => {}
            None => {
                return Err(AppError::new(
                    ErrorCode::NotFound,
                    format!("Registry '{}' has no replication named '{name}'.", key.name),
                ))
            }
        }
        tracing::info!(registry = %key, replication = %name, "deleting replication");
        let poller = attempt.arm().delete_replication(&key, &name).await?;
        let op = operations::start(&state, attempt, OperationKind::Delete, key, name, poller).await;
        Ok((StatusCode::ACCEPTED, operation_headers(&op), Json(op)).into_response())
    })
    .await
}

/// `Location` and `Operation-Id` of a write, so API users can follow it without SSE.
fn operation_headers(op: &Operation) -> [(HeaderName, String); 2] {
    [
        (header::LOCATION, format!("/api/v1/operations/{}", op.id)),
        (HeaderName::from_static("operation-id"), op.id.clone()),
    ]
}
