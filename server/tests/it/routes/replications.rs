use serde_json::{json, Value};

use crate::support::{TestPortal, REG};

fn row<'a>(list: &'a [Value], name: &str) -> Option<&'a Value> {
    list.iter().find(|r| r["name"] == name)
}

fn ready(list: &[Value], name: &str) -> bool {
    row(list, name).is_some_and(|r| r["provisioningState"] == "Succeeded" && r["status"]["displayStatus"] == "Ready")
}

/// The docs example: replicate myACR0007 to japaneast, then both replicas are Succeeded/Ready.
#[tokio::test]
async fn docs_journey_create_list_delete() {
    let t = TestPortal::start().await;
    let resp = t.put(&format!("/api/v1/registries/{REG}/replications"), json!({"location": "japaneast"})).await;
    assert_eq!(resp.status(), 202);
    let created: Value = resp.json().await.unwrap();
    assert_eq!(created["name"], "japaneast");
    assert_eq!(created["provisioningState"], "Creating");

    let list = t.wait_for_list(|l| ready(l, "japaneast")).await;
    assert_eq!(list.len(), 2);
    assert!(ready(&list, "eastus"));
    assert_eq!(row(&list, "eastus").unwrap()["isHome"], true);
    assert_eq!(row(&list, "japaneast").unwrap()["regionEndpointEnabled"], true);

    let one: Value = t.get(&format!("/api/v1/registries/{REG}/replications/japaneast")).await.json().await.unwrap();
    assert_eq!(one["location"], "japaneast");

    let resp = t.delete(&format!("/api/v1/registries/{REG}/replications/japaneast")).await;
    assert_eq!(resp.status(), 202);
    let list = t.wait_for_list(|l| row(l, "japaneast").is_none()).await;
    assert_eq!(list.len(), 1);
}

#[tokio::test]
async fn create_accepts_display_names_options_and_an_explicit_name() {
    let t = TestPortal::start().await;
    let body = json!({"location": "West Europe", "regionEndpointEnabled": false, "zoneRedundancy": "Enabled", "tags": {"team": "platform"}});
    let resp = t.put(&format!("/api/v1/registries/{REG}/replications/weureplica"), body).await;
    assert_eq!(resp.status(), 202);
    let list = t.wait_for_list(|l| ready(l, "weureplica")).await;
    let r = row(&list, "weureplica").unwrap();
    assert_eq!(r["location"], "westeurope");
    assert_eq!(r["regionEndpointEnabled"], false);
    assert_eq!(r["zoneRedundancy"], "Enabled");
    assert_eq!(r["tags"]["team"], "platform");
}

#[tokio::test]
async fn update_changes_routing_and_tags() {
    let t = TestPortal::start().await;
    t.put(&format!("/api/v1/registries/{REG}/replications"), json!({"location": "japaneast"})).await;
    t.wait_for_list(|l| ready(l, "japaneast")).await;
    let resp = t
        .http
        .patch(t.url(&format!("/api/v1/registries/{REG}/replications/japaneast")))
        .header(replimap_server::CSRF_HEADER, "1")
        .json(&json!({"regionEndpointEnabled": false, "tags": {"env": "prod"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let list = t
        .wait_for_list(|l| {
            row(l, "japaneast")
                .is_some_and(|r| r["regionEndpointEnabled"] == false && r["provisioningState"] == "Succeeded")
        })
        .await;
    assert_eq!(row(&list, "japaneast").unwrap()["tags"]["env"], "prod");
}

/// Polls only at start-up, so every later ARM request is the test's own.
async fn quiet_portal() -> TestPortal {
    let hour = std::time::Duration::from_secs(3600);
    TestPortal::with_seed_and(replimap_arm_emulator::Seed::docs_example(), |c| {
        c.poll = replimap_server::hub::PollIntervals { fast: hour, slow: hour };
        // Workload discovery reads ARM on its own timer; these tests count ARM requests.
        c.coverage.enabled = false;
    })
    .await
}

fn arm_requests(t: &TestPortal) -> u64 {
    t.emulator().request_stats().total
}

fn arm_lists(t: &TestPortal) -> usize {
    t.emulator()
        .request_stats()
        .recent
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("/replications?"))
        .count()
}

/// The age headers: `Age` in seconds, `x-replimap-state-age-ms` in milliseconds.
fn age(resp: &reqwest::Response) -> (u64, u64) {
    let secs = resp.headers()["age"].to_str().unwrap().parse().unwrap();
    let ms = resp.headers()["x-replimap-state-age-ms"].to_str().unwrap().parse().unwrap();
    assert_eq!(secs, ms / 1000, "Age and the milliseconds agree");
    (secs, ms)
}

#[tokio::test]
async fn the_list_is_served_from_the_hub_with_its_age_and_no_arm_request() {
    let t = quiet_portal().await;
    let path = format!("/api/v1/registries/{REG}/replications");
    let before = arm_requests(&t);
    let resp = t.get(&path).await;
    assert_eq!(resp.status(), 200);
    let (_, first_ms) = age(&resp);
    let list: Vec<Value> = resp.json().await.unwrap();
    assert_eq!(list.len(), 1);
    assert!(ready(&list, "eastus") && row(&list, "eastus").unwrap()["isHome"] == true);
    assert!(row(&list, "eastus").unwrap()["phaseSince"].is_string(), "the hub's time in state comes along");

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let resp = t.get(&path).await;
    assert_eq!(resp.status(), 200);
    let (secs, ms) = age(&resp);
    assert!(secs >= 1 && ms >= first_ms + 1000, "the state ages: {first_ms} ms, then {ms} ms");
    // Upper-case names match, as ARM matches them.
    assert_eq!(t.get(&path.replace("myACR0007", "MYACR0007")).await.status(), 200);
    assert_eq!(arm_requests(&t), before, "plain reads never reach ARM");

    // The portal's own counter agrees.
    let metrics = t.get("/metrics").await.text().await.unwrap();
    let arm_line = metrics.lines().find(|l| l.starts_with("replimap_arm_requests_total ")).unwrap();
    assert_eq!(arm_line.split(' ').nth(1).unwrap().parse::<u64>().unwrap(), before);
}

#[tokio::test]
async fn refresh_reads_arm_and_feeds_the_hub() {
    let t = quiet_portal().await;
    let path = format!("/api/v1/registries/{REG}/replications");
    // A replica made behind the portal's back: the hub has not polled since.
    assert!(t.emulator().put_replica("myACR0007", replimap_arm_emulator::SeedReplica::user("westus", "westus")));
    let stale: Vec<Value> = t.get(&path).await.json().await.unwrap();
    assert!(row(&stale, "westus").is_none(), "the hub does not know it yet");

    let (requests, lists) = (arm_requests(&t), arm_lists(&t));
    let resp = t.get(&format!("{path}?refresh=true")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(age(&resp).0, 0);
    let fresh: Vec<Value> = resp.json().await.unwrap();
    assert!(row(&fresh, "westus").is_some(), "{fresh:?}");
    assert_eq!(arm_lists(&t), lists + 1, "one list request to ARM");
    assert!(arm_requests(&t) > requests);
    let requests = arm_requests(&t);

    // The hub has the new list now: plain reads show it, still without ARM.
    let resp = t.get(&path).await;
    assert!(age(&resp).1 < 5_000);
    let cached: Vec<Value> = resp.json().await.unwrap();
    assert_eq!(cached.len(), 2);
    assert!(row(&cached, "westus").is_some());
    assert_eq!(arm_requests(&t), requests);
    assert_eq!(t.get(&format!("{path}?refresh=false")).await.status(), 200);
    assert_eq!(arm_requests(&t), requests, "refresh=false is a plain read");
}

#[tokio::test]
async fn refresh_values_and_unknown_registries_are_refused() {
    let t = quiet_portal().await;
    let path = format!("/api/v1/registries/{REG}/replications");
    let before = arm_requests(&t);
    for bad in ["yes", "1", "TRUE", ""] {
        let resp = t.get(&format!("{path}?refresh={bad}")).await;
        assert_eq!(resp.status(), 400, "refresh={bad}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], "bad_request");
        assert!(body["message"].as_str().unwrap().contains("'refresh' must be 'true' or 'false'"), "{body}");
        assert!(body["requestId"].as_str().is_some_and(|id| !id.is_empty()));
    }
    let missing = format!("/api/v1/registries/{}/myresourcegroup/nosuchreg1/replications", crate::support::SUB);
    for q in ["", "?refresh=true"] {
        let resp = t.get(&format!("{missing}{q}")).await;
        assert_eq!(resp.status(), 404);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], "registry_not_found");
    }
    assert_eq!(arm_requests(&t), before, "refused before any ARM call");
}

#[tokio::test]
async fn a_refresh_arm_does_not_answer_in_time_is_a_504() {
    let t = quiet_portal().await;
    let path = format!("/api/v1/registries/{REG}/replications");
    t.emulator().add_fault(
        replimap_arm_emulator::FaultRule::delay(std::time::Duration::from_secs(15))
            .method("GET")
            .path_contains("/replications")
            .times(1),
    );
    let started = std::time::Instant::now();
    let resp = t.get(&format!("{path}?refresh=true")).await;
    assert_eq!(resp.status(), 504);
    assert!(started.elapsed() < std::time::Duration::from_secs(14), "the wait is bounded");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "upstream_timeout");
    assert!(body["message"].as_str().unwrap().contains("did not list the replicas"), "{body}");
    // The hub's answer is still there.
    assert_eq!(t.get(&path).await.status(), 200);
}
