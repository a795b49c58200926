//! Resource group deletion (`DELETE /subscriptions/{sub}/resourcegroups/{rg}`): ARM's
//! long-running operation, and the registries and replicas going with the group.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use replimap_arm_emulator::{EmulatorConfig, Seed, SeedRegistry, SeedReplica};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::*;

fn group(rg: &str) -> String {
    format!("/subscriptions/{SUB}/resourcegroups/{rg}")
}

/// The docs example plus a second group with a replicated registry.
fn two_groups(delay: Duration) -> EmulatorConfig {
    // Without the demo workloads, so the only group left is the registry's.
    let seed = Seed::registry_only().with_registry(
        SeedRegistry::premium(SUB, "Other_RG", "otherACR01", "westus")
            .with_replica(SeedReplica::user("westus", "westus"))
            .with_replica(SeedReplica::user("japaneast", "japaneast")),
    );
    EmulatorConfig { provisioning_delay: delay, ..test_config(seed) }
}

fn other_registry() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/Other_RG/providers/Microsoft.ContainerRegistry/registries/otherACR01")
}

fn state(r: &Resp) -> &str {
    r.body["properties"]["provisioningState"].as_str().unwrap_or("<none>")
}

#[tokio::test]
async fn delete_is_a_location_lro_that_takes_the_registries_along() {
    let env = start_with(two_groups(Duration::from_millis(600))).await;
    // Names are case-insensitive, as everywhere in ARM.
    let del = env.delete(&group("other_rg")).await;
    assert_eq!(del.status, 202, "{}", del.text);
    assert!(del.text.is_empty(), "empty body");
    assert_eq!(del.header("retry-after"), Some("1"));
    let location = del.header("location").unwrap().to_owned();
    let prefix = format!("{}/subscriptions/{SUB}/operationresults/", env.base);
    let job = location.strip_prefix(&prefix).unwrap_or_else(|| panic!("{location}"));
    let (job, query) = job.split_once('?').unwrap();
    assert_eq!(query, format!("api-version={API}"));
    let decoded: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(job).unwrap()).unwrap();
    assert!(decoded["jobId"].as_str().unwrap().starts_with("RESOURCEGROUPDELETIONJOB-OTHER:5FRG|"), "{decoded}");
    assert_eq!(decoded["jobLocation"], "westus");

    // While it runs: the group, its registry and replicas say Deleting; writes are refused.
    let g = env.get(&group("Other_RG")).await;
    assert_eq!(state(&g), "Deleting");
    assert_eq!(state(&env.get(&other_registry()).await), "Deleting");
    let reps = env.get(&format!("{}/replications", other_registry())).await;
    assert!(reps.body["value"].as_array().unwrap().iter().all(|r| r["properties"]["provisioningState"] == "Deleting"));
    let put =
        env.put(&format!("{}/replications/brazilsouth", other_registry()), &json!({"location": "brazilsouth"})).await;
    assert_eq!(put.status, 409);
    assert_eq!(put.code(), "ResourceGroupBeingDeleted");
    assert!(put.message().contains("'Other_RG'"), "{}", put.message());
    let again = env.delete(&group("OTHER_RG")).await;
    assert_eq!(again.header("location"), Some(location.as_str()), "a repeated DELETE joins the running one");

    // The monitor: 202 with Location and Retry-After while running, then an empty 200.
    let running = env.get(&location).await;
    assert_eq!(running.status, 202);
    assert_eq!(running.header("location"), Some(location.as_str()));
    assert!(running.header("retry-after").is_some());
    let (status, _) = env.poll_location(&location).await;
    assert_eq!(status, 200);
    assert_eq!(env.get(&location).await.status, 200, "done stays done");

    let gone = env.get(&group("Other_RG")).await;
    assert_eq!((gone.status, gone.code()), (404, "ResourceGroupNotFound"));
    assert_eq!(env.get(&other_registry()).await.code(), "ResourceGroupNotFound");
    let all = env.get(&format!("/subscriptions/{SUB}/providers/Microsoft.ContainerRegistry/registries")).await;
    let names: Vec<&str> = all.body["value"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, [REG], "the other group's registry went with it");
    let groups = env.get(&format!("/subscriptions/{SUB}/resourcegroups")).await;
    assert_eq!(groups.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn registries_are_gone_before_the_group() {
    let delay = Duration::from_millis(1600);
    let env = start_with(two_groups(delay)).await;
    let started = Instant::now();
    assert_eq!(env.delete(&group("Other_RG")).await.status, 202);
    // Half-way the registry's own delete is over; the group is still being deleted.
    tokio::time::sleep(delay / 2 + Duration::from_millis(200)).await;
    let reg = env.get(&other_registry()).await;
    let g = env.get(&group("Other_RG")).await;
    assert!(started.elapsed() < delay, "checked before the group's end; the machine was too slow");
    assert_eq!((reg.status, reg.code()), (404, "ResourceNotFound"));
    assert_eq!(state(&g), "Deleting");
}

#[tokio::test]
async fn unknown_groups_and_existence_checks() {
    let env = start().await;
    let missing = env.delete(&group("nosuchgroup")).await;
    assert_eq!((missing.status, missing.code()), (404, "ResourceGroupNotFound"));
    assert_eq!(missing.message(), "Resource group 'nosuchgroup' could not be found.");
    let wrong_sub = env.delete("/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/x").await;
    assert_eq!(wrong_sub.code(), "SubscriptionNotFound");

    // `az group exists`: HEAD answers 204 or 404 with no body.
    let env = &env;
    let head = |rg: &str| {
        let path = with_api(&group(rg));
        async move { env.send(Method::HEAD, &path, None).await }
    };
    assert_eq!(head("MyResourceGroup").await.status, 204);
    assert_eq!(head("nosuchgroup").await.status, 404);

    // A group can be re-created after its deletion, and is deleted again as a new job.
    let loc1 = env.delete(&group(RG)).await.header("location").unwrap().to_owned();
    env.poll_location(&loc1).await;
    assert_eq!(head(RG).await.status, 404);
    assert_eq!(env.put(&group(RG), &json!({"location": "eastus"})).await.status, 201);
    let loc2 = env.delete(&group(RG)).await.header("location").unwrap().to_owned();
    assert_ne!(loc1, loc2);
    assert_eq!(env.get(&loc1).await.status, 200, "the first job is still known, and done");
}

#[tokio::test]
async fn a_create_caught_by_the_group_delete_is_canceled() {
    let env = start_with(EmulatorConfig {
        provisioning_delay: Duration::from_millis(600),
        ..test_config(Seed::docs_example())
    })
    .await;
    let put = env.put(&replication_path("japaneast"), &json!({"location": "japaneast"})).await;
    let monitor = put.header("azure-asyncoperation").unwrap().to_owned();
    let del = env.delete(&group(RG)).await;
    env.poll_location(del.header("location").unwrap()).await;
    let (done, _) = env.poll_async(&monitor).await;
    assert_eq!(done["status"], "Canceled");
}
