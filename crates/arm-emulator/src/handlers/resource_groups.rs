//! `GET /subscriptions/{sub}/resourcegroups[/{rg}]`, HEAD, PUT and DELETE
//! (Microsoft.Resources). PUT exists so tests can set up groups; registries never
//! create them. DELETE is long-running and takes everything in the group with it
//! (`group_delete.rs`).

use axum::http::StatusCode;
use axum::response::Response;

use crate::ctx::{accepted, empty, json, ok, Ctx};
use crate::error::{ArmError, ArmResult};
use crate::validate;

pub(crate) fn list(ctx: &Ctx, sub: &str) -> ArmResult<Response> {
    let items: Vec<serde_json::Value> = {
        let store = ctx.emu.store();
        store.require_sub(sub)?;
        store.resource_groups.iter().filter(|e| e.sub.eq_ignore_ascii_case(sub)).map(|e| e.doc.clone()).collect()
    };
    Ok(ok(&crate::paging::page(ctx, items)?))
}

pub(crate) fn get(ctx: &Ctx, sub: &str, rg: &str) -> ArmResult<Response> {
    let store = ctx.emu.store();
    store.require_sub(sub)?;
    let entry = store.rg(sub, rg).ok_or_else(|| ArmError::resource_group_not_found(rg))?;
    Ok(ok(&entry.doc))
}

/// 201 when created, 200 when it existed (ARM's create-or-update).
pub(crate) fn put(ctx: &Ctx, sub: &str, rg: &str) -> ArmResult<Response> {
    let body = ctx.json_body()?;
    validate::resource_group_name(rg)?;
    let location = validate::location(&body, "resourceGroups")?;
    let tags = validate::tags(&body)?.unwrap_or_default();
    let mut store = ctx.emu.store();
    store.require_sub(sub)?;
    let existed = store.rg(sub, rg).is_some();
    if existed {
        store.require_rg_writable(sub, rg)?;
    }
    if let Some(old) = store.rg(sub, rg) {
        let old_location = crate::docs::str_field(&old.doc, "location");
        if old_location != location {
            return Err(ArmError::bad_request(
                crate::assumptions::LOCATION_IMMUTABLE_CODE,
                format!("Invalid resource group location '{location}'. The Resource group already exists in location '{old_location}'."),
            ));
        }
    }
    store.put_rg(sub, rg, &location, tags);
    let doc = store.rg(sub, rg).map(|e| e.doc.clone()).unwrap_or_default();
    Ok(json(if existed { StatusCode::OK } else { StatusCode::CREATED }, &doc))
}

/// `ResourceGroups_CheckExistence` (`az group exists`): 204 or 404, no body.
pub(crate) fn head(ctx: &Ctx, sub: &str, rg: &str) -> ArmResult<Response> {
    let store = ctx.emu.store();
    store.require_sub(sub)?;
    Ok(empty(if store.rg(sub, rg).is_some() { StatusCode::NO_CONTENT } else { StatusCode::NOT_FOUND }))
}

/// 202 + `Location` to `/subscriptions/{sub}/operationresults/{job}`; a repeated
/// DELETE while the deletion runs points at the same job. Unknown group: 404
/// `ResourceGroupNotFound`, as `az group delete` shows it.
pub(crate) fn delete(ctx: &Ctx, sub: &str, rg: &str) -> ArmResult<Response> {
    let delay = ctx.emu.timings().provisioning_delay;
    let mut store = ctx.emu.store();
    store.require_rg(sub, rg)?;
    let monitor = match store.group_delete_in_flight(sub, rg) {
        Some(op) => op.poll_path.clone(),
        None => store.begin_group_delete(sub, rg, delay).ok_or_else(|| ArmError::resource_group_not_found(rg))?,
    };
    Ok(accepted(&ctx.url(&monitor), ctx.retry_after()))
}
