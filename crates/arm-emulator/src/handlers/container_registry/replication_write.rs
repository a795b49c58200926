//! Replication PUT (create-or-update) and PATCH. Creation and updates are
//! long-running: 201 + `Azure-AsyncOperation` + `Retry-After`, the replica
//! `Creating`/`Updating` until the configured delay passes (arm-facts §3).
//! See `assumptions.rs` for the choices on conflicts and idempotent PUTs.

use std::time::Instant;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::registry_write::location_immutable;
use super::replications::not_found;
use crate::assumptions as a;
use crate::ctx::{ok, with_async_operation, Ctx};
use crate::docs::{self, NewReplica, REPLICATION_TYPE};
use crate::error::{ArmError, ArmResult};
use crate::operation::{OpKind, OpRequest};
use crate::store::{RegistryEntry, ReplicaEntry, Store};
use crate::validate;

/// The validated request body.
struct Body {
    location: String,
    tags: Option<Map<String, Value>>,
    region_endpoint_enabled: Option<bool>,
    zone_redundancy: Option<String>,
}

fn parse(body: &Map<String, Value>, location_required: bool) -> ArmResult<Body> {
    let location = match (location_required, body.get("location")) {
        (true, _) | (false, Some(Value::String(_))) => validate::location(body, REPLICATION_TYPE)?,
        _ => String::new(),
    };
    let props = validate::properties(body)?;
    Ok(Body {
        location,
        tags: validate::tags(body)?,
        region_endpoint_enabled: validate::opt_bool(&props, "regionEndpointEnabled")?,
        zone_redundancy: validate::zone_redundancy(&props)?,
    })
}

fn prop<'v>(doc: &'v Value, name: &str) -> Option<&'v Value> {
    doc.pointer(&format!("/properties/{name}"))
}

/// Location and zone redundancy cannot change once the replica exists.
fn check_immutable(existing: &ReplicaEntry, body: &Body, rep: &str, rg: &str) -> ArmResult<()> {
    if existing.active_op.is_some() {
        return Err(ArmError::operation_in_progress(rep));
    }
    let old_location = docs::str_field(&existing.doc, "location");
    if !body.location.is_empty() && !old_location.eq_ignore_ascii_case(&body.location) {
        return Err(location_immutable(rep, old_location, rg, &body.location));
    }
    let old_zr = prop(&existing.doc, "zoneRedundancy").and_then(Value::as_str).unwrap_or("Disabled");
    if body.zone_redundancy.as_deref().is_some_and(|zr| zr != old_zr) {
        return Err(ArmError::bad_request(
            a::ZONE_REDUNDANCY_IMMUTABLE_CODE,
            format!("Zone redundancy of replication '{rep}' cannot be changed after it is created (it is {old_zr})."),
        ));
    }
    Ok(())
}

pub(crate) fn put(ctx: &Ctx, sub: &str, rg: &str, reg: &str, rep: &str) -> ArmResult<Response> {
    let raw = ctx.json_body()?;
    let timings = ctx.emu.timings();
    let mut store = ctx.emu.store();
    store.require_rg_writable(sub, rg)?;
    let registry = store.parent_registry_mut(sub, rg, reg)?;
    validate::acr_name(rep)?;
    let body = parse(&raw, true)?;
    if !registry.sku().eq_ignore_ascii_case("Premium") {
        return Err(ArmError::bad_request(a::NOT_PREMIUM_CODE, a::NOT_PREMIUM_MESSAGE));
    }
    if registry.active_op.is_some() {
        return Err(ArmError::operation_in_progress(reg));
    }
    if let Some(existing) = registry.replica(rep) {
        check_immutable(existing, &body, rep, rg)?;
        // PUT replaces the whole writable state: absent fields go back to defaults.
        let tags = body.tags.clone().unwrap_or_default();
        let ree = body.region_endpoint_enabled.unwrap_or(true);
        let unchanged = existing.doc.get("tags").and_then(Value::as_object) == Some(&tags)
            && prop(&existing.doc, "regionEndpointEnabled").and_then(Value::as_bool) == Some(ree);
        if unchanged {
            return Ok(ok(&existing.doc));
        }
        let update = Body { tags: Some(tags), region_endpoint_enabled: Some(ree), ..body };
        let registry_id = registry.id().to_owned();
        return start_update(ctx, &mut store, &registry_id, (rg, reg, rep), update, timings.update_delay);
    }
    if let Some(other) = registry.replicas.iter().find(|r| docs::str_field(&r.doc, "location") == body.location) {
        return Err(ArmError::conflict(
            a::DUPLICATE_LOCATION_CODE,
            format!(
                "Registry '{reg}' already has replication '{}' in location '{}'.",
                docs::str_field(&other.doc, "name"),
                body.location
            ),
        ));
    }
    let registry_id = registry.id().to_owned();
    recreate_allowed(&mut store, &registry_id, rep, &body.location)?;
    let registry = store.parent_registry_mut(sub, rg, reg)?;
    add_home_replica_if_first(registry, &body.location);
    let failure = ctx.emu.faults_mut().take_replica_failure(&body.location);
    let op = start_op(&mut store, OpKind::CreateReplica, &registry_id, rep, timings.provisioning_delay, failure);
    let new = NewReplica {
        registry_id: &registry_id,
        name: rep,
        location: &body.location,
        tags: body.tags.unwrap_or_default(),
        region_endpoint_enabled: body.region_endpoint_enabled.unwrap_or(true),
        zone_redundancy: body.zone_redundancy.as_deref().unwrap_or("Disabled"),
        created_by: &ctx.caller,
        provisioning_state: "Creating",
    };
    let doc = docs::replica(new, &docs::now());
    if let Some(registry) = store.registry_by_id_mut(&registry_id) {
        registry.replicas.push(ReplicaEntry { doc: doc.clone(), active_op: Some(op.clone()) });
    }
    let url = ctx.url(&format!("{}/operationStatuses/{op}", docs::replication_id(&registry_id, rep)));
    Ok(with_async_operation(StatusCode::CREATED, &doc, &url, ctx.retry_after()))
}

/// 409 while a tombstone left by a `recreateConflictMs` fault is active.
fn recreate_allowed(store: &mut Store, registry_id: &str, rep: &str, location: &str) -> ArmResult<()> {
    let now = Instant::now();
    let Some(t) = store.recreate_blocked(registry_id, rep, location, now) else {
        return Ok(());
    };
    let secs = t.until.saturating_duration_since(now).as_secs_f64().ceil().max(1.0) as u64;
    let message = t.message.clone().unwrap_or_else(|| {
        format!(
            "The replication '{}' in location '{}' was deleted moments ago and is still being \
             cleaned up. Retry after {secs} seconds.",
            t.name, t.location
        )
    });
    // No Retry-After header: azure-core retries any response carrying one, and
    // users report the failure surfacing (Terraform added its own wait).
    Err(ArmError::conflict(&t.code, message))
}

/// The RP adds the home-region replica when the first geo-replica is requested
/// (arm-facts §2.3); the emulator adds it at once, already Ready.
fn add_home_replica_if_first(registry: &mut RegistryEntry, new_location: &str) {
    let home = registry.location().to_owned();
    if !registry.replicas.is_empty() || home.eq_ignore_ascii_case(new_location) {
        return;
    }
    let rp = crate::auth::Principal::resource_provider();
    let new = NewReplica {
        registry_id: registry.id(),
        name: &home,
        location: &home,
        tags: Map::new(),
        region_endpoint_enabled: true,
        zone_redundancy: "Disabled",
        created_by: &rp,
        provisioning_state: "Succeeded",
    };
    let doc = docs::replica(new, &docs::now());
    registry.replicas.insert(0, ReplicaEntry { doc, active_op: None });
}

/// Only `tags` and `properties.regionEndpointEnabled` are applied.
pub(crate) fn patch(ctx: &Ctx, sub: &str, rg: &str, reg: &str, rep: &str) -> ArmResult<Response> {
    let raw = ctx.json_body()?;
    let timings = ctx.emu.timings();
    let mut store = ctx.emu.store();
    store.require_rg_writable(sub, rg)?;
    let registry = store.parent_registry_mut(sub, rg, reg)?;
    let existing = registry.replica(rep).ok_or_else(|| not_found(reg, rep, rg))?;
    let body = parse(&raw, false)?;
    check_immutable(existing, &body, rep, rg)?;
    let registry_id = registry.id().to_owned();
    start_update(ctx, &mut store, &registry_id, (rg, reg, rep), body, timings.update_delay)
}

/// Applies the change, marks the replica `Updating` and answers 201.
/// `names` is (resource group, registry, replica) as in the request path.
fn start_update(
    ctx: &Ctx,
    store: &mut Store,
    registry_id: &str,
    names: (&str, &str, &str),
    body: Body,
    delay: std::time::Duration,
) -> ArmResult<Response> {
    let (rg, reg, rep) = names;
    let op = start_op(store, OpKind::UpdateReplica, registry_id, rep, delay, None);
    let at = docs::now();
    let replica = store
        .registry_by_id_mut(registry_id)
        .and_then(|r| r.replica_mut(rep))
        .ok_or_else(|| not_found(reg, rep, rg))?;
    if let Some(tags) = body.tags {
        replica.doc["tags"] = Value::Object(tags);
    }
    if let Some(ree) = body.region_endpoint_enabled {
        replica.doc["properties"]["regionEndpointEnabled"] = ree.into();
    }
    replica.active_op = Some(op.clone());
    docs::set_state(&mut replica.doc, "Updating", None, &at);
    docs::touch(&mut replica.doc, &at, &ctx.caller);
    let url = ctx.url(&format!("{}/operationStatuses/{op}", docs::replication_id(registry_id, rep)));
    Ok(with_async_operation(StatusCode::CREATED, &replica.doc, &url, ctx.retry_after()))
}

fn start_op(
    store: &mut Store,
    kind: OpKind,
    registry_id: &str,
    rep: &str,
    delay: std::time::Duration,
    failure: Option<(String, String)>,
) -> String {
    let replica_id = docs::replication_id(registry_id, rep);
    store.start_op(OpRequest {
        kind,
        target: registry_id.to_owned(),
        replica: Some(rep.to_owned()),
        name: None,
        poll_path: Box::new(move |op| format!("{replica_id}/operationStatuses/{op}")),
        delay,
        failure,
    })
}
