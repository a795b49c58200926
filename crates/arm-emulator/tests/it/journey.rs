//! The docs journey and the other happy paths of the replication lifecycle.

use replimap_arm_emulator::{Seed, SeedRegistry, SeedReplica};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn create_replica_journey_from_the_docs() {
    let env = start().await;
    // Seeded: one home replica, created by the RP.
    let list = env.get(&replications_path()).await;
    assert_eq!(list.status, 200);
    let home = &list.body["value"][0];
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(home["name"], "eastus");
    assert_eq!(home["properties"]["provisioningState"], "Succeeded");
    assert_eq!(home["properties"]["status"]["displayStatus"], "Ready");
    assert_eq!(home["systemData"]["createdByType"], "Application");

    let put = env.put(&replication_path("japaneast"), &json!({"location": "japaneast", "properties": {}})).await;
    assert_eq!(put.status, 201, "{}", put.text);
    let async_url = put.header("azure-asyncoperation").unwrap().to_owned();
    let expected_prefix = format!("{}{}/operationStatuses/replications-", env.base, replication_path("japaneast"));
    assert!(async_url.starts_with(&expected_prefix), "{async_url}");
    assert!(async_url.contains("api-version=2025-04-01"), "{async_url}");
    assert_eq!(put.header("retry-after"), Some("1"));
    assert_eq!(put.body["properties"]["provisioningState"], "Creating");
    // The real RP sends only a timestamp while creating (arm-facts §2.1).
    assert!(put.body["properties"]["status"]["timestamp"].is_string());
    assert!(put.body["properties"]["status"].get("displayStatus").is_none());
    // The test's token is an application's (client credentials), so ARM records the application.
    assert_eq!(put.body["systemData"]["createdByType"], "Application");
    assert_eq!(put.body["systemData"]["createdBy"], "replimap-emulator-credential");
    assert_eq!(put.body["properties"]["regionEndpointEnabled"], true);
    assert_eq!(put.body["properties"]["zoneRedundancy"], "Disabled");

    let (done, running_polls) = env.poll_async(&async_url).await;
    assert!(running_polls >= 1, "the replica spends the delay Creating");
    assert_eq!(done["status"], "Succeeded");
    assert!(done["endTime"].is_string() && done["startTime"].is_string());
    assert!(done.get("error").is_none());

    let get = env.get(&replication_path("japaneast")).await;
    assert_eq!(get.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(get.body["properties"]["status"]["displayStatus"], "Ready");
    assert!(get.body["properties"]["status"]["message"].is_string());
    assert_ne!(get.body["properties"]["status"]["timestamp"], put.body["properties"]["status"]["timestamp"]);

    let list = env.get(&replications_path()).await;
    let states: Vec<(String, String, String)> = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["location"].as_str().unwrap().to_owned(),
                v["properties"]["provisioningState"].as_str().unwrap().to_owned(),
                v["properties"]["status"]["displayStatus"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            ("eastus".into(), "Succeeded".into(), "Ready".into()),
            ("japaneast".into(), "Succeeded".into(), "Ready".into())
        ]
    );
    env.handle.shutdown().await;
}

#[tokio::test]
async fn delete_replica_with_location_polling() {
    let seed = Seed::empty().with_registry(
        SeedRegistry::premium(SUB, RG, REG, "eastus").with_replica(SeedReplica::user("japaneast", "japaneast")),
    );
    let env = start_with(test_config(seed)).await;
    assert_eq!(env.replica_names().await, vec!["eastus", "japaneast"]);

    let del = env.delete(&replication_path("japaneast")).await;
    assert_eq!(del.status, 202);
    assert!(del.text.is_empty());
    assert_eq!(del.header("retry-after"), Some("1"));
    let location = del.header("location").unwrap().to_owned();
    let prefix = format!(
        "{}/subscriptions/{SUB}/providers/Microsoft.ContainerRegistry/locations/japaneast/operationResults/replications-",
        env.base
    );
    assert!(location.starts_with(&prefix), "{location}");

    let during = env.get(&replication_path("japaneast")).await;
    assert_eq!(during.body["properties"]["provisioningState"], "Deleting");

    let (final_status, accepted) = env.poll_location(&location).await;
    assert_eq!(final_status, 200);
    assert!(accepted >= 1);
    assert_eq!(env.replica_names().await, vec!["eastus"]);
    assert_eq!(env.get(&replication_path("japaneast")).await.status, 404);

    // Nothing left to delete.
    assert_eq!(env.delete(&replication_path("japaneast")).await.status, 204);
}

#[tokio::test]
async fn deleting_a_missing_replica_is_204() {
    let env = start().await;
    let r = env.delete(&replication_path("westeurope")).await;
    assert_eq!(r.status, 204);
    assert!(r.text.is_empty());
}

#[tokio::test]
async fn first_geo_replica_creates_the_home_replica() {
    let seed = Seed::empty().with_registry(SeedRegistry::premium(SUB, RG, REG, "westus").without_replicas());
    let env = start_with(test_config(seed)).await;
    assert!(env.replica_names().await.is_empty());
    let put = env.put(&replication_path("eastus"), &json!({"location": "East US"})).await;
    assert_eq!(put.status, 201);
    assert_eq!(put.body["location"], "eastus", "display names are normalised");
    let list = env.get(&replications_path()).await;
    let home = &list.body["value"][0];
    assert_eq!(home["name"], "westus");
    assert_eq!(home["systemData"]["createdByType"], "Application");
    assert_eq!(home["properties"]["provisioningState"], "Succeeded");
    assert_eq!(list.body["value"][1]["name"], "eastus");
}

#[tokio::test]
async fn put_on_existing_replica_is_create_or_update() {
    let env = start().await;
    let path = replication_path("eastus");
    // Same state again: 200, nothing long-running.
    let same = env.put(&path, &json!({"location": "eastus", "properties": {}})).await;
    assert_eq!(same.status, 200, "{}", same.text);
    assert!(same.header("azure-asyncoperation").is_none());
    assert_eq!(same.body["properties"]["provisioningState"], "Succeeded");

    let changed = env.put(&path, &json!({"location": "eastus", "tags": {"env": "prod"}})).await;
    assert_eq!(changed.status, 201);
    assert_eq!(changed.body["properties"]["provisioningState"], "Updating");
    let (done, _) = env.poll_async(changed.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(done["status"], "Succeeded");
    let get = env.get(&path).await;
    assert_eq!(get.body["tags"], json!({"env": "prod"}));
    assert_eq!(get.body["properties"]["status"]["displayStatus"], "Ready");
    assert_eq!(get.body["systemData"]["lastModifiedByType"], "Application");
}

#[tokio::test]
async fn patch_replaces_tags_and_toggles_the_regional_endpoint() {
    let seed = Seed::empty().with_registry(
        SeedRegistry::premium(SUB, RG, REG, "eastus")
            .with_replica(SeedReplica::user("westeurope", "westeurope").with_tag("old", "1")),
    );
    let env = start_with(test_config(seed)).await;
    let path = replication_path("westeurope");
    let body = json!({"tags": {"new": "2"}, "properties": {"regionEndpointEnabled": false}, "unknown": 1});
    let r = env.patch(&path, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["properties"]["provisioningState"], "Updating");
    let (done, _) = env.poll_async(r.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(done["status"], "Succeeded");
    let get = env.get(&path).await;
    assert_eq!(get.body["tags"], json!({"new": "2"}));
    assert_eq!(get.body["properties"]["regionEndpointEnabled"], false);
    assert_eq!(get.body["properties"]["zoneRedundancy"], "Disabled");
    assert_eq!(get.body["properties"]["provisioningState"], "Succeeded");
}

#[tokio::test]
async fn registry_lifecycle() {
    let env = start().await;
    let rg = format!("/subscriptions/{SUB}/resourcegroups/testrg");
    let created = env.put(&rg, &json!({"location": "westus"})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(env.put(&rg, &json!({"location": "westus"})).await.status, 200);

    let reg =
        format!("/subscriptions/{SUB}/resourceGroups/testrg/providers/Microsoft.ContainerRegistry/registries/newReg01");
    let put = env.put(&reg, &json!({"location": "westus", "sku": {"name": "Premium"}, "tags": {"a": "b"}})).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(put.body["properties"]["loginServer"], "newreg01.azurecr.io");
    assert_eq!(put.body["sku"], json!({"name": "Premium", "tier": "Premium"}));

    let by_sub = env.get(&format!("/subscriptions/{SUB}/providers/Microsoft.ContainerRegistry/registries")).await;
    assert_eq!(by_sub.body["value"].as_array().unwrap().len(), 2);
    let by_rg = env
        .get(&format!("/subscriptions/{SUB}/resourceGroups/testrg/providers/Microsoft.ContainerRegistry/registries"))
        .await;
    assert_eq!(by_rg.body["value"].as_array().unwrap().len(), 1);

    let patched = env.patch(&reg, &json!({"tags": {"c": "d"}, "properties": {"adminUserEnabled": true}})).await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.body["tags"], json!({"c": "d"}));
    assert_eq!(patched.body["properties"]["adminUserEnabled"], true);

    let del = env.delete(&reg).await;
    assert_eq!(del.status, 202);
    let location = del.header("location").unwrap().to_owned();
    assert!(
        location.contains("/providers/Microsoft.ContainerRegistry/locations/westus/operationResults/delete-newReg01-"),
        "{location}"
    );
    assert_eq!(env.poll_location(&location).await.0, 200);
    assert_eq!(env.get(&reg).await.status, 404);
    assert_eq!(env.delete(&reg).await.status, 204);
}

#[tokio::test]
async fn urls_follow_the_host_the_client_used() {
    let env = start().await;
    let url = format!("{}{}", env.base, with_api(&replication_path("japaneast")));
    let r = env
        .http
        .put(url)
        .bearer_auth(&env.token)
        .header("host", "arm.example.test:4443")
        .header("x-forwarded-proto", "https")
        .json(&json!({"location": "japaneast"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let op = r.headers()["azure-asyncoperation"].to_str().unwrap();
    assert!(op.starts_with("https://arm.example.test:4443/subscriptions/"), "{op}");
}
