//! `GET /subscriptions/{sub}/resources[?$filter=resourceType eq '…']`: the
//! generic resource list the CLI uses to find a registry's resource group.

use axum::response::Response;
use serde_json::{json, Value};

use crate::ctx::{ok, Ctx};
use crate::docs;
use crate::error::{ArmError, ArmResult};
use crate::paging;

pub(crate) fn list(ctx: &Ctx, sub: &str) -> ArmResult<Response> {
    let wanted = match ctx.query_param("$filter") {
        None => None,
        Some(f) => Some(resource_type_filter(f)?),
    };
    let items: Vec<Value> = {
        let store = ctx.emu.store();
        store.require_sub(sub)?;
        store
            .registries
            .iter()
            .filter(|r| r.sub.eq_ignore_ascii_case(sub))
            .flat_map(|r| std::iter::once(&r.doc).chain(r.replicas.iter().map(|x| &x.doc)))
            .filter(|d| wanted.as_deref().is_none_or(|t| docs::str_field(d, "type").eq_ignore_ascii_case(t)))
            .map(generic_resource)
            .collect()
    };
    Ok(ok(&paging::page(ctx, items)?))
}

/// Only `resourceType eq '<type>'` is supported (all the CLI sends).
fn resource_type_filter(filter: &str) -> ArmResult<String> {
    let parts: Vec<&str> = filter.split_whitespace().collect();
    match parts.as_slice() {
        [field, op, rest @ ..] if field.eq_ignore_ascii_case("resourceType") && op.eq_ignore_ascii_case("eq") => {
            let value = rest.join(" ");
            let value = value.trim_matches('\'');
            if value.is_empty() {
                return Err(bad_filter(filter));
            }
            Ok(value.to_owned())
        }
        _ => Err(bad_filter(filter)),
    }
}

fn bad_filter(filter: &str) -> ArmError {
    ArmError::bad_request(
        "InvalidFilterInQueryString",
        format!("Invalid $filter '{filter}' specified in the query string."),
    )
}

/// GenericResource: id, name, type, location, plus sku/tags when present.
fn generic_resource(doc: &Value) -> Value {
    let mut out = json!({
        "id": doc.get("id"),
        "name": doc.get("name"),
        "type": doc.get("type"),
        "location": doc.get("location"),
    });
    for key in ["sku", "tags", "systemData"] {
        if let Some(v) = doc.get(key) {
            out[key] = v.clone();
        }
    }
    out
}
