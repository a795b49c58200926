//! The status stream: snapshot first, deltas after, out-of-band changes, resume, one poller.

use std::time::Duration;

use replimap_types::StatusEvent;
use serde_json::json;

use crate::support::{is_upsert, TestPortal, REG, SUB};

fn arm_replication_url(t: &TestPortal, name: &str) -> String {
    format!(
        "{}/subscriptions/{SUB}/resourceGroups/myresourcegroup/providers/Microsoft.ContainerRegistry/registries/myACR0007/replications/{name}?api-version=2025-04-01",
        t.emulator_url()
    )
}

#[tokio::test]
async fn snapshot_first_then_deltas() {
    let t = TestPortal::start().await;
    let mut sse = t.sse(None).await;
    let (_, first) = sse.next().await;
    let StatusEvent::Snapshot { registries } = first else { panic!("first event must be a snapshot, got {first:?}") };
    assert_eq!(registries.len(), 1);
    assert_eq!(registries[0].replications.len(), 1);
    assert!(registries[0].replications[0].is_home);

    t.put(&format!("/api/v1/registries/{REG}/replications"), json!({"location": "japaneast"})).await;
    let (a, _) = sse.until(|e| is_upsert(e, "japaneast", "Creating")).await;
    let (b, ev) = sse.until(|e| is_upsert(e, "japaneast", "Succeeded")).await;
    assert!(b > a, "event ids increase");
    let StatusEvent::ReplicationUpserted { replication, .. } = ev else { unreachable!() };
    assert_eq!(replication.status.display_status.as_deref(), Some("Ready"));
}

/// Another client (the Azure Portal, az, Terraform) changes the registry: both browsers see it.
#[tokio::test]
async fn out_of_band_changes_reach_every_client() {
    let t = TestPortal::start().await;
    let mut one = t.sse(None).await;
    let mut two = t.sse(None).await;
    one.next().await;
    two.next().await;
    let resp = t
        .http
        .put(arm_replication_url(&t, "westeurope"))
        .bearer_auth(t.arm_token().await)
        .json(&json!({"location": "westeurope", "properties": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    for sse in [&mut one, &mut two] {
        sse.until(|e| is_upsert(e, "westeurope", "Succeeded")).await;
    }
    let resp =
        t.http.delete(arm_replication_url(&t, "westeurope")).bearer_auth(t.arm_token().await).send().await.unwrap();
    assert_eq!(resp.status(), 202);
    for sse in [&mut one, &mut two] {
        sse.until(|e| matches!(e, StatusEvent::ReplicationRemoved { name, .. } if name.as_str() == "westeurope")).await;
    }
}

#[tokio::test]
async fn last_event_id_resumes_without_gaps() {
    let t = TestPortal::start().await;
    let mut sse = t.sse(None).await;
    let (snap_id, _) = sse.next().await;
    t.put(&format!("/api/v1/registries/{REG}/replications"), json!({"location": "japaneast"})).await;
    let (creating_id, _) = sse.until(|e| is_upsert(e, "japaneast", "Creating")).await;
    drop(sse);
    // While disconnected the replica finishes.
    t.wait_for_list(|l| l.iter().any(|r| r["name"] == "japaneast" && r["provisioningState"] == "Succeeded")).await;

    let mut resumed = t.sse(Some(creating_id)).await;
    let (id, ev) = resumed.next().await;
    assert_eq!(id, creating_id + 1, "the first replayed event follows the last one seen");
    assert!(!matches!(ev, StatusEvent::Snapshot { .. }));
    if !is_upsert(&ev, "japaneast", "Succeeded") {
        resumed.until(|e| is_upsert(e, "japaneast", "Succeeded")).await;
    }

    // An id from the future, or from a previous run of the server, gets a fresh snapshot instead.
    let mut fresh = t.sse(Some(snap_id + 10_000)).await;
    assert!(matches!(fresh.next().await.1, StatusEvent::Snapshot { .. }));
    let mut before_restart = t.sse(Some(3)).await;
    assert!(matches!(before_restart.next().await.1, StatusEvent::Snapshot { .. }));
}

/// However many browsers watch, ARM sees the same polling.
#[tokio::test]
async fn one_poller_serves_many_clients() {
    let t = TestPortal::start().await;
    let window = Duration::from_millis(1500);
    t.emulator().reset_requests();
    tokio::time::sleep(window).await;
    let idle = t.emulator().request_count();

    let mut clients = Vec::new();
    for _ in 0..50 {
        let mut c = t.sse(None).await;
        c.next().await;
        clients.push(c);
    }
    t.emulator().reset_requests();
    tokio::time::sleep(window).await;
    let busy = t.emulator().request_count();
    assert!(idle > 0, "the poller polls");
    assert!(busy <= idle + 2, "50 clients must not multiply ARM calls: {idle} without, {busy} with");
}

/// Graceful shutdown ends open status streams instead of waiting on them forever.
#[tokio::test]
async fn shutdown_closes_streams_cleanly() {
    let mut t = TestPortal::start().await;
    let mut sse = t.sse(None).await;
    sse.next().await;
    let done = t.shutdown();
    tokio::time::timeout(Duration::from_secs(5), done).await.expect("server stopped within 5 s");
    assert!(sse.ended().await, "the stream ends instead of hanging");
}
