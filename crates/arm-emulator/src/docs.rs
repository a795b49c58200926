//! Builders for the JSON documents the store keeps, shaped exactly like ARM's
//! wire format (spec `Registry`, `Replication`, `SystemData`, `Status`).
//! The store mutates these documents in place; handlers return them as-is.

use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::assumptions as a;
use crate::auth::Principal;

pub(crate) const REGISTRY_TYPE: &str = "Microsoft.ContainerRegistry/registries";
pub(crate) const REPLICATION_TYPE: &str = "Microsoft.ContainerRegistry/registries/replications";
pub(crate) const PROVIDER: &str = "Microsoft.ContainerRegistry";

/// RFC 3339 UTC, e.g. `2026-09-01T12:00:00.123456789Z`.
pub(crate) fn timestamp(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

pub(crate) fn now() -> String {
    timestamp(OffsetDateTime::now_utc())
}

pub(crate) fn registry_id(sub: &str, rg: &str, reg: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{PROVIDER}/registries/{reg}")
}

pub(crate) fn replication_id(registry_id: &str, rep: &str) -> String {
    format!("{registry_id}/replications/{rep}")
}

/// Created (and last modified) by `by`: the caller of the write, or the RP for the home
/// replica it adds.
pub(crate) fn system_data(by: &Principal, at: &str) -> Value {
    json!({
        "createdBy": by.name, "createdByType": by.kind, "createdAt": at,
        "lastModifiedBy": by.name, "lastModifiedByType": by.kind, "lastModifiedAt": at,
    })
}

/// Marks a document as modified by `by` now.
pub(crate) fn touch(doc: &mut Value, at: &str, by: &Principal) {
    if let Some(sd) = doc.get_mut("systemData").and_then(Value::as_object_mut) {
        sd.insert("lastModifiedBy".into(), by.name.as_str().into());
        sd.insert("lastModifiedByType".into(), by.kind.into());
        sd.insert("lastModifiedAt".into(), at.into());
    }
}

pub(crate) fn tags_value(tags: &Map<String, Value>) -> Value {
    Value::Object(tags.clone())
}

/// Fields of a new replica.
pub(crate) struct NewReplica<'a> {
    pub registry_id: &'a str,
    pub name: &'a str,
    pub location: &'a str,
    pub tags: Map<String, Value>,
    pub region_endpoint_enabled: bool,
    pub zone_redundancy: &'a str,
    pub created_by: &'a Principal,
    pub provisioning_state: &'a str,
}

pub(crate) fn replica(r: NewReplica<'_>, at: &str) -> Value {
    json!({
        "id": replication_id(r.registry_id, r.name),
        "name": r.name,
        "type": REPLICATION_TYPE,
        "location": r.location,
        "tags": tags_value(&r.tags),
        "systemData": system_data(r.created_by, at),
        "properties": {
            "provisioningState": r.provisioning_state,
            "status": status_for(r.provisioning_state, None, at),
            "regionEndpointEnabled": r.region_endpoint_enabled,
            "zoneRedundancy": r.zone_redundancy,
        }
    })
}

/// The `status` object a replica shows in a given provisioning state.
/// `failure_message` is used for `Failed`.
pub(crate) fn status_for(state: &str, failure_message: Option<&str>, at: &str) -> Value {
    match state {
        "Succeeded" => {
            json!({ "displayStatus": a::READY_DISPLAY_STATUS, "message": a::READY_MESSAGE, "timestamp": at })
        }
        "Failed" => json!({
            "displayStatus": a::FAILED_DISPLAY_STATUS,
            "message": failure_message.unwrap_or(a::DEFAULT_INJECTED_FAILURE_MESSAGE),
            "timestamp": at,
        }),
        // No evidence of a Deleting display status either; treated like Creating.
        "Creating" | "Deleting" if !a::CREATING_STATUS_HAS_DISPLAY_STATUS => {
            json!({ "timestamp": at })
        }
        _ => {
            json!({ "displayStatus": a::PROVISIONING_DISPLAY_STATUS, "message": a::PROVISIONING_MESSAGE, "timestamp": at })
        }
    }
}

/// Sets `properties.provisioningState` and the matching `properties.status`.
pub(crate) fn set_state(doc: &mut Value, state: &str, failure_message: Option<&str>, at: &str) {
    if let Some(props) = doc.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert("provisioningState".into(), state.into());
        if props.contains_key("loginServer") {
            // Registries carry `status: null` in every example; only replicas get a status object.
            return;
        }
        props.insert("status".into(), status_for(state, failure_message, at));
    }
}

pub(crate) fn str_field<'v>(doc: &'v Value, field: &str) -> &'v str {
    doc.get(field).and_then(Value::as_str).unwrap_or("")
}

/// Fields of a new registry.
pub(crate) struct NewRegistry<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub location: &'a str,
    pub sku: &'a str,
    pub tags: Map<String, Value>,
    pub created_by: &'a Principal,
}

pub(crate) fn registry(r: NewRegistry<'_>, at: &str) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "type": REGISTRY_TYPE,
        "location": r.location,
        "tags": tags_value(&r.tags),
        "sku": { "name": r.sku, "tier": r.sku },
        "systemData": system_data(r.created_by, at),
        "properties": {
            "loginServer": format!("{}.azurecr.io", r.name.to_ascii_lowercase()),
            "creationDate": at,
            "provisioningState": "Succeeded",
            "adminUserEnabled": false,
            "networkRuleSet": { "defaultAction": "Allow", "ipRules": [] },
            "policies": {
                "quarantinePolicy": { "status": "disabled" },
                "trustPolicy": { "type": "Notary", "status": "disabled" },
                "retentionPolicy": { "days": 7, "lastUpdatedTime": at, "status": "disabled" },
                "exportPolicy": { "status": "enabled" }
            },
            "encryption": { "status": "disabled" },
            "status": null,
            "dataEndpointEnabled": false,
            "dataEndpointHostNames": [],
            "privateEndpointConnections": [],
            "publicNetworkAccess": "Enabled",
            "networkRuleBypassOptions": "AzureServices",
            "zoneRedundancy": "Disabled"
        }
    })
}

pub(crate) fn resource_group(sub: &str, name: &str, location: &str, tags: Map<String, Value>) -> Value {
    json!({
        "id": format!("/subscriptions/{sub}/resourceGroups/{name}"),
        "name": name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": location,
        "tags": tags_value(&tags),
        "properties": { "provisioningState": "Succeeded" }
    })
}

pub(crate) fn subscription(id: &str, display_name: &str, tenant_id: &str) -> Value {
    json!({
        "id": format!("/subscriptions/{id}"),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": id,
        "tenantId": tenant_id,
        "displayName": display_name,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off"
        }
    })
}
