//! Registry PUT and PATCH. Both answer 200 synchronously with
//! `provisioningState: Succeeded`, as the real RP did for a Premium create
//! (arm-facts §2.2). Missing resource groups are not created implicitly.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::registries::not_found;
use crate::assumptions as a;
use crate::ctx::{json, ok, Ctx};
use crate::docs::{self, NewRegistry, REGISTRY_TYPE};
use crate::error::{ArmError, ArmResult};
use crate::store::{eq, RegistryEntry};
use crate::validate;

/// Properties the service computes; values sent for them are ignored.
const READ_ONLY: &[&str] = &[
    "loginServer",
    "creationDate",
    "provisioningState",
    "status",
    "dataEndpointHostNames",
    "privateEndpointConnections",
];

const SKUS: &[&str] = &["Classic", "Basic", "Standard", "Premium"];

/// `sku.name`, canonical casing; `None` when the body has no `sku`.
fn sku(body: &Map<String, Value>) -> ArmResult<Option<String>> {
    let Some(sku) = body.get("sku").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let name = sku.get("name").and_then(Value::as_str).unwrap_or_default();
    SKUS.iter()
        .find(|s| s.eq_ignore_ascii_case(name))
        .map(|s| Some((*s).to_owned()))
        .ok_or_else(|| ArmError::invalid_content(format!("'{name}' is not a valid SKU name; use one of {SKUS:?}")))
}

/// Copies writable properties from the request into the document.
fn merge_properties(doc: &mut Value, props: &Map<String, Value>) -> ArmResult<()> {
    validate::opt_bool(props, "adminUserEnabled")?;
    validate::zone_redundancy(props)?;
    if let Some(target) = doc.get_mut("properties").and_then(Value::as_object_mut) {
        for (k, v) in props.iter().filter(|(k, _)| !READ_ONLY.contains(&k.as_str())) {
            target.insert(k.clone(), v.clone());
        }
    }
    Ok(())
}

fn set_sku(doc: &mut Value, sku: &str) {
    doc["sku"] = serde_json::json!({ "name": sku, "tier": sku });
}

pub(crate) fn put(ctx: &Ctx, sub: &str, rg: &str, reg: &str) -> ArmResult<Response> {
    let body = ctx.json_body()?;
    let mut store = ctx.emu.store();
    store.require_rg_writable(sub, rg)?;
    validate::acr_name(reg)?;
    let location = validate::location(&body, REGISTRY_TYPE)?;
    let tags = validate::tags(&body)?.unwrap_or_default();
    let props = validate::properties(&body)?;
    let sku = sku(&body)?;
    let at = docs::now();

    if let Some(idx) = store.registry_index(sub, rg, reg) {
        let entry = store.registries.get_mut(idx).ok_or_else(|| not_found(reg, rg))?;
        check_writable(entry, reg)?;
        if entry.location() != location {
            return Err(location_immutable(reg, entry.location(), rg, &location));
        }
        entry.doc["tags"] = Value::Object(tags);
        if let Some(s) = sku {
            set_sku(&mut entry.doc, &s);
        }
        merge_properties(&mut entry.doc, &props)?;
        docs::touch(&mut entry.doc, &at, &ctx.caller);
        return Ok(ok(&entry.doc));
    }

    // Registry names are global: they become `{name}.azurecr.io`.
    if let Some(other) = store.registries.iter().find(|r| eq(r.name(), reg)) {
        return Err(ArmError::conflict(
            a::REGISTRY_NAME_IN_USE_CODE,
            format!(
                "The registry DNS name {}.azurecr.io is already in use ({}).",
                reg.to_ascii_lowercase(),
                other.id()
            ),
        ));
    }
    let sku = sku.ok_or_else(|| ArmError::invalid_content("'sku' is required"))?;
    let id = docs::registry_id(sub, rg, reg);
    let new = NewRegistry { id: &id, name: reg, location: &location, sku: &sku, tags, created_by: &ctx.caller };
    let mut doc = docs::registry(new, &at);
    merge_properties(&mut doc, &props)?;
    store.registries.push(RegistryEntry {
        sub: sub.to_owned(),
        rg: rg.to_owned(),
        doc: doc.clone(),
        replicas: Vec::new(),
        active_op: None,
    });
    Ok(json(StatusCode::OK, &doc))
}

/// `tags` (whole map), `sku` and writable properties; `location` is not part
/// of RegistryUpdateParameters and is ignored.
pub(crate) fn patch(ctx: &Ctx, sub: &str, rg: &str, reg: &str) -> ArmResult<Response> {
    let body = ctx.json_body()?;
    let mut store = ctx.emu.store();
    store.require_rg_writable(sub, rg)?;
    let idx = store.registry_index(sub, rg, reg).ok_or_else(|| not_found(reg, rg))?;
    let tags = validate::tags(&body)?;
    let props = validate::properties(&body)?;
    let sku = sku(&body)?;
    let entry = store.registries.get_mut(idx).ok_or_else(|| not_found(reg, rg))?;
    check_writable(entry, reg)?;
    if let Some(t) = tags {
        entry.doc["tags"] = Value::Object(t);
    }
    if let Some(s) = sku {
        set_sku(&mut entry.doc, &s);
    }
    merge_properties(&mut entry.doc, &props)?;
    docs::touch(&mut entry.doc, &docs::now(), &ctx.caller);
    Ok(ok(&entry.doc))
}

fn check_writable(entry: &RegistryEntry, reg: &str) -> ArmResult<()> {
    match entry.active_op {
        Some(_) => Err(ArmError::operation_in_progress(reg)),
        None => Ok(()),
    }
}

pub(crate) fn location_immutable(name: &str, old: &str, rg: &str, new: &str) -> ArmError {
    ArmError::bad_request(
        a::LOCATION_IMMUTABLE_CODE,
        format!(
            "The resource '{name}' already exists in location '{old}' in resource group '{rg}'. \
             A resource with the same name cannot be created in location '{new}'. Please select a new resource name."
        ),
    )
}
