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
