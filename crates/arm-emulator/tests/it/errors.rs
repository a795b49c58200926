//! Every error the emulator promises: status, ARM code, message pattern and the
//! `{"error":{code,message}}` envelope.

use replimap_arm_emulator::{Seed, SeedRegistry, SeedReplica};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::*;

fn assert_envelope(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.code(), code, "{}", r.text);
    let keys: Vec<&String> = r.body["error"].as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["code", "message"]);
    assert!(!r.message().is_empty());
    assert_eq!(r.header("content-type"), Some("application/json; charset=utf-8"));
}

#[tokio::test]
async fn api_version_is_required_and_checked() {
    let env = start().await;
    let missing = env.send(Method::GET, &replications_path(), None).await;
    assert_envelope(&missing, 400, "MissingApiVersionParameter");
    assert_eq!(missing.message(), "The api-version query parameter (?api-version=) is required for all requests.");

    let bad = env.get(&format!("{}?api-version=latest", replications_path())).await;
    assert_envelope(&bad, 400, "InvalidApiVersionParameter");
    assert!(bad.message().contains("'latest'"));

    for v in ["2026-09-01-preview", "2022-12-01", "2019-05-01"] {
        let ok = env.get(&format!("{}?api-version={v}", replications_path())).await;
        assert_eq!(ok.status, 200, "{v}");
    }
}

#[tokio::test]
async fn missing_parents_and_resources() {
    let env = start().await;
    let no_rg =
        format!("/subscriptions/{SUB}/resourceGroups/nope/providers/Microsoft.ContainerRegistry/registries/{REG}");
    let r = env.get(&format!("{no_rg}/replications")).await;
    assert_envelope(&r, 404, "ResourceGroupNotFound");
    assert_eq!(r.message(), "Resource group 'nope' could not be found.");
    assert_envelope(&env.get(&format!("/subscriptions/{SUB}/resourcegroups/nope")).await, 404, "ResourceGroupNotFound");

    let no_reg =
        format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerRegistry/registries/ghost01");
    let r = env.get(&format!("{no_reg}/replications")).await;
    assert_envelope(&r, 404, "ParentResourceNotFound");
    assert!(r.message().contains("Parent resource 'ghost01' not found"));
    let r = env.put(&format!("{no_reg}/replications/westus"), &json!({"location": "westus"})).await;
    assert_envelope(&r, 404, "ParentResourceNotFound");
    assert_envelope(&env.delete(&format!("{no_reg}/replications/westus")).await, 404, "ParentResourceNotFound");

    let r = env.get(&no_reg).await;
    assert_envelope(&r, 404, "ResourceNotFound");
    assert!(r.message().starts_with(&format!(
        "The Resource 'Microsoft.ContainerRegistry/registries/ghost01' under resource group '{RG}' was not found."
    )));

    let r = env.get(&replication_path("westus2")).await;
    assert_envelope(&r, 404, "ResourceNotFound");
    assert!(r.message().contains(&format!("'Microsoft.ContainerRegistry/registries/{REG}/replications/westus2'")));
    assert_envelope(&env.patch(&replication_path("westus2"), &json!({})).await, 404, "ResourceNotFound");

    let r = env.get("/subscriptions/11111111-1111-1111-1111-111111111111/locations").await;
    assert_envelope(&r, 404, "SubscriptionNotFound");
}

#[tokio::test]
async fn standard_registry_refuses_replications() {
    let seed = Seed::empty().with_registry(SeedRegistry::standard(SUB, RG, REG, "eastus"));
    let env = start_with(test_config(seed)).await;
    let r = env.put(&replication_path("westeurope"), &json!({"location": "westeurope"})).await;
    assert_envelope(&r, 400, "RegistrySkuNotSupported");
    assert!(r.message().contains("Premium"));
    // Reads still work and show no replicas.
    assert!(env.replica_names().await.is_empty());
}

#[tokio::test]
async fn locations_must_be_real_and_public() {
    let env = start().await;
    for loc in ["atlantis", "eastus2euap", "eastusstg"] {
        let r = env.put(&replication_path("newrep01"), &json!({ "location": loc })).await;
        assert_envelope(&r, 400, "LocationNotAvailableForResourceType");
        assert!(r.message().contains(loc));
    }
    let r = env.put(&replication_path("newrep01"), &json!({"properties": {}})).await;
    assert_envelope(&r, 400, "LocationRequired");
    let r = env.put(&replication_path("newrep01"), &json!({"location": ""})).await;
    assert_envelope(&r, 400, "LocationRequired");
}

#[tokio::test]
async fn names_tags_and_bodies_are_validated() {
    let env = start().await;
    for bad in ["abcd", "west-europe", &"a".repeat(51)] {
        let r = env.put(&replication_path(bad), &json!({"location": "westeurope"})).await;
        assert_envelope(&r, 400, "InvalidResourceName");
    }
    let many: serde_json::Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
    let bad_tags = [
        json!({"a/b": "x"}),
        json!({"a<b": "x"}),
        json!({"k": "v".repeat(257)}),
        json!({ "k".repeat(513): "v" }),
        Value::Object(many),
    ];
    for tags in bad_tags {
        let r = env.put(&replication_path("westeurope"), &json!({"location": "westeurope", "tags": tags})).await;
        assert_envelope(&r, 400, "InvalidTag");
    }
    let url = with_api(&replication_path("westeurope"));
    let r = env.send(Method::PUT, &url, Some("{not json")).await;
    assert_envelope(&r, 400, "InvalidRequestContent");
    let r = env.send(Method::PUT, &url, Some("[1,2]")).await;
    assert_envelope(&r, 400, "InvalidRequestContent");
    let r = env
        .put(
            &replication_path("westeurope"),
            &json!({"location": "westeurope", "properties": {"zoneRedundancy": "Maybe"}}),
        )
        .await;
    assert_envelope(&r, 400, "InvalidRequestContent");
    // Nothing above created anything.
    assert_eq!(env.replica_names().await, vec!["eastus"]);
}

#[tokio::test]
async fn immutable_fields_and_conflicts() {
    let seed = Seed::empty().with_registry(
        SeedRegistry::premium(SUB, RG, REG, "eastus").with_replica(SeedReplica::user("westeurope", "westeurope")),
    );
    let env = start_with(test_config(seed)).await;
    let moved = env.put(&replication_path("westeurope"), &json!({"location": "northeurope"})).await;
    assert_envelope(&moved, 400, "InvalidResourceLocation");
    let zr = env
        .put(
            &replication_path("westeurope"),
            &json!({"location": "westeurope", "properties": {"zoneRedundancy": "Enabled"}}),
        )
        .await;
    assert_envelope(&zr, 400, "ZoneRedundancyUpdateNotSupported");
    let zr = env.patch(&replication_path("westeurope"), &json!({"properties": {"zoneRedundancy": "Enabled"}})).await;
    assert_envelope(&zr, 400, "ZoneRedundancyUpdateNotSupported");

    let dup = env.put(&replication_path("weurope2"), &json!({"location": "westeurope"})).await;
    assert_envelope(&dup, 409, "Conflict");
    assert!(dup.message().contains("westeurope"));

    // A write while an operation runs on the same replica.
    let created = env.put(&replication_path("japaneast"), &json!({"location": "japaneast"})).await;
    assert_eq!(created.status, 201);
    let busy = env.put(&replication_path("japaneast"), &json!({"location": "japaneast", "tags": {"a": "b"}})).await;
    assert_envelope(&busy, 409, "AnotherOperationInProgress");
}

#[tokio::test]
async fn home_replica_is_protected_while_others_exist() {
    let seed = Seed::empty().with_registry(
        SeedRegistry::premium(SUB, RG, REG, "eastus").with_replica(SeedReplica::user("westeurope", "westeurope")),
    );
    let env = start_with(test_config(seed)).await;
    let r = env.delete(&replication_path("eastus")).await;
    assert_envelope(&r, 400, "HomeReplicationCannotBeDeleted");

    let del = env.delete(&replication_path("westeurope")).await;
    env.poll_location(del.header("location").unwrap()).await;
    // Alone, the home replica may go.
    let del = env.delete(&replication_path("eastus")).await;
    assert_eq!(del.status, 202);
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let env = start().await;
    let r = env.get(&format!("/subscriptions/{SUB}/providers/Microsoft.ContainerRegistry/webhooks")).await;
    assert_envelope(&r, 404, "InvalidResourceType");
    let r = env.get("/nothing/here").await;
    assert_envelope(&r, 404, "NotFound");
    let r = env.send(Method::POST, &with_api(&replications_path()), Some("{}")).await;
    assert_envelope(&r, 405, "MethodNotAllowed");
    let r = env.get(&format!("{}/operationStatuses/replications-unknown", replication_path("eastus"))).await;
    assert_envelope(&r, 404, "OperationNotFound");
}

#[tokio::test]
async fn registry_errors() {
    let env = start().await;
    let base = format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerRegistry/registries");
    let r = env.put(&format!("{base}/{REG}"), &json!({"location": "westus", "sku": {"name": "Premium"}})).await;
    assert_envelope(&r, 400, "InvalidResourceLocation");
    let r = env.put(&format!("{base}/nosku01"), &json!({"location": "westus"})).await;
    assert_envelope(&r, 400, "InvalidRequestContent");
    let r = env.put(&format!("{base}/bad-name"), &json!({"location": "westus", "sku": {"name": "Basic"}})).await;
    assert_envelope(&r, 400, "InvalidResourceName");
    let r = env
        .put(
            &format!(
                "/subscriptions/{SUB}/resourceGroups/other/providers/Microsoft.ContainerRegistry/registries/x1234"
            ),
            &json!({"location": "westus", "sku": {"name": "Basic"}}),
        )
        .await;
    assert_envelope(&r, 404, "ResourceGroupNotFound");
    // Registry names are global.
    env.put(&format!("/subscriptions/{SUB}/resourcegroups/other"), &json!({"location": "westus"})).await;
    let r = env
        .put(
            &format!(
                "/subscriptions/{SUB}/resourceGroups/other/providers/Microsoft.ContainerRegistry/registries/{REG}"
            ),
            &json!({"location": "eastus", "sku": {"name": "Basic"}}),
        )
        .await;
    assert_envelope(&r, 409, "AlreadyInUse");
}
