//! ARM token-bucket throttling and the recreate-right-after-delete fault.

use std::time::Duration;

use replimap_arm_emulator::{EmulatorConfig, FaultRule, Rate, Seed, Throttling};
use reqwest::Method;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn token_bucket_per_subscription_and_kind() {
    let limits = Throttling { reads: Rate { bucket: 2, refill_per_sec: 5.0 }, ..Throttling::arm() };
    let env = start_with(EmulatorConfig { throttling: Some(limits), ..test_config(Seed::docs_example()) }).await;
    let first = env.get(&replications_path()).await;
    assert_eq!(first.header("x-ms-ratelimit-remaining-subscription-reads"), Some("1"));
    assert_eq!(env.get(&replications_path()).await.status, 200);
    let throttled = env.get(&replications_path()).await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.code(), "SubscriptionRequestsThrottled");
    assert_eq!(throttled.header("retry-after"), Some("1"));
    assert!(throttled.message().contains("'read' requests for subscription"));
    // Writes draw from their own bucket.
    let put = env.put(&replication_path("japaneast"), &json!({"location": "japaneast"})).await;
    assert_eq!(put.status, 201);
    assert_eq!(put.header("x-ms-ratelimit-remaining-subscription-writes"), Some("199"));
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(env.get(&replications_path()).await.status, 200);

    // The admin API turns it off (and reports the limits in force).
    let cfg = env.admin(Method::POST, "/config", Some(&json!({"throttling": false}))).await;
    assert_eq!(cfg.body["throttling"], false);
    for _ in 0..5 {
        assert_eq!(env.get(&replications_path()).await.status, 200);
    }
    let on = env.admin(Method::POST, "/config", Some(&json!({"throttling": true}))).await;
    assert_eq!(on.body["throttling"]["reads"]["bucket"], 250);
    assert_eq!(on.body["throttling"]["deletes"]["refillPerSec"], 10.0);
}

#[tokio::test]
async fn recreate_right_after_delete_conflicts() {
    let env = start().await;
    env.handle.emulator().add_fault(FaultRule::recreate_conflict(Duration::from_secs(30)).times(1));
    let path = replication_path("japaneast");
    let body = json!({"location": "japaneast"});
    let put = env.put(&path, &body).await;
    env.poll_async(put.header("azure-asyncoperation").unwrap()).await;
    let del = env.delete(&path).await;
    env.poll_location(del.header("location").unwrap()).await;

    let again = env.put(&path, &body).await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(again.code(), "Conflict");
    // No Retry-After: azure-core would silently retry.
    assert_eq!(again.header("retry-after"), None);
    // Same location under another name is refused too.
    let renamed = env.put(&replication_path("japaneast2"), &body).await;
    assert_eq!(renamed.status, 409);

    // The rule was used up: the next delete leaves no tombstone.
    let other = replication_path("westeurope");
    let put = env.put(&other, &json!({"location": "westeurope"})).await;
    env.poll_async(put.header("azure-asyncoperation").unwrap()).await;
    let del = env.delete(&other).await;
    env.poll_location(del.header("location").unwrap()).await;
    assert_eq!(env.put(&other, &json!({"location": "westeurope"})).await.status, 201);
}
