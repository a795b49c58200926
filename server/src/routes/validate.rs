//! Input checks made before any ARM write, so a bad request never reaches Azure.

use std::collections::BTreeMap;

use axum::extract::rejection::PathRejection;
use axum::extract::Path;

use replimap_arm::{ReplicationPut, ReplicationPutProperties};
use replimap_types::{
    CreateReplication, ErrorCode, RegionName, RegistryKey, RegistryState, ReplicationName, ZoneRedundancy,
};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The path parameters, or a 400 envelope (e.g. a segment that is not UTF-8 once decoded).
pub fn path<T>(path: Result<Path<T>, PathRejection>) -> AppResult<T> {
    match path {
        Ok(Path(t)) => Ok(t),
        Err(PathRejection::FailedToDeserializePathParams(e)) => {
            Err(AppError::new(ErrorCode::BadRequest, format!("Invalid path: {}", e.body_text())))
        }
        Err(e) => Err(AppError::new(ErrorCode::Internal, format!("The route is misconfigured: {}", e.body_text()))),
    }
}

/// A boolean query parameter: absent is `false`; only `true` and `false` are accepted.
pub fn flag(name: &str, value: Option<&str>) -> AppResult<bool> {
    match value {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(AppError::new(
            ErrorCode::BadRequest,
            format!("'{name}' must be 'true' or 'false', not '{}'.", other.chars().take(40).collect::<String>()),
        )),
    }
}

/// Parses the registry part of the path.
pub fn registry_key(sub: &str, rg: &str, reg: &str) -> AppResult<RegistryKey> {
    let bad =
        |e: replimap_types::IdError| AppError::new(ErrorCode::InvalidName, format!("{}.", capitalise(&e.to_string())));
    Ok(RegistryKey {
        subscription_id: sub.parse().map_err(bad)?,
        resource_group: rg.parse().map_err(bad)?,
        name: reg.parse().map_err(bad)?,
    })
}

/// Parses a replication name from the path.
pub fn replication_name(name: &str) -> AppResult<ReplicationName> {
    name.parse().map_err(|e: replimap_types::IdError| {
        AppError::new(ErrorCode::InvalidName, format!("{}.", capitalise(&e.to_string())))
    })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// The 404 for a registry the hub does not watch.
pub fn unknown_registry(key: &RegistryKey) -> AppError {
    AppError::new(
        ErrorCode::RegistryNotFound,
        format!(
            "Registry '{}' in resource group '{}' of subscription {} is not one the portal can see.",
            key.name, key.resource_group, key.subscription_id
        ),
    )
}

/// The watched registry with this key; 404 if the portal does not know it, 409 if it cannot replicate.
pub fn replicable_registry(state: &AppState, key: &RegistryKey) -> AppResult<RegistryState> {
    let reg = state.hub.registry(key).ok_or_else(|| unknown_registry(key))?;
    if !reg.registry.replicable {
        let why = reg
            .registry
            .not_replicable_reason
            .clone()
            .unwrap_or_else(|| "Geo-replication needs the Premium SKU.".into());
        return Err(AppError::new(
            ErrorCode::NotReplicable,
            format!("Registry '{}' cannot be geo-replicated: {why}", reg.registry.key.name),
        ));
    }
    Ok(reg)
}

/// Like [`replicable_registry`], for writes: they are validated against the polled replica
/// list, so until the first poll has succeeded the answer is 503 rather than a guess.
pub fn writable_registry(state: &AppState, key: &RegistryKey) -> AppResult<RegistryState> {
    let reg = replicable_registry(state, key)?;
    if !state.hub.polled(&reg.registry.key) {
        return Err(AppError::new(
            ErrorCode::Unavailable,
            format!(
                "The replicas of '{}' have not been read from Azure yet; try again in a few seconds.",
                reg.registry.key.name
            ),
        ));
    }
    Ok(reg)
}

/// Checks a create request against the regions and the registry's current replicas,
/// and builds the ARM body.
pub fn create(
    state: &AppState,
    reg: &RegistryState,
    name: Option<&str>,
    body: &CreateReplication,
) -> AppResult<(ReplicationName, ReplicationPut)> {
    let location: RegionName = body.location.parse().map_err(|_| unknown_region(&body.location))?;
    let region = state.regions.get(&location).ok_or_else(|| unknown_region(&body.location))?;
    if !region.accepts_replicas {
        return Err(AppError::new(
            ErrorCode::RegionNotAvailable,
            format!(
                "{} ({}) is a canary or staging region and does not accept replicas.",
                region.display_name, location
            ),
        ));
    }
    if location == reg.registry.location {
        return Err(AppError::new(
            ErrorCode::HomeRegion,
            format!(
                "{} is the home region of '{}'; its home replica exists already.",
                region.display_name, reg.registry.key.name
            ),
        ));
    }
    let name = match name {
        Some(n) => replication_name(n)?,
        None => {
            ReplicationName::default_for(&location).map_err(|e| AppError::new(ErrorCode::InvalidName, e.to_string()))?
        }
    };
    if let Some(existing) = reg.replications.iter().find(|r| r.location == location) {
        return Err(AppError::new(
            ErrorCode::AlreadyReplicated,
            format!(
                "'{}' already has a replica in {} (named '{}', {}).",
                reg.registry.key.name, region.display_name, existing.name, existing.provisioning_state
            ),
        ));
    }
    if let Some(existing) = reg.replications.iter().find(|r| r.name == name) {
        return Err(AppError::new(
            ErrorCode::AlreadyReplicated,
            format!(
                "A replication named '{}' already exists in {}; its location cannot be changed.",
                existing.name, existing.location
            ),
        ));
    }
    if body.zone_redundancy == Some(ZoneRedundancy::Enabled) && region.availability_zones.is_empty() {
        return Err(AppError::new(
            ErrorCode::BadRequest,
            format!(
                "{} has no availability zones, so a zone-redundant replica is not possible there.",
                region.display_name
            ),
        ));
    }
    tags(&body.tags)?;
    let put = ReplicationPut {
        location: location.to_string(),
        tags: body.tags.clone(),
        properties: ReplicationPutProperties {
            region_endpoint_enabled: body.region_endpoint_enabled,
            zone_redundancy: body.zone_redundancy,
        },
    };
    Ok((name, put))
}

fn unknown_region(given: &str) -> AppError {
    AppError::new(
        ErrorCode::UnknownRegion,
        format!("'{given}' is not an Azure region. Use a location name such as 'japaneast' or a display name such as 'Japan East'."),
    )
}

/// ARM's tag rules ([`replimap_types::check_tags`], which the dialogs apply too).
pub fn tags(tags: &BTreeMap<String, String>) -> AppResult<()> {
    replimap_types::check_tags(tags.iter())
        .map_err(|e| AppError::new(ErrorCode::BadRequest, capitalised(&e.to_string())))
}

/// The sentence as the API's messages start: with a capital letter, ending in a full stop.
fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}
