//! The OpenAPI document's schemas against the types the API really reads and writes: every
//! constraint on an id is the id parser's rule, and every event on the stream has a schema that
//! fits what the server sends.

use replimap_types::{RegistryName, ReplicationName, ResourceGroupName, StatusEvent, SubscriptionId};
use serde_json::{json, Value};

fn doc() -> Value {
    serde_json::from_str(include_str!("../../api/openapi.json")).unwrap()
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    &doc["components"]["schemas"][name]
}

/// Whether `s` satisfies a string schema's pattern and lengths (what the document promises).
fn documented_ok(schema: &Value, s: &str) -> bool {
    let pattern = regex::Regex::new(schema["pattern"].as_str().unwrap()).unwrap();
    let len = s.chars().count() as u64;
    pattern.is_match(s)
        && schema["minLength"].as_u64().is_none_or(|m| len >= m)
        && schema["maxLength"].as_u64().is_none_or(|m| len <= m)
}

#[test]
fn id_constraints_in_the_document_are_the_parsers_rules() {
    let doc = doc();
    let long = |n: usize| "a".repeat(n);
    // (schema, samples, whether the id parser accepts a sample)
    type Case = (&'static str, Vec<String>, fn(&str) -> bool);
    let cases: Vec<Case> = vec![
        (
            "SubscriptionId",
            [
                "00000000-0000-0000-0000-000000000000",
                "ABCDEF01-2345-6789-abcd-ef0123456789",
                "0000",
                "",
                "g0000000-0000-0000-0000-000000000000",
                "00000000-0000-0000-0000-0000000000000",
            ]
            .map(String::from)
            .to_vec(),
            |s| s.parse::<SubscriptionId>().is_ok(),
        ),
        (
            "ResourceGroupName",
            ["rg", "My_RG-1.(x)", "ends.", "", "a/b", "a b", "é-group", "x."]
                .map(String::from)
                .into_iter()
                .chain([long(90), long(91)])
                .collect(),
            |s| s.parse::<ResourceGroupName>().is_ok(),
        ),
        (
            "RegistryName",
            ["myACR0007", "abcd", "abcde", "my-acr1", "ünicode1"]
                .map(String::from)
                .into_iter()
                .chain([long(50), long(51)])
                .collect(),
            |s| s.parse::<RegistryName>().is_ok(),
        ),
        (
            "ReplicationName",
            ["westeurope", "west", "west-eu", ""].map(String::from).into_iter().chain([long(50), long(51)]).collect(),
            |s| s.parse::<ReplicationName>().is_ok(),
        ),
    ];
    for (name, samples, parses) in cases {
        for s in samples {
            assert_eq!(documented_ok(schema(&doc, name), &s), parses(&s), "{name} {s:?}: document and parser disagree");
        }
    }
    // Path parameters that are ARM ids use those schemas (an operation id is the portal's own:
    // any unknown one is a 404).
    let ids = ["subscriptionId", "resourceGroup", "registry", "name"];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for p in item["parameters"].as_array().into_iter().flatten() {
            if ids.contains(&p["name"].as_str().unwrap_or_default()) {
                assert!(p["schema"]["$ref"].is_string(), "{path}: parameter {} has no id schema", p["name"]);
            }
        }
    }
}

#[test]
fn tag_constraints_in_the_document_are_arms() {
    let doc = doc();
    let tags = schema(&doc, "Tags");
    assert_eq!(tags["maxProperties"], replimap_types::MAX_TAGS);
    assert_eq!(tags["propertyNames"]["maxLength"], replimap_types::MAX_TAG_NAME);
    assert_eq!(tags["additionalProperties"]["maxLength"], replimap_types::MAX_TAG_VALUE);
    let names = regex::Regex::new(tags["propertyNames"]["pattern"].as_str().unwrap()).unwrap();
    for name in ["team", "Cost Center", "a/b", "a<b", "50%", "a&b", "a?b", "a\\b"] {
        assert_eq!(names.is_match(name), replimap_types::check_tag(name, "").is_ok(), "tag name {name:?}");
    }
}

/// Checks `value` against a schema of the document, as far as the document uses JSON Schema:
/// `$ref`, `type`, `enum`, `required`, `properties` (and nothing else when the schema lists
/// them), `items`; `type` may be a list (OpenAPI 3.1: `["string", "null"]`).
fn fits(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return fits(doc, &doc["components"]["schemas"][name], value, at);
    }
    if let Some(options) = schema["enum"].as_array() {
        if !options.contains(value) {
            return Err(format!("{at}: {value} is not one of {options:?}"));
        }
    }
    let of_type = |t: &str| match t {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "null" => value.is_null(),
        _ => false,
    };
    let ok = match &schema["type"] {
        Value::String(t) => of_type(t),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(of_type),
        _ => true,
    };
    if !ok {
        return Err(format!("{at}: {value} is not of type {}", schema["type"]));
    }
    if let (Some(props), Some(obj)) = (schema["properties"].as_object(), value.as_object()) {
        for req in schema["required"].as_array().into_iter().flatten() {
            if !obj.contains_key(req.as_str().unwrap_or_default()) {
                return Err(format!("{at}: required {req} missing"));
            }
        }
        for (k, v) in obj {
            match props.get(k) {
                Some(s) => fits(doc, s, v, &format!("{at}.{k}"))?,
                None => return Err(format!("{at}: {k} is not in the schema")),
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            fits(doc, items, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

#[test]
fn every_event_on_the_stream_has_a_schema_that_fits_it() {
    let doc = doc();
    let key =
        json!({"subscriptionId": "00000000-0000-0000-0000-000000000000", "resourceGroup": "rg", "name": "myACR0007"});
    let replication = json!({"name": "westeurope", "location": "westeurope", "provisioningState": "Succeeded",
        "regionEndpointEnabled": true, "tags": {"team": "web"}, "status": {"displayStatus": "Ready"}});
    let registry = json!({"key": key, "location": "eastus", "sku": "Premium", "replicable": true});
    let samples = [
        json!({"type": "snapshot", "registries": [{"registry": registry, "replications": [replication], "error": null}]}),
        json!({"type": "replication_upserted", "registry": key, "replication": replication}),
        json!({"type": "replication_removed", "registry": key, "name": "westeurope"}),
        json!({"type": "operation_failed", "registry": key, "name": "westeurope", "message": "QuotaExceeded"}),
        json!({"type": "registry_error", "registry": key, "error": "denied"}),
        json!({"type": "registry_error", "registry": key, "error": null}),
        json!({"type": "coverage_changed", "registry": key, "coverage": {"discoveredAt": "2026-12-02T05:00:00Z",
            "workloads": [{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.App/containerApps/web",
                "name": "web", "kind": "containerApp", "location": "westeurope",
                "evidence": [{"kind": "image", "detail": "myacr0007.azurecr.io/web:1"}]},
                {"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/k",
                "name": "k", "kind": "aks", "location": "brazilsouth", "evidence": []}],
            "warnings": []}}),
        json!({"type": "activity", "record": {"id": 7, "at": "2026-12-01T09:00:00.000Z", "actor": "local",
            "actorSource": "local", "clientIp": "127.0.0.1", "requestId": "r", "correlationId": "c",
            "armRequestId": "a", "registry": key, "region": "japaneast", "replication": "japaneast",
            "action": "create_replication", "request": {"location": "japaneast"}, "outcome": "accepted",
            "code": null, "message": null, "operationId": "o", "answeredAt": "2026-12-01T09:00:00.250Z",
            "endedAt": null, "armMs": 250}}),
    ];
    let one_of = schema(&doc, "StatusEvent")["oneOf"].as_array().unwrap();
    let mapping = schema(&doc, "StatusEvent")["discriminator"]["mapping"].as_object().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for sample in samples {
        // What the server sends for it: the sample read as the shared type and written back.
        let event: StatusEvent = serde_json::from_value(sample).unwrap();
        let sent = serde_json::to_value(&event).unwrap();
        let tag = sent["type"].as_str().unwrap().to_owned();
        let variant = mapping.get(&tag).and_then(Value::as_str).unwrap_or_else(|| panic!("no schema for {tag}"));
        assert!(one_of.iter().any(|s| s["$ref"] == variant), "{tag}: mapped schema is one of StatusEvent's");
        fits(&doc, &json!({"$ref": variant}), &sent, &tag).unwrap();
        seen.insert(tag);
    }
    assert_eq!(seen.len(), mapping.len(), "a sample per documented event, and a schema per event");
}
