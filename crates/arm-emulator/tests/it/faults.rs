//! Fault injection and the rest of the admin API, over HTTP and through the
//! Rust API.

use std::time::{Duration, Instant};

use replimap_arm_emulator::FaultRule;
use reqwest::Method;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn throttling_once_then_success() {
    let env = start().await;
    let rule = json!({"method": "PUT", "pathContains": "/replications/", "status": 429, "retryAfter": 2, "times": 1});
    let added = env.admin(Method::POST, "/faults", Some(&rule)).await;
    assert_eq!(added.status, 200, "{}", added.text);
    assert_eq!(added.body["faults"].as_array().unwrap().len(), 1);

    // GETs do not match the rule.
    assert_eq!(env.get(&replications_path()).await.status, 200);
    let throttled = env.put(&replication_path("westeurope"), &json!({"location": "westeurope"})).await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.code(), "SubscriptionRequestsThrottled");
    assert_eq!(throttled.header("retry-after"), Some("2"));
    assert!(throttled.message().contains("'write' requests"));
    let retried = env.put(&replication_path("westeurope"), &json!({"location": "westeurope"})).await;
    assert_eq!(retried.status, 201);
    assert!(env.handle.emulator().faults().is_empty(), "used-up rules are dropped");
}

#[tokio::test]
async fn server_errors_and_clearing() {
    let env = start().await;
    let rules = json!([{"pathContains": "/replications", "status": 503}]);
    assert_eq!(env.admin(Method::POST, "/faults", Some(&rules)).await.status, 200);
    for _ in 0..2 {
        let r = env.get(&replications_path()).await;
        assert_eq!(r.status, 503);
        assert_eq!(r.code(), "InternalServerError");
    }
    assert_eq!(env.admin(Method::DELETE, "/faults", None).await.status, 204);
    assert_eq!(env.get(&replications_path()).await.status, 200);

    let invalid = env.admin(Method::POST, "/faults", Some(&json!({"status": 200}))).await;
    assert_eq!(invalid.status, 400);
    let unknown_field = env.admin(Method::POST, "/faults", Some(&json!({"staus": 500}))).await;
    assert_eq!(unknown_field.status, 400);
}

#[tokio::test]
async fn delays_slow_requests_down() {
    let env = start().await;
    env.handle.emulator().set_faults(vec![FaultRule::delay(Duration::from_millis(300)).method("GET").times(1)]);
    let t = Instant::now();
    assert_eq!(env.get(&replications_path()).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    let t = Instant::now();
    env.get(&replications_path()).await;
    assert!(t.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn replica_failure_in_a_region() {
    let env = start().await;
    let rule = json!({"failReplicaIn": "westeurope", "code": "RegionCapacityExceeded", "message": "No capacity in West Europe."});
    env.admin(Method::POST, "/faults", Some(&rule)).await;

    let put = env.put(&replication_path("westeurope"), &json!({"location": "westeurope"})).await;
    assert_eq!(put.status, 201, "the failure shows only in the operation");
    let (done, _) = env.poll_async(put.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(done["status"], "Failed");
    assert_eq!(done["error"], json!({"code": "RegionCapacityExceeded", "message": "No capacity in West Europe."}));
    let get = env.get(&replication_path("westeurope")).await;
    assert_eq!(get.body["properties"]["provisioningState"], "Failed");
    assert_eq!(get.body["properties"]["status"]["message"], "No capacity in West Europe.");

    // Delete and re-create: the rule fired once, so this one succeeds.
    let del = env.delete(&replication_path("westeurope")).await;
    env.poll_location(del.header("location").unwrap()).await;
    let put = env.put(&replication_path("westeurope"), &json!({"location": "westeurope"})).await;
    let (done, _) = env.poll_async(put.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(done["status"], "Succeeded");
}

#[tokio::test]
async fn request_counts() {
    let env = start().await;
    env.admin(Method::POST, "/requests/reset", None).await;
    env.get(&replications_path()).await;
    env.get(&registry_path()).await;
    env.put(&replication_path("westus2"), &json!({"location": "westus2"})).await;
    env.admin(Method::GET, "/faults", None).await; // admin calls are not counted
    let stats = env.admin(Method::GET, "/requests", None).await;
    assert_eq!(stats.body["total"], 3);
    assert_eq!(stats.body["byMethod"], json!({"GET": 2, "PUT": 1}));
    assert_eq!(stats.body["recent"][2]["status"], 201);
    let emu = env.handle.emulator();
    assert_eq!(emu.request_count(), 3);
    assert_eq!(emu.request_stats().count_matching("GET", "/replications"), 1);
    emu.reset_requests();
    assert_eq!(emu.request_count(), 0);
}

#[tokio::test]
async fn timings_change_at_run_time() {
    let env = start().await;
    let cfg = env.admin(Method::POST, "/config", Some(&json!({"provisioningDelayMs": 0, "pageSize": 5}))).await;
    assert_eq!(cfg.status, 200);
    assert_eq!(cfg.body["provisioningDelayMs"], 0);
    assert_eq!(cfg.body["pageSize"], 5);
    let put = env.put(&replication_path("westus2"), &json!({"location": "westus2"})).await;
    assert_eq!(put.status, 201);
    let (done, running) = env.poll_async(put.header("azure-asyncoperation").unwrap()).await;
    assert_eq!((done["status"].as_str(), running), (Some("Succeeded"), 0));

    env.handle.emulator().set_provisioning_delay(Duration::from_secs(30));
    let put = env.put(&replication_path("westus3"), &json!({"location": "westus3"})).await;
    let r = env.get(put.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(r.body["status"], "Creating");
}

#[tokio::test]
async fn reset_and_state() {
    let env = start().await;
    env.put(&replication_path("westus2"), &json!({"location": "westus2"})).await;
    let state = env.admin(Method::GET, "/state", None).await;
    assert_eq!(state.body["registries"][0]["replications"].as_array().unwrap().len(), 2);
    assert_eq!(env.admin(Method::POST, "/reset", None).await.status, 204);
    assert_eq!(env.replica_names().await, vec!["eastus"]);
}
