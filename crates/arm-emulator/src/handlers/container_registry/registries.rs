//! Registries: list (by subscription / resource group), get and delete.
//! PUT and PATCH live in `registry_write.rs`.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use crate::ctx::{accepted, empty, ok, Ctx};
use crate::docs::REGISTRY_TYPE;
use crate::error::{ArmError, ArmResult};
use crate::paging;
use crate::store::eq;

pub(crate) fn list(ctx: &Ctx, sub: &str, rg: Option<&str>) -> ArmResult<Response> {
    let items: Vec<Value> = {
        let store = ctx.emu.store();
        match rg {
            Some(rg) => store.require_rg(sub, rg)?,
            None => store.require_sub(sub)?,
        }
        store
            .registries
            .iter()
            .filter(|r| eq(&r.sub, sub) && rg.is_none_or(|rg| eq(&r.rg, rg)))
            .map(|r| r.doc.clone())
            .collect()
    };
    Ok(ok(&paging::page(ctx, items)?))
}

pub(crate) fn not_found(reg: &str, rg: &str) -> ArmError {
    ArmError::resource_not_found(&format!("{REGISTRY_TYPE}/{reg}"), rg)
}

pub(crate) fn get(ctx: &Ctx, sub: &str, rg: &str, reg: &str) -> ArmResult<Response> {
    let store = ctx.emu.store();
    store.require_rg(sub, rg)?;
    let idx = store.registry_index(sub, rg, reg).ok_or_else(|| not_found(reg, rg))?;
    let doc = store.registries.get(idx).map(|r| &r.doc).ok_or_else(|| not_found(reg, rg))?;
    Ok(ok(doc))
}

/// 202 + Location to `…/locations/{home}/operationResults/delete-{reg}-<uuid>`;
/// 204 when there is nothing to delete (arm-facts §3).
pub(crate) fn delete(ctx: &Ctx, sub: &str, rg: &str, reg: &str) -> ArmResult<Response> {
    let delay = ctx.emu.timings().provisioning_delay;
    let mut store = ctx.emu.store();
    store.require_rg_writable(sub, rg)?;
    let Some(idx) = store.registry_index(sub, rg, reg) else {
        return Ok(empty(StatusCode::NO_CONTENT));
    };
    let running = store.registries.get(idx).and_then(|r| r.active_op.clone());
    // A repeated DELETE while one is running points at the same operation.
    if let Some(op) = running.and_then(|name| store.operation(&name).cloned()) {
        return Ok(accepted(&ctx.url(&op.poll_path), ctx.retry_after()));
    }
    let op = store.begin_registry_delete(idx, delay).ok_or_else(|| not_found(reg, rg))?;
    let poll_path = store.poll_path(&op);
    Ok(accepted(&ctx.url(&poll_path), ctx.retry_after()))
}
