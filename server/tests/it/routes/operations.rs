//! Writes return at once with an operation to follow; failures are visible there and on SSE.

use replimap_arm_emulator::FaultRule;
use replimap_types::{Operation, OperationState, StatusEvent};
use serde_json::json;

use crate::support::{TestPortal, REG};

async fn wait_op(t: &TestPortal, location: &str) -> Operation {
    for _ in 0..150 {
        let op: Operation = t.get(location).await.json().await.unwrap();
        if op.state != OperationState::Running {
            return op;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("operation never ended");
}

#[tokio::test]
async fn a_create_is_an_operation_that_succeeds() {
    let t = TestPortal::start().await;
    let resp = t.put(&format!("/api/v1/registries/{REG}/replications"), json!({"location": "japaneast"})).await;
    assert_eq!(resp.status(), 202);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/api/v1/operations/"));
    let op = wait_op(&t, &location).await;
    assert_eq!(op.state, OperationState::Succeeded);
    assert!(op.ended_at.is_some());
    let all: Vec<Operation> = t.get("/api/v1/operations").await.json().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(t.get("/api/v1/operations/nope").await.status(), 404);
}

#[tokio::test]
async fn a_failed_replica_shows_its_arm_error_and_no_duplicate_create() {
    let t = TestPortal::start().await;
    t.emulator().add_fault(
        FaultRule::fail_replica_in("westeurope")
            .with_error("ReplicationQuotaExceeded", "No capacity left in West Europe."),
    );
    let mut sse = t.sse(None).await;
    sse.next().await;
    let resp = t.put(&format!("/api/v1/registries/{REG}/replications"), json!({"location": "westeurope"})).await;
    assert_eq!(resp.status(), 202);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let op = wait_op(&t, &location).await;
    assert_eq!(op.state, OperationState::Failed);
    assert!(op.error.as_deref().unwrap().contains("No capacity left"), "{op:?}");
    // Both reach the stream, in either order: the error in words, and the replica's true
    // (Failed) state, so the map returns to the truth.
    let (mut error_seen, mut failed_seen) = (false, false);
    while !(error_seen && failed_seen) {
        match sse.next().await.1 {
            StatusEvent::OperationFailed { message, .. } => {
                assert!(message.contains("ReplicationQuotaExceeded"), "{message}");
                error_seen = true;
            }
            StatusEvent::ReplicationUpserted { replication, .. }
                if replication.provisioning_state.as_str() == "Failed" =>
            {
                failed_seen = true
            }
            _ => {}
        }
    }
    assert_eq!(t.emulator().request_stats().count_matching("PUT", "/replications/westeurope"), 1);
}

#[tokio::test]
async fn throttling_and_server_errors_recover_with_one_create() {
    let t = TestPortal::start().await;
    t.emulator().add_fault(FaultRule::throttle(1).method("PUT").path_contains("/replications/").times(1));
    t.emulator().add_fault(FaultRule::status(503).method("GET").path_contains("/operationStatuses/").times(2));
    let resp = t.put(&format!("/api/v1/registries/{REG}/replications"), json!({"location": "brazilsouth"})).await;
    assert_eq!(resp.status(), 202);
    let op = wait_op(&t, resp.headers()["location"].to_str().unwrap()).await;
    assert_eq!(op.state, OperationState::Succeeded);
    let stats = t.emulator().request_stats();
    assert_eq!(stats.count_matching("PUT", "/replications/brazilsouth"), 2, "one throttled attempt, one real create");
    let list = t
        .wait_for_list(|l| l.iter().any(|r| r["name"] == "brazilsouth" && r["provisioningState"] == "Succeeded"))
        .await;
    assert_eq!(list.iter().filter(|r| r["location"] == "brazilsouth").count(), 1);
}

#[tokio::test]
async fn slow_arm_still_answers_and_settles() {
    let t = TestPortal::start().await;
    t.emulator().add_fault(FaultRule::delay(std::time::Duration::from_millis(800)).method("PUT").times(1));
    let started = std::time::Instant::now();
    let resp = t.put(&format!("/api/v1/registries/{REG}/replications"), json!({"location": "uksouth"})).await;
    assert_eq!(resp.status(), 202);
    assert!(started.elapsed() >= std::time::Duration::from_millis(800));
    let op = wait_op(&t, resp.headers()["location"].to_str().unwrap()).await;
    assert_eq!(op.state, OperationState::Succeeded);
}
