//! The coverage API over real HTTP against the embedded emulator's seeded workloads: the
//! report, the plan, the fill (authorised, audited, idempotent, each create its own
//! operation) and bad input.

use std::time::Duration;

use replimap_server::CSRF_HEADER;
use serde_json::{json, Value};

use crate::support::{TestPortal, REG};

fn coverage_path() -> String {
    format!("/api/v1/registries/{REG}/coverage")
}

/// The report once discovery has read the workloads.
async fn discovered(t: &TestPortal) -> Value {
    for _ in 0..200 {
        let resp = t.get(&coverage_path()).await;
        assert_eq!(resp.status(), 200);
        let v: Value = resp.json().await.unwrap();
        if !v["discoveredAt"].is_null() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("discovery never ran");
}

async fn fill(t: &TestPortal, auth: Option<&str>, key: Option<&str>, body: Value) -> reqwest::Response {
    let mut req = t.http.post(t.url(&format!("{}/fill", coverage_path()))).header(CSRF_HEADER, "1").json(&body);
    if let Some(a) = auth {
        req = req.bearer_auth(a);
    }
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    req.send().await.unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_demo_has_gaps_the_plan_fills_and_the_figure_reaches_all() {
    let t = TestPortal::with_seed(replimap_arm_emulator::Seed::demo()).await;
    let report = discovered(&t).await;
    let gaps = strings(&report["gaps"]);
    assert!(!gaps.is_empty(), "the demo seed has gaps: {report:#}");
    assert!(!strings(&report["idle"]).is_empty(), "and an idle replica");
    let figure = &report["figure"];
    assert!(figure["served"].as_u64().unwrap() < figure["regions"].as_u64().unwrap());
    // Every gap region lists the workloads there with their evidence.
    for region in report["regions"].as_array().unwrap().iter().filter(|r| r["status"] == "gap") {
        let workloads = region["workloads"].as_array().unwrap();
        assert!(workloads.iter().any(|w| !w["evidence"].as_array().unwrap().is_empty()), "{region:#}");
        assert!(!region["summary"].as_str().unwrap().is_empty());
    }
    // The cost names its basis and never pretends to be a quote.
    let cost = &report["cost"];
    assert_eq!(cost["basis"]["currency"], "USD");
    assert!(cost["monthly"].as_f64().unwrap() > 0.0);
    assert_eq!(cost["proposed"].as_array().unwrap().len(), gaps.len());

    let plan: Value = t.get(&format!("{}/plan", coverage_path())).await.json().await.unwrap();
    let planned: Vec<String> =
        plan["replicas"].as_array().unwrap().iter().map(|r| r["region"].as_str().unwrap().to_owned()).collect();
    assert_eq!(planned.len() + plan["skipped"].as_array().unwrap().len(), gaps.len());
    for r in plan["replicas"].as_array().unwrap() {
        assert!(r["az"].as_str().unwrap().starts_with("az acr replication create --registry myACR0007 --location "));
        assert!(r["cost"]["monthly"].as_f64().unwrap() > 0.0);
    }

    let writes = t.arm_writes();
    let resp = fill(&t, None, Some("fill-1"), json!({ "regions": planned })).await;
    assert_eq!(resp.status(), 202);
    let result: Value = resp.json().await.unwrap();
    let items = result["items"].as_array().unwrap();
    assert_eq!(items.len(), planned.len());
    assert!(items.iter().all(|i| i["outcome"] == "accepted" && i["operationId"].is_string()), "{result:#}");
    assert_eq!(t.arm_writes(), writes + planned.len() as u64, "one PUT per region");
    // The same fill again answers the same, with no ARM write.
    let again = fill(&t, None, Some("fill-1"), json!({ "regions": planned })).await;
    assert_eq!(again.status(), 202);
    assert_eq!(again.json::<Value>().await.unwrap(), result);
    assert_eq!(t.arm_writes(), writes + planned.len() as u64, "nothing created twice");
    // Each create is its own audit record.
    let records = t.audit("action=create_replication").await;
    for region in &planned {
        assert!(records.iter().any(|r| r["region"] == region.as_str()), "{region} audited");
    }

    // Each becomes Ready; the gaps close and the figure reaches all regions.
    let mut last = Value::Null;
    for _ in 0..200 {
        last = t.get(&coverage_path()).await.json().await.unwrap();
        if last["figure"]["served"] == last["figure"]["regions"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last["figure"]["served"], last["figure"]["regions"], "{last:#}");
    assert_eq!(strings(&last["gaps"]).len(), plan["skipped"].as_array().unwrap().len());
}

#[tokio::test]
async fn a_viewer_cannot_fill_and_every_refused_create_is_recorded() {
    let t = TestPortal::start().await;
    let report = discovered(&t).await;
    let gaps = strings(&report["gaps"]);
    let resp = t
        .http
        .post(t.url("/api/v1/tokens"))
        .header(CSRF_HEADER, "1")
        .json(&json!({ "name": "screen", "role": "viewer" }))
        .send()
        .await
        .unwrap();
    let viewer = resp.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_owned();
    let writes = t.arm_writes();
    let resp = fill(&t, Some(&viewer), None, json!({ "regions": gaps })).await;
    assert_eq!(resp.status(), 403);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["code"], "forbidden");
    assert_eq!(t.arm_writes(), writes, "no ARM write");
    let refused = t.audit("action=create_replication&outcome=refused").await;
    for region in &gaps {
        assert!(refused.iter().any(|r| r["region"] == region.as_str()), "refused create in {region} recorded");
    }
    // The viewer may read the report and the plan.
    let resp = t.http.get(t.url(&coverage_path())).bearer_auth(&viewer).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let resp = t
        .http
        .post(t.url("/api/v1/coverage/refresh"))
        .header(CSRF_HEADER, "1")
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn bad_input_gets_a_specific_400_and_no_write() {
    let t = TestPortal::start().await;
    discovered(&t).await;
    let writes = t.arm_writes();
    for (body, says) in [
        (json!({ "regions": [] }), "at least one"),
        (json!({ "regions": ["not a region"] }), "not a region"),
        (json!({ "regions": ["eastus", "EastUS"] }), "twice"),
        (json!({ "regions": ["eastus"], "extra": 1 }), "extra"),
        (json!({}), "regions"),
    ] {
        let resp = fill(&t, None, None, body.clone()).await;
        assert_eq!(resp.status(), 400, "{body}");
        let err: Value = resp.json().await.unwrap();
        assert_eq!(err["code"], "bad_request");
        assert!(err["message"].as_str().unwrap().contains(says), "{body}: {err}");
    }
    // A region that is not a gap is answered per region, not created.
    let resp = fill(&t, None, None, json!({ "regions": ["eastus"] })).await;
    assert_eq!(resp.status(), 202);
    let v: Value = resp.json().await.unwrap();
    assert_ne!(v["items"][0]["outcome"], "accepted", "{v}");
    assert_eq!(t.arm_writes(), writes);
    for query in ["pullsPerMonth=-1", "gbPerPull=abc", "storageGb=1e99", "bogus=1"] {
        let resp = t.get(&format!("{}?{query}", coverage_path())).await;
        assert_eq!(resp.status(), 400, "{query}");
    }
    // The estimate moves the savings, not the replica's price.
    let low: Value = t.get(&format!("{}?pullsPerMonth=10&gbPerPull=0.1", coverage_path())).await.json().await.unwrap();
    let high: Value =
        t.get(&format!("{}?pullsPerMonth=100000&gbPerPull=1", coverage_path())).await.json().await.unwrap();
    let saved = |v: &Value| v["cost"]["proposed"][0]["transferSavedMonthly"].as_f64().unwrap();
    assert!(saved(&high) > saved(&low));
    assert_eq!(high["cost"]["proposedMonthly"], low["cost"]["proposedMonthly"]);
    let resp = t.get(&format!("/api/v1/registries/{}/nope1234/coverage", crate::support::SUB)).await;
    assert_eq!(resp.status(), 404);
}
