//! `/api/v1/registries/{sub}/{rg}/{registry}/replications[/{name}]`.
//!
//! Reads go to ARM directly; writes are validated, sent to ARM, and answered with
//! `202 Accepted` at once. The long-running operation is followed in the background
//! and its outcome reaches browsers through the status hub.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderName, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use replimap_arm::{LroPoller, ReplicationPatch, ReplicationPatchProperties};
use replimap_types::{
    CreateReplication, ErrorCode, Operation, OperationKind, RegistryKey, RegistryState, Replication, ReplicationName,
    StatusEvent, UpdateReplication,
};
use serde::Deserialize;

use super::validate;
use crate::error::{AppError, AppResult};
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

fn body<T>(json: Result<Json<T>, JsonRejection>) -> AppResult<T> {
    json.map(|Json(t)| t)
        .map_err(|e| AppError::bad_request(ErrorCode::BadRequest, format!("Invalid request body: {}", e.body_text())))
}

/// The hub's spelling of the registry key (ARM names are case-insensitive; the hub keys are ARM's).
fn canonical(reg: &RegistryState) -> RegistryKey {
    reg.registry.key.clone()
}

/// `GET …/replications`: ARM's current list.
pub async fn list(State(state): State<AppState>, Path(p): Path<RegistryPath>) -> AppResult<Json<Vec<Replication>>> {
    let reg = validate::replicable_registry(&state, &p.key()?)?;
    let mut out = Vec::new();
    for r in state.arm.list_replications(&canonical(&reg)).await? {
        out.push(r.into_view(&reg.registry.location)?);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Json(out))
}

/// `GET …/replications/{name}`.
pub async fn get(State(state): State<AppState>, Path(p): Path<ReplicationPath>) -> AppResult<Json<Replication>> {
    let (key, name) = p.parts()?;
    let reg = validate::replicable_registry(&state, &key)?;
    let arm = state.arm.get_replication(&canonical(&reg), &name).await?;
    Ok(Json(arm.into_view(&reg.registry.location)?))
}

/// `PUT …/replications`: name defaults to the location, as `az acr replication create` does.
pub async fn create_default_name(
    State(state): State<AppState>,
    Path(p): Path<RegistryPath>,
    json: Result<Json<CreateReplication>, JsonRejection>,
) -> AppResult<impl IntoResponse> {
    let key = p.key()?;
    start_create(state, key, None, body(json)?).await
}

/// `PUT …/replications/{name}`.
pub async fn create(
    State(state): State<AppState>,
    Path(p): Path<ReplicationPath>,
    json: Result<Json<CreateReplication>, JsonRejection>,
) -> AppResult<impl IntoResponse> {
    let key = p.key()?;
    start_create(state, key, Some(p.name.clone()), body(json)?).await
}

async fn start_create(
    state: AppState,
    key: RegistryKey,
    name: Option<String>,
    req: CreateReplication,
) -> AppResult<impl IntoResponse> {
    let reg = validate::writable_registry(&state, &key)?;
    let (name, put) = validate::create(&state, &reg, name.as_deref(), &req)?;
    let key = canonical(&reg);
    tracing::info!(registry = %key, replication = %name, location = %put.location, "creating replication");
    let (arm, poller) = state.arm.create_replication(&key, &name, &put).await?;
    let view = arm.into_view(&reg.registry.location)?;
    state.hub.publish(StatusEvent::ReplicationUpserted { registry: key.clone(), replication: view.clone() });
    let op = follow(&state, OperationKind::Create, key, name, poller);
    Ok((StatusCode::ACCEPTED, operation_headers(&op), Json(view)))
}

/// `PATCH …/replications/{name}`: routing and tags only.
pub async fn update(
    State(state): State<AppState>,
    Path(p): Path<ReplicationPath>,
    json: Result<Json<serde_json::Value>, JsonRejection>,
) -> AppResult<impl IntoResponse> {
    let (key, name) = p.parts()?;
    let raw = body(json)?;
    // ARM fixes these at creation; say so rather than "unknown field".
    for field in ["location", "zoneRedundancy", "name"] {
        if raw.get(field).is_some() {
            return Err(AppError::bad_request(
                ErrorCode::BadRequest,
                format!("'{field}' cannot be changed after a replica is created; delete and re-create it instead."),
            ));
        }
    }
    let req: UpdateReplication = serde_json::from_value(raw)
        .map_err(|e| AppError::bad_request(ErrorCode::BadRequest, format!("Invalid request body: {e}")))?;
    if req.region_endpoint_enabled.is_none() && req.tags.is_none() {
        return Err(AppError::bad_request(
            ErrorCode::BadRequest,
            "Nothing to change: give regionEndpointEnabled and/or tags.",
        ));
    }
    if let Some(tags) = &req.tags {
        validate::tags(tags)?;
    }
    let reg = validate::writable_registry(&state, &key)?;
    let key = canonical(&reg);
    if !reg.replications.iter().any(|r| r.name.as_str().eq_ignore_ascii_case(name.as_str())) {
        return Err(AppError::not_found(
            ErrorCode::NotFound,
            format!("Registry '{}' has no replication named '{name}'.", key.name),
        ));
    }
    let patch = ReplicationPatch {
        tags: req.tags,
        properties: ReplicationPatchProperties { region_endpoint_enabled: req.region_endpoint_enabled },
    };
    let (arm, poller) = state.arm.update_replication(&key, &name, &patch).await?;
    let view = arm.into_view(&reg.registry.location)?;
    state.hub.publish(StatusEvent::ReplicationUpserted { registry: key.clone(), replication: view.clone() });
    let op = follow(&state, OperationKind::Update, key, name, poller);
    Ok((StatusCode::ACCEPTED, operation_headers(&op), Json(view)))
}

/// `DELETE …/replications/{name}`: refused for the home replica.
pub async fn delete(State(state): State<AppState>, Path(p): Path<ReplicationPath>) -> AppResult<impl IntoResponse> {
    let (key, name) = p.parts()?;
    let reg = validate::writable_registry(&state, &key)?;
    let key = canonical(&reg);
    let known = reg.replications.iter().find(|r| r.name.as_str().eq_ignore_ascii_case(name.as_str()));
    match known {
        Some(r) if r.is_home => {
            return Err(AppError::conflict(
                ErrorCode::HomeReplica,
                format!(
                    "'{}' is the home replica of '{}' ({}); it goes only with the registry itself.",
                    r.name, key.name, r.location
                ),
            ))
        }
        Some(_) => {}
        None => {
            return Err(AppError::not_found(
                ErrorCode::NotFound,
                format!("Registry '{}' has no replication named '{name}'.", key.name),
            ))
        }
    }
    tracing::info!(registry = %key, replication = %name, "deleting replication");
    let poller = state.arm.delete_replication(&key, &name).await?;
    let op = follow(&state, OperationKind::Delete, key, name, poller);
    Ok((StatusCode::ACCEPTED, operation_headers(&op), Json(op)))
}

/// `Location` and `Operation-Id` of a write, so API users can follow it without SSE.
fn operation_headers(op: &Operation) -> [(HeaderName, String); 2] {
    [
        (header::LOCATION, format!("/api/v1/operations/{}", op.id)),
        (HeaderName::from_static("operation-id"), op.id.clone()),
    ]
}

/// Records the write and follows its long-running operation in the background; a failure
/// becomes an `operation_failed` event. The poller is nudged at the end either way, so the
/// map shows ARM's final truth.
fn follow(
    state: &AppState,
    kind: OperationKind,
    key: RegistryKey,
    name: ReplicationName,
    poller: Option<LroPoller>,
) -> Operation {
    let op = state.operations.start(kind, key.clone(), name.clone());
    let hub = state.hub.clone();
    let ops = state.operations.clone();
    let id = op.id.clone();
    hub.nudge(&key);
    tokio::spawn(async move {
        let result = match poller {
            Some(p) => p.wait().await,
            None => Ok(()),
        };
        match result {
            Ok(()) => ops.finish(&id, None),
            Err(e) => {
                tracing::warn!(registry = %key, replication = %name, error = %e, "replication operation failed");
                ops.finish(&id, Some(e.public_message()));
                hub.publish(StatusEvent::OperationFailed { registry: key.clone(), name, message: e.public_message() });
            }
        }
        hub.nudge(&key);
    });
    op
}
