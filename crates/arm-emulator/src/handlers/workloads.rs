//! Reads of workload resources at their own paths, each type with its own api-versions
//! (what the portal's fallback sends when Resource Graph is refused): `GET {id}`,
//! `GET {batchAccount}/pools`, `GET {site}/config/web`, and
//! `GET /subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments`.

use axum::response::Response;
use serde_json::{json, Value};

use crate::ctx::{ok, Ctx};
use crate::docs;
use crate::error::{ArmError, ArmResult};
use crate::store::eq;
use crate::workload_shapes as shape;
use crate::workloads::{parse_id, subscription_of};

/// Api-versions served per type: the one the portal sends first, then a few other real
/// ones. Types not listed (tagged resources of any type) take any api-version.
const API_VERSIONS: &[(&str, &[&str])] = &[
    (shape::AKS, &["2024-09-01", "2024-05-01", "2024-02-01", "2023-10-01"]),
    (shape::CONTAINER_APP, &["2024-03-01", "2023-05-01", "2024-10-02-preview"]),
    (shape::JOB, &["2024-03-01", "2023-05-01", "2024-10-02-preview"]),
    (shape::ACI, &["2023-05-01", "2022-09-01", "2024-05-01-preview"]),
    (shape::SITE, &["2023-12-01", "2022-09-01", "2024-04-01"]),
    ("Microsoft.Web/sites/config", &["2023-12-01", "2022-09-01", "2024-04-01"]),
    (shape::ML, &["2024-04-01", "2023-10-01"]),
    (shape::BATCH, &["2024-07-01", "2024-02-01", "2023-11-01"]),
    (shape::BATCH_POOL, &["2024-07-01", "2024-02-01", "2023-11-01"]),
];

/// Providers whose unknown resources are `ResourceNotFound` (ARM knows the namespace);
/// any other namespace keeps the emulator's `InvalidResourceType`.
const KNOWN_NAMESPACES: &[&str] = &[
    "Microsoft.ContainerService",
    "Microsoft.App",
    "Microsoft.ContainerInstance",
    "Microsoft.Web",
    "Microsoft.MachineLearningServices",
    "Microsoft.Batch",
    "Microsoft.Compute",
    "Microsoft.ManagedIdentity",
];

/// ARM's answer to an api-version the type does not have.
fn check_api_version(ctx: &Ctx, resource_type: &str, location: &str) -> ArmResult<()> {
    let Some((_, versions)) = API_VERSIONS.iter().find(|(t, _)| eq(t, resource_type)) else {
        return Ok(());
    };
    if versions.iter().any(|v| *v == ctx.api_version) {
        return Ok(());
    }
    Err(ArmError::bad_request(
        "NoRegisteredProviderFound",
        format!(
            "No registered resource provider found for location '{location}' and API version '{}' for type '{}'. \
             The supported api-versions are '{}'.",
            ctx.api_version,
            resource_type.split_once('/').map_or(resource_type, |(_, t)| t),
            versions.join(", ")
        ),
    ))
}

fn not_found(resource_type: &str, name: &str, rg: &str) -> ArmError {
    ArmError::resource_not_found(&format!("{resource_type}/{name}"), rg)
}

/// `GET` of any group-level path under a provider other than Microsoft.ContainerRegistry.
pub(crate) fn get(ctx: &Ctx, path: &str) -> ArmResult<Response> {
    let path = path.trim_end_matches('/');
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (sub, rg, ns) = match segs.as_slice() {
        [_, sub, _, rg, _, ns, ..] => (*sub, *rg, *ns),
        _ => return Err(ArmError::not_found("NotFound", format!("The requested path '{path}' was not found."))),
    };
    let store = ctx.emu.store();
    let known = KNOWN_NAMESPACES.iter().any(|n| eq(n, ns))
        || store.resources.iter().any(|d| docs::str_field(d, "type").split('/').next().is_some_and(|n| eq(n, ns)));
    if !known {
        return Err(crate::route::unknown_path(&segs));
    }
    store.require_rg(sub, rg)?;
    if let Some(doc) = store.workload(path) {
        let ty = docs::str_field(doc, "type");
        check_api_version(ctx, ty, docs::str_field(doc, "location"))?;
        return Ok(ok(doc));
    }
    // `{account}/pools` and `{site}/config/web`: children of a stored parent.
    let lower = path.to_ascii_lowercase();
    // ASCII lower-casing keeps byte offsets, so a suffix of `lower` cuts `path` too.
    if let Some(parent) = lower.strip_suffix("/pools").map(|p| &path[..p.len()]) {
        if let Some(account) = store.workload(parent).filter(|d| eq(docs::str_field(d, "type"), shape::BATCH)) {
            check_api_version(ctx, shape::BATCH_POOL, docs::str_field(account, "location"))?;
            let prefix = format!("{parent}/pools/").to_ascii_lowercase();
            let pools: Vec<Value> = store
                .resources
                .iter()
                .filter(|d| docs::str_field(d, "id").to_ascii_lowercase().starts_with(&prefix))
                .cloned()
                .collect();
            return Ok(ok(&json!({ "value": pools })));
        }
    }
    if let Some(site_id) = lower.strip_suffix("/config/web").map(|p| &path[..p.len()]) {
        if let Some(site) = store.workload(site_id).filter(|d| eq(docs::str_field(d, "type"), shape::SITE)) {
            check_api_version(ctx, "Microsoft.Web/sites/config", docs::str_field(site, "location"))?;
            return Ok(ok(&site_config(site)));
        }
    }
    let parsed = parse_id(path);
    let (ty, name) = parsed.as_ref().map_or((ns.to_owned(), ""), |p| (p.resource_type.clone(), p.name));
    Err(not_found(&ty, name, rg))
}

/// `config/web` of a site: `linuxFxVersion`/`windowsFxVersion` from `siteProperties`.
fn site_config(site: &Value) -> Value {
    let fx = |name: &str| {
        site.pointer("/properties/siteProperties/properties")
            .and_then(Value::as_array)
            .and_then(|props| props.iter().find(|p| docs::str_field(p, "name").eq_ignore_ascii_case(name)))
            .and_then(|p| p.get("value").and_then(Value::as_str))
            .unwrap_or("")
            .to_owned()
    };
    json!({
        "id": format!("{}/config/web", docs::str_field(site, "id")),
        "name": "web",
        "type": "Microsoft.Web/sites/config",
        "location": site.get("location"),
        "properties": {
            "numberOfWorkers": 1,
            "linuxFxVersion": fx("LinuxFxVersion"),
            "windowsFxVersion": fx("WindowsFxVersion"),
            "acrUseManagedIdentityCreds": site.pointer("/properties/siteConfig/acrUseManagedIdentityCreds").cloned().unwrap_or(Value::Bool(false)),
            "alwaysOn": true,
            "http20Enabled": true,
            "minTlsVersion": "1.2"
        }
    })
}

/// Every assignment at and below the subscription (what `$filter`-less ARM lists).
pub(crate) fn role_assignments(ctx: &Ctx, sub: &str) -> ArmResult<Response> {
    let items: Vec<Value> = {
        let store = ctx.emu.store();
        store.require_sub(sub)?;
        store
            .role_assignments
            .iter()
            .filter(|a| {
                let scope = a.pointer("/properties/scope").and_then(Value::as_str).unwrap_or("");
                subscription_of(scope).is_some_and(|s| eq(s, sub))
            })
            .cloned()
            .collect()
    };
    Ok(ok(&crate::paging::page(ctx, items)?))
}
