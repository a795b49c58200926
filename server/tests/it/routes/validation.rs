//! Every bad input gets a precise 4xx body, and no ARM write is made.

use replimap_arm_emulator::{Seed, SeedRegistry};
use serde_json::{json, Value};

use crate::support::{TestPortal, REG, SUB};

async fn expect_error(resp: reqwest::Response, status: u16, code: &str, needle: &str) {
    assert_eq!(resp.status(), status);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    let msg = body["message"].as_str().unwrap();
    assert!(msg.contains(needle), "message {msg:?} should mention {needle:?}");
    assert!(body["requestId"].as_str().is_some_and(|id| !id.is_empty()));
}

#[tokio::test]
async fn bad_creates_are_refused_before_arm() {
    let seed =
        Seed::docs_example().with_registry(SeedRegistry::standard(SUB, "myresourcegroup", "basicreg01", "westeurope"));
    let t = TestPortal::with_seed(seed).await;
    let reps = format!("/api/v1/registries/{REG}/replications");
    // Warm-up: japaneast exists, so the duplicate case has something to hit.
    t.put(&reps, json!({"location": "japaneast"})).await;
    let writes = t.arm_writes();

    expect_error(t.put(&reps, json!({"location": "atlantis"})).await, 400, "unknown_region", "atlantis").await;
    expect_error(t.put(&reps, json!({"location": "eastus2euap"})).await, 400, "region_not_available", "canary").await;
    expect_error(t.put(&reps, json!({"location": "East US"})).await, 400, "home_region", "home region").await;
    expect_error(t.put(&reps, json!({"location": "japaneast"})).await, 409, "already_replicated", "japaneast").await;
    expect_error(
        t.put(&format!("{reps}/japaneast"), json!({"location": "westus"})).await,
        409,
        "already_replicated",
        "cannot be changed",
    )
    .await;
    expect_error(
        t.put(&format!("{reps}/bad-name"), json!({"location": "westus"})).await,
        400,
        "invalid_name",
        "letters and digits",
    )
    .await;
    expect_error(
        t.put(&reps, json!({"location": "westus", "zoneRedundancy": "Enabled"})).await,
        400,
        "bad_request",
        "availability zones",
    )
    .await;
    expect_error(t.put(&reps, json!({"location": "westus2", "tags": {"a/b": "x"}})).await, 400, "bad_request", "'/'")
        .await;
    expect_error(
        t.put(&reps, json!({"location": "westus2", "tags": {"k": "v".repeat(257)}})).await,
        400,
        "bad_request",
        "256",
    )
    .await;
    expect_error(t.put(&reps, json!({"where": "westus2"})).await, 400, "bad_request", "Invalid request body").await;
    let not_json = t
        .http
        .put(t.url(&reps))
        .header(replimap_server::CSRF_HEADER, "1")
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    expect_error(not_json, 400, "bad_request", "Invalid request body").await;

    let missing = format!("/api/v1/registries/{SUB}/myresourcegroup/nosuchreg1/replications");
    expect_error(t.put(&missing, json!({"location": "westus2"})).await, 404, "registry_not_found", "nosuchreg1").await;
    let basic = format!("/api/v1/registries/{SUB}/myresourcegroup/basicreg01/replications");
    expect_error(t.put(&basic, json!({"location": "westus2"})).await, 409, "not_replicable", "Premium").await;
    expect_error(
        t.put("/api/v1/registries/not-a-guid/rg/myACR0007/replications", json!({"location": "westus2"})).await,
        400,
        "invalid_name",
        "subscription id",
    )
    .await;

    assert_eq!(t.arm_writes(), writes, "no ARM write may follow a rejected request");
}

#[tokio::test]
async fn bad_deletes_are_refused_before_arm() {
    let t = TestPortal::start().await;
    let writes = t.arm_writes();
    let reps = format!("/api/v1/registries/{REG}/replications");
    expect_error(t.delete(&format!("{reps}/eastus")).await, 409, "home_replica", "home replica").await;
    expect_error(t.delete(&format!("{reps}/japaneast")).await, 404, "not_found", "japaneast").await;
    assert_eq!(t.arm_writes(), writes);
}

#[tokio::test]
async fn state_changing_requests_need_the_csrf_header_and_same_origin() {
    let t = TestPortal::start().await;
    let url = t.url(&format!("/api/v1/registries/{REG}/replications"));
    let no_header = t.http.put(&url).json(&json!({"location": "westus2"})).send().await.unwrap();
    expect_error(no_header, 403, "csrf_rejected", "x-replimap-csrf").await;
    let foreign = t
        .http
        .put(&url)
        .header(replimap_server::CSRF_HEADER, "1")
        .header("origin", "https://evil.example")
        .json(&json!({"location": "westus2"}))
        .send()
        .await
        .unwrap();
    expect_error(foreign, 403, "csrf_rejected", "evil.example").await;
    for origin in ["null", "https://127.0.0.1:1"] {
        let resp = t
            .http
            .put(&url)
            .header(replimap_server::CSRF_HEADER, "1")
            .header("origin", origin)
            .json(&json!({"location": "westus2"}))
            .send()
            .await
            .unwrap();
        expect_error(resp, 403, "csrf_rejected", origin).await;
    }
    assert_eq!(t.arm_writes(), 0);
}

/// A DNS-rebinding page reaches the portal under its own host name: refused, reads included.
#[tokio::test]
async fn unknown_host_names_are_refused() {
    let t = TestPortal::start().await;
    let port = t.portal.addr.port();
    for path in ["/api/v1/events", "/api/v1/registries", "/"] {
        let resp = t.http.get(t.url(path)).header("host", format!("evil.example:{port}")).send().await.unwrap();
        assert_eq!(resp.status(), 403, "{path}");
    }
    let same_name = t
        .http
        .put(t.url(&format!("/api/v1/registries/{REG}/replications")))
        .header("host", format!("evil.example:{port}"))
        .header("origin", format!("http://evil.example:{port}"))
        .header(replimap_server::CSRF_HEADER, "1")
        .json(&json!({"location": "westus2"}))
        .send()
        .await
        .unwrap();
    expect_error(same_name, 403, "csrf_rejected", "evil.example").await;
    assert_eq!(t.get("/healthz").await.status(), 200, "loopback names stay allowed");
    assert_eq!(t.arm_writes(), 0);
}

#[tokio::test]
async fn zone_redundancy_is_parsed_strictly_and_empty_patches_refused() {
    let t = TestPortal::start().await;
    let reps = format!("/api/v1/registries/{REG}/replications");
    expect_error(
        t.put(&reps, json!({"location": "westus2", "zoneRedundancy": "yes"})).await,
        400,
        "bad_request",
        "zoneRedundancy",
    )
    .await;
    let url = t.url(&format!("{reps}/eastus"));
    let resp = t.http.patch(&url).header(replimap_server::CSRF_HEADER, "1").json(&json!({})).send().await.unwrap();
    expect_error(resp, 400, "bad_request", "Nothing to change").await;
    let resp = t
        .http
        .patch(t.url(&format!("{reps}/nosuchrep1")))
        .header(replimap_server::CSRF_HEADER, "1")
        .json(&json!({"tags": {}}))
        .send()
        .await
        .unwrap();
    expect_error(resp, 404, "not_found", "nosuchrep1").await;
    assert_eq!(t.arm_writes(), 0);
    let resp = t.put(&reps, json!({"location": "westus2", "zoneRedundancy": "enabled"})).await;
    assert_eq!(resp.status(), 202, "case-insensitive, as ARM");
}

#[tokio::test]
async fn immutable_fields_cannot_be_patched() {
    let t = TestPortal::start().await;
    let url = t.url(&format!("/api/v1/registries/{REG}/replications/eastus"));
    for body in [json!({"location": "westus"}), json!({"zoneRedundancy": "Enabled"})] {
        let resp = t.http.patch(&url).header(replimap_server::CSRF_HEADER, "1").json(&body).send().await.unwrap();
        expect_error(resp, 400, "bad_request", "cannot be changed").await;
    }
    let resp = t
        .http
        .patch(&url)
        .header(replimap_server::CSRF_HEADER, "1")
        .json(&json!({"tags": {"a<b": "x"}}))
        .send()
        .await
        .unwrap();
    expect_error(resp, 400, "bad_request", "'<'").await;
    assert_eq!(t.arm_writes(), 0);
}
