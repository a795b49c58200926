//! The state file (`EmulatorConfig::state_file`) and out-of-band changes
//! through the admin API.

use std::path::{Path, PathBuf};

use replimap_arm_emulator::{Emulator, EmulatorConfig, Seed};
use reqwest::Method;
use serde_json::json;

use crate::support::*;

fn temp_state() -> PathBuf {
    std::env::temp_dir().join(format!("replimap-emu-{}", uuid::Uuid::new_v4())).join("state.json")
}

fn config_with_state(path: &Path) -> EmulatorConfig {
    EmulatorConfig { state_file: Some(path.to_path_buf()), ..test_config(Seed::docs_example()) }
}

#[tokio::test]
async fn replicas_survive_a_restart() {
    let path = temp_state();
    let env = start_with(config_with_state(&path)).await;
    assert!(path.exists(), "written at start");
    let put = env.put(&replication_path("japaneast"), &json!({"location": "japaneast", "tags": {"k": "v"}})).await;
    assert_eq!(put.status, 201);
    env.handle.shutdown().await;

    // Saved while Creating: the restart settles it as Succeeded.
    let again = start_with(config_with_state(&path)).await;
    assert_eq!(again.replica_names().await, ["eastus", "japaneast"]);
    let rep = again.get(&replication_path("japaneast")).await;
    assert_eq!(rep.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(rep.body["tags"]["k"], "v");

    // A delete is saved too.
    let del = again.delete(&replication_path("japaneast")).await;
    assert_eq!(del.status, 202);
    again.handle.shutdown().await;
    let third = Emulator::try_new(config_with_state(&path)).unwrap();
    let names: Vec<String> =
        third.replications(SUB, RG, REG).unwrap().iter().map(|r| r["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, ["eastus"]);
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
