//! Replications: list (paged), get and delete. PUT and PATCH live in
//! `replication_write.rs`.

use std::time::Instant;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::{operation_result_path, replication_type_name};
use crate::assumptions as a;
use crate::ctx::{accepted, empty, ok, Ctx};
use crate::docs;
use crate::error::{ArmError, ArmResult};
use crate::operation::{OpKind, OpRequest};
use crate::paging;
use crate::store::Tombstone;

pub(crate) fn not_found(reg: &str, rep: &str, rg: &str) -> ArmError {
    ArmError::resource_not_found(&replication_type_name(reg, rep), rg)
}

pub(crate) fn list(ctx: &Ctx, sub: &str, rg: &str, reg: &str) -> ArmResult<Response> {
    let items: Vec<Value> = {
        let mut store = ctx.emu.store();
        let registry = store.parent_registry_mut(sub, rg, reg)?;
        registry.replicas.iter().map(|r| r.doc.clone()).collect()
    };
    Ok(ok(&paging::page(ctx, items)?))
}

pub(crate) fn get(ctx: &Ctx, sub: &str, rg: &str, reg: &str, rep: &str) -> ArmResult<Response> {
    let mut store = ctx.emu.store();
    let registry = store.parent_registry_mut(sub, rg, reg)?;
    let replica = registry.replica(rep).ok_or_else(|| not_found(reg, rep, rg))?;
    Ok(ok(&replica.doc))
}

/// 202 + Location to `…/locations/{replicaRegion}/operationResults/replications-<uuid>`,
/// `Deleting` until the delay passes; 204 when the replica does not exist.
pub(crate) fn delete(ctx: &Ctx, sub: &str, rg: &str, reg: &str, rep: &str) -> ArmResult<Response> {
    let delay = ctx.emu.timings().provisioning_delay;
    let mut store = ctx.emu.store();
    store.require_rg_writable(sub, rg)?;
    let registry = store.parent_registry_mut(sub, rg, reg)?;
    let Some(replica) = registry.replica(rep) else {
        return Ok(empty(StatusCode::NO_CONTENT));
    };
    let region = docs::str_field(&replica.doc, "location").to_owned();
    let is_home = region.eq_ignore_ascii_case(registry.location());
    if is_home && registry.replicas.len() > 1 {
        return Err(ArmError::bad_request(
            a::HOME_REPLICA_DELETE_CODE,
            format!(
                "The replication '{rep}' in the registry's home region '{region}' cannot be deleted \
                 while other replications exist. Delete the other replications first."
            ),
        ));
    }
    let registry_id = registry.id().to_owned();
    let running = replica.active_op.clone();
    // A repeated DELETE while one is running points at the same operation.
    if let Some(op) = running.and_then(|n| store.operation(&n).cloned()).filter(|o| o.kind == OpKind::DeleteReplica) {
        return Ok(accepted(&ctx.url(&op.poll_path), ctx.retry_after()));
    }
    let (sub_owned, region_owned) = (sub.to_owned(), region.clone());
    if let Some(c) = ctx.emu.faults_mut().take_recreate_conflict(&ctx.path) {
        let from = Instant::now() + delay;
        store.tombstones.push(Tombstone {
            registry_id: registry_id.clone(),
            name: rep.to_owned(),
            location: region.clone(),
            from,
            until: from + c.window,
            code: c.code,
            message: c.message,
        });
    }
    let op = store.start_op(OpRequest {
        kind: OpKind::DeleteReplica,
        target: registry_id.clone(),
        replica: Some(rep.to_owned()),
        name: None,
        poll_path: Box::new(move |op| operation_result_path(&sub_owned, &region_owned, op)),
        delay,
        failure: None,
    });
    let poll_path = store.poll_path(&op);
    // Taking ownership cancels a running create/update of this replica.
    if let Some(replica) = store.registry_by_id_mut(&registry_id).and_then(|r| r.replica_mut(rep)) {
        replica.active_op = Some(op);
        docs::set_state(&mut replica.doc, "Deleting", None, &docs::now());
    }
    Ok(accepted(&ctx.url(&poll_path), ctx.retry_after()))
}
