use crate::support::TestPortal;

#[tokio::test]
async fn healthz_reports_the_emulator() {
    let t = TestPortal::start().await;
    let resp = t.get("/healthz").await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["arm"], "emulator");
}

#[tokio::test]
async fn readyz_checks_arm_and_fails_when_it_is_down() {
    let t = TestPortal::start().await;
    t.emulator().add_fault(replimap_arm_emulator::FaultRule::status(503).path_contains("/subscriptions"));
    let resp = t.get("/readyz").await;
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "unavailable");
    t.emulator().clear_faults();
    assert_eq!(t.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn metrics_expose_replicas_by_phase_and_arm_calls() {
    let t = TestPortal::start().await;
    // Let the poller run once.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let text = t.get("/metrics").await.text().await.unwrap();
    let reg = "00000000-0000-0000-0000-000000000000/myresourcegroup/myACR0007";
    assert!(text.contains(&format!("replimap_replicas{{registry=\"{reg}\",phase=\"ready\"}} 1")), "{text}");
    assert!(text.contains(&format!("replimap_poll_failing{{registry=\"{reg}\"}} 0")));
    let arm_line = text.lines().find(|l| l.starts_with("replimap_arm_requests_total ")).unwrap();
    assert!(arm_line.split(' ').nth(1).unwrap().parse::<u64>().unwrap() > 0);
    assert!(text.contains("replimap_sse_clients 0"));
}

#[tokio::test]
async fn serves_its_openapi_document() {
    let t = TestPortal::start().await;
    let doc: serde_json::Value = t.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/registries/{subscriptionId}/{resourceGroup}/{registry}/replications/{name}"]
        ["delete"]
        .is_object());
}
