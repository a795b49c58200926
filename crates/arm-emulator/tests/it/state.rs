//! The state file (`EmulatorConfig::state_file`) and out-of-band changes
//! through the admin API.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use replimap_arm_emulator::{Emulator, EmulatorConfig, Seed, SeedReplica};
use reqwest::Method;
use serde_json::json;

use crate::support::*;

fn temp_state() -> PathBuf {
    std::env::temp_dir().join(format!("replimap-emu-{}", uuid::Uuid::new_v4())).join("state.json")
}

fn config_with_state(path: &Path) -> EmulatorConfig {
    EmulatorConfig { state_file: Some(path.to_path_buf()), ..test_config(Seed::docs_example()) }
}

/// `https://host:port/p?q` → `/p?q`: what a client re-bases on the emulator's new address.
pub fn path_and_query(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme.find('/').map_or_else(String::new, |i| after_scheme[i..].to_owned())
}

#[tokio::test]
async fn replicas_survive_a_restart() {
    let path = temp_state();
    let env = start_with(config_with_state(&path)).await;
    assert!(path.exists(), "written at start");
    let put = env.put(&replication_path("japaneast"), &json!({"location": "japaneast", "tags": {"k": "v"}})).await;
    assert_eq!(put.status, 201);
    env.handle.shutdown().await;
    // Down for longer than the create takes: it is over when the emulator is back.
    tokio::time::sleep(DELAY + Duration::from_millis(50)).await;

    let again = start_with(config_with_state(&path)).await;
    assert_eq!(again.replica_names().await, ["eastus", "japaneast"]);
    let rep = again.get(&replication_path("japaneast")).await;
    assert_eq!(rep.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(rep.body["tags"]["k"], "v");

    // A delete is saved too.
    let del = again.delete(&replication_path("japaneast")).await;
    assert_eq!(del.status, 202);
    again.handle.shutdown().await;
    tokio::time::sleep(DELAY + Duration::from_millis(50)).await;
    let third = Emulator::try_new(config_with_state(&path)).unwrap();
    let names: Vec<String> =
        third.replications(SUB, RG, REG).unwrap().iter().map(|r| r["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, ["eastus"]);
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[tokio::test]
async fn a_create_in_flight_resumes_after_a_restart_on_another_port() {
    let path = temp_state();
    let slow = Duration::from_millis(1500);
    let env = start_with(EmulatorConfig { provisioning_delay: slow, ..config_with_state(&path) }).await;
    let started = Instant::now();
    let put = env.put(&replication_path("japaneast"), &json!({"location": "japaneast"})).await;
    assert_eq!(put.status, 201);
    let monitor = path_and_query(put.header("azure-asyncoperation").unwrap());
    let before = env.get(&monitor).await;
    assert_eq!(before.body["status"], "Creating");
    let old_token = env.token.clone();
    env.handle.shutdown().await;

    let again = start_with(config_with_state(&path)).await;
    assert_ne!(again.base, env.base, "a new port");
    // The client re-bases the stored monitor URL and keeps its token.
    let bearer = format!("Bearer {old_token}");
    let after = again.send_as(Some(&bearer), Method::GET, &format!("{}{monitor}", again.base), None).await;
    assert_eq!(after.status, 200, "{}", after.text);
    assert_eq!(after.body["status"], "Creating", "still running for the rest of its time");
    assert_eq!(after.body["name"], before.body["name"], "same operation id");
    assert_eq!(after.body["id"], before.body["id"]);
    assert_eq!(after.body["startTime"], before.body["startTime"]);
    assert!(after.header("azure-asyncoperation").unwrap().ends_with(&monitor), "re-sent on the new address");
    let rep = again.get(&replication_path("japaneast")).await;
    assert_eq!(rep.body["properties"]["provisioningState"], "Creating");

    let (done, _) = again.poll_async(&monitor).await;
    assert_eq!(done["status"], "Succeeded");
    assert_eq!(done["name"], before.body["name"]);
    let took = started.elapsed();
    assert!(took >= slow, "the remainder was waited out: {took:?}");
    assert!(took < slow + Duration::from_secs(3), "and not started over: {took:?}");
    let rep = again.get(&replication_path("japaneast")).await;
    assert_eq!(rep.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(rep.body["properties"]["status"]["displayStatus"], "Ready");
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[tokio::test]
async fn a_replica_delete_in_flight_resumes_after_a_restart() {
    let path = temp_state();
    let env =
        start_with(EmulatorConfig { provisioning_delay: Duration::from_millis(800), ..config_with_state(&path) }).await;
    env.handle.emulator().put_replica(REG, SeedReplica::user("japaneast", "japaneast"));
    let del = env.delete(&replication_path("japaneast")).await;
    assert_eq!(del.status, 202);
    let location = path_and_query(del.header("location").unwrap());
    env.handle.shutdown().await;

    let again = start_with(config_with_state(&path)).await;
    assert_eq!(again.get(&location).await.status, 202, "still deleting");
    let (status, _) = again.poll_location(&location).await;
    assert_eq!(status, 200);
    assert_eq!(again.replica_names().await, ["eastus"]);
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[tokio::test]
async fn a_group_delete_in_flight_resumes_after_a_restart() {
    let path = temp_state();
    let env =
        start_with(EmulatorConfig { provisioning_delay: Duration::from_millis(800), ..config_with_state(&path) }).await;
    let del = env.delete(&format!("/subscriptions/{SUB}/resourcegroups/{RG}")).await;
    assert_eq!(del.status, 202);
    let location = path_and_query(del.header("location").unwrap());
    env.handle.shutdown().await;

    let again = start_with(config_with_state(&path)).await;
    let group = again.get(&format!("/subscriptions/{SUB}/resourcegroups/{RG}")).await;
    assert_eq!(group.body["properties"]["provisioningState"], "Deleting");
    let (status, polls) = again.poll_location(&location).await;
    assert_eq!(status, 200);
    assert!(polls >= 1, "it was still running");
    assert_eq!(again.get(&format!("/subscriptions/{SUB}/resourcegroups/{RG}")).await.status, 404);
    assert_eq!(again.get(&registry_path()).await.code(), "ResourceGroupNotFound");
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[test]
fn a_corrupt_state_file_is_an_error() {
    let path = temp_state();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "{not json").unwrap();
    assert!(Emulator::try_new(config_with_state(&path)).is_err());
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[tokio::test]
async fn out_of_band_changes() {
    let env = start().await;
    // A registry appears (created elsewhere, e.g. by Terraform).
    let reg = json!({"subscriptionId": SUB, "resourceGroup": "elsewhere", "name": "otherACR01",
                     "location": "westus", "sku": "Premium",
                     "replicas": [{"name": "westus", "location": "westus"}]});
    let added = env.admin(Method::POST, "/registries", Some(&reg)).await;
    assert_eq!(added.status, 200, "{}", added.text);
    assert_eq!(added.body["sku"]["name"], "Premium");

    // A replica is added, then breaks on Azure's side.
    let rep = json!({"name": "japaneast", "location": "Japan East"});
    let path = "/registries/myACR0007/replications";
    assert_eq!(env.admin(Method::POST, path, Some(&rep)).await.status, 204);
    let broken = json!({"provisioningState": "failed", "message": "Region outage."});
    let patched = env.admin(Method::PATCH, &format!("{path}/japaneast"), Some(&broken)).await;
    assert_eq!(patched.status, 204, "{}", patched.text);
    let got = env.get(&replication_path("japaneast")).await;
    assert_eq!(got.body["location"], "japaneast");
    assert_eq!(got.body["properties"]["provisioningState"], "Failed");
    assert_eq!(got.body["properties"]["status"]["message"], "Region outage.");

    // …and disappears, as does the other registry.
    assert_eq!(env.admin(Method::DELETE, &format!("{path}/japaneast"), None).await.status, 204);
    assert_eq!(env.replica_names().await, ["eastus"]);
    assert_eq!(env.admin(Method::DELETE, "/registries/otherACR01", None).await.status, 204);
    assert_eq!(env.admin(Method::DELETE, "/registries/otherACR01", None).await.status, 404);
    let bad = env.admin(Method::PATCH, &format!("{path}/eastus"), Some(&json!({"provisioningState": "Broken"}))).await;
    assert_eq!(bad.status, 400);
}
