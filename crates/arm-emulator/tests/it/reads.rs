//! Read-only ARM endpoints (subscriptions, locations, resources, resource
//! groups), paging and the headers every ARM response carries.

use replimap_arm_emulator::{EmulatorConfig, Seed, SeedRegistry, SeedReplica};
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn subscriptions() {
    let env = start().await;
    let list = env.get("/subscriptions").await;
    assert_eq!(list.status, 200);
    let sub = &list.body["value"][0];
    assert_eq!(sub["subscriptionId"], SUB);
    assert_eq!(sub["id"], format!("/subscriptions/{SUB}"));
    assert_eq!(sub["state"], "Enabled");
    assert_eq!(sub["displayName"], "replimap demo");
    assert!(sub["tenantId"].is_string());
    let one = env.get(&format!("/subscriptions/{SUB}")).await;
    assert_eq!(&one.body, sub);
}

#[tokio::test]
async fn locations_have_arm_shape() {
    let env = start().await;
    let r = env.get(&format!("/subscriptions/{SUB}/locations")).await;
    let value = r.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 62);
    let find = |n: &str| value.iter().find(|v| v["name"] == n).unwrap().clone();
    let eastus = find("eastus");
    assert_eq!(eastus["id"], format!("/subscriptions/{SUB}/locations/eastus"));
    assert_eq!(eastus["type"], "Region");
    assert_eq!(eastus["displayName"], "East US");
    assert_eq!(eastus["metadata"]["regionType"], "Physical");
    assert!(eastus["metadata"]["latitude"].is_string(), "ARM sends coordinates as strings");
    assert!(eastus["metadata"]["latitude"].as_str().unwrap().parse::<f64>().is_ok());
    assert_eq!(eastus["metadata"]["pairedRegion"][0]["name"], "westus");
    assert_eq!(eastus["metadata"]["pairedRegion"][0]["id"], format!("/subscriptions/{SUB}/locations/westus"));
    assert_eq!(eastus["availabilityZoneMappings"][0]["logicalZone"], "1");
    assert!(eastus["metadata"]["geographyGroup"].is_string());
    let no_zones = value.iter().find(|v| v.get("availabilityZoneMappings").is_none());
    assert!(no_zones.is_some(), "regions without zones omit the mappings");
}

#[tokio::test]
async fn resources_list_and_filter() {
    // The registry alone: `workloads.rs` covers the demo workloads in the same list.
    let env = start_with(test_config(Seed::registry_only())).await;
    let all = env.get(&format!("/subscriptions/{SUB}/resources")).await;
    let types: Vec<&str> = all.body["value"].as_array().unwrap().iter().map(|v| v["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        vec!["Microsoft.ContainerRegistry/registries", "Microsoft.ContainerRegistry/registries/replications"]
    );

    let filtered = env
        .get(&format!(
            "/subscriptions/{SUB}/resources?$filter=resourceType%20eq%20%27Microsoft.ContainerRegistry%2Fregistries%27&api-version=2024-11-01"
        ))
        .await;
    assert_eq!(filtered.status, 200, "{}", filtered.text);
    let value = filtered.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0]["id"], registry_path());
    assert_eq!(value[0]["name"], REG);
    assert_eq!(value[0]["location"], "eastus");
    assert_eq!(value[0]["sku"]["name"], "Premium");

    let bad = env.get(&format!("/subscriptions/{SUB}/resources?$filter=name%20gt%201")).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn resource_groups_and_case_insensitive_paths() {
    let env = start().await;
    for seg in ["resourcegroups", "resourceGroups", "RESOURCEGROUPS"] {
        let r = env.get(&format!("/subscriptions/{SUB}/{seg}/{RG}")).await;
        assert_eq!(r.status, 200, "{seg}");
        assert_eq!(r.body["location"], "eastus");
        assert_eq!(r.body["properties"]["provisioningState"], "Succeeded");
    }
    let groups = env.get(&format!("/subscriptions/{SUB}/resourcegroups")).await;
    assert_eq!(groups.body["value"][0]["name"], RG);
    let lower = format!(
        "/subscriptions/{SUB}/resourcegroups/MyResourceGroup/providers/microsoft.containerregistry/registries/myacr0007/replications"
    );
    assert_eq!(env.get(&lower).await.status, 200);
}

#[tokio::test]
async fn arm_headers_on_every_response() {
    let env = start().await;
    let url = format!("{}{}", env.base, with_api(&replications_path()));
    let r =
        env.http.get(url).bearer_auth(&env.token).header("x-ms-correlation-request-id", "corr-1").send().await.unwrap();
    let h = r.headers();
    assert_eq!(h["content-type"], "application/json; charset=utf-8");
    assert_eq!(h["cache-control"], "no-cache");
    assert_eq!(h["x-ms-correlation-request-id"], "corr-1");
    assert!(h.contains_key("x-ms-request-id"));
    assert!(h.contains_key("x-ms-ratelimit-remaining-subscription-reads"));
    assert!(h["api-supported-versions"].to_str().unwrap().contains("2025-04-01"));

    let put = env.put(&replication_path("westus2"), &serde_json::json!({"location": "westus2"})).await;
    assert!(put.header("x-ms-ratelimit-remaining-subscription-writes").is_some());
    let del = env.delete(&replication_path("westus3")).await;
    assert!(del.header("x-ms-ratelimit-remaining-subscription-deletes").is_some());
    assert!(del.header("x-ms-request-id").is_some());
    // Errors carry them too.
    let err = env.get("/nothing").await;
    assert!(err.header("x-ms-request-id").is_some());
}

async fn follow_pages(env: &Env, first: &str) -> (Vec<String>, usize) {
    let mut names = Vec::new();
    let mut pages = 0;
    let mut next = Some(first.to_owned());
    while let Some(url) = next {
        let r = env.get(&url).await;
        assert_eq!(r.status, 200, "{}", r.text);
        pages += 1;
        names.extend(r.body["value"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap().to_owned()));
        next = r.body["nextLink"].as_str().map(str::to_owned);
        if let Some(link) = &next {
            assert!(link.starts_with(&env.base), "absolute on the emulator: {link}");
            assert!(link.contains("$skipToken="), "{link}");
            assert!(link.contains("api-version="), "{link}");
        }
    }
    (names, pages)
}

#[tokio::test]
async fn replication_list_pages_with_next_link() {
    let mut registry = SeedRegistry::premium(SUB, RG, REG, "eastus");
    for loc in ["westus", "westeurope", "japaneast", "brazilsouth"] {
        registry = registry.with_replica(SeedReplica::user(loc, loc));
    }
    let config = EmulatorConfig { page_size: 2, ..test_config(Seed::empty().with_registry(registry)) };
    let env = start_with(config).await;
    let (names, pages) = follow_pages(&env, &replications_path()).await;
    assert_eq!(names, vec!["eastus", "westus", "westeurope", "japaneast", "brazilsouth"]);
    assert_eq!(pages, 3);

    let bad = env.get(&format!("{}?$skipToken=zzz&api-version={API}", replications_path())).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.code(), "InvalidSkipToken");
}

#[tokio::test]
async fn registry_and_resource_lists_page_too() {
    let seed = Seed::docs_example().with_registry(SeedRegistry::standard(SUB, "otherrg", "second01", "westus"));
    let env = start_with(EmulatorConfig { page_size: 1, ..test_config(seed) }).await;
    let (names, pages) =
        follow_pages(&env, &format!("/subscriptions/{SUB}/providers/Microsoft.ContainerRegistry/registries")).await;
    assert_eq!(names, vec![REG, "second01"]);
    assert_eq!(pages, 2);

    // The $filter survives into nextLink.
    let filter = "$filter=resourceType%20eq%20%27Microsoft.ContainerRegistry%2Fregistries%27";
    let first = env.get(&format!("/subscriptions/{SUB}/resources?{filter}&api-version={API}")).await;
    let link = first.body["nextLink"].as_str().unwrap();
    let second = env.get(link).await;
    assert_eq!(second.body["value"][0]["type"], "Microsoft.ContainerRegistry/registries");
    assert!(second.body.get("nextLink").is_none_or(Value::is_null));
}
