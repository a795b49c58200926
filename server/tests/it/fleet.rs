//! `/fleet` and `/fill`: server pages rendered from the real portal and the embedded emulator
//! (the docs example's workloads: myACR0007 at home in eastus, gaps in westeurope, japaneast
//! and australiaeast), and `POST /fill`, the form that creates the replicas.

use std::time::Duration;

use replimap_arm_emulator::{Seed, SeedRegistry};
use replimap_server::CSRF_HEADER;
use serde_json::{json, Value};

use crate::support::{TestPortal, REG, SUB};

const GAPS: [&str; 3] = ["australiaeast", "japaneast", "westeurope"];

/// A portal with the docs example plus two registries without workloads, once discovery has
/// read the workloads.
async fn portal() -> TestPortal {
    let seed = Seed::docs_example()
        .with_registry(SeedRegistry::premium(SUB, "platform-prod", "contosoprod", "westeurope"))
        .with_registry(SeedRegistry::standard(SUB, "platform-dev", "contosodev", "eastus"));
    let t = TestPortal::with_seed(seed).await;
    for _ in 0..200 {
        let fleet: Value = t.get("/api/v1/fleet").await.json().await.unwrap();
        let ours = fleet["registries"].as_array().unwrap().iter().find(|r| r["registry"]["key"]["name"] == "myACR0007");
        if ours.is_some_and(|r| r["gaps"].as_array().is_some_and(|g| g.len() == GAPS.len())) {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("discovery never found the demo's gaps");
}

async fn html(t: &TestPortal, path: &str) -> String {
    let resp = t.get(path).await;
    assert_eq!(resp.status(), 200, "{path}");
    resp.text().await.unwrap()
}

/// The registries of the page's rows, in order.
fn rows(html: &str) -> Vec<String> {
    let body = &html[html.find(r#"id="fleet-rows""#).expect("the rows")..];
    let body = &body[..body.find("</tbody>").unwrap()];
    body.split("<tr data-registry=\"").skip(1).map(|s| s[..s.find('"').unwrap()].to_owned()).collect()
}

/// The value of the hidden `name` input of the fill form.
fn hidden(html: &str, name: &str) -> String {
    let at = html.find(&format!(r#"name="{name}" value=""#)).unwrap_or_else(|| panic!("no {name} in {html}"));
    let v = &html[at + name.len() + 15..];
    v[..v.find('"').unwrap()].to_owned()
}

fn puts(t: &TestPortal) -> u64 {
    t.emulator().request_stats().by_method.get("PUT").copied().unwrap_or(0)
}

async fn post_form(
    t: &TestPortal,
    origin: Option<&str>,
    bearer: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = t.http.post(t.url("/fill")).form(form);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    if let Some(b) = bearer {
        req = req.bearer_auth(b);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn the_fleet_lists_every_registry_sorted_and_filtered() {
    let t = portal().await;
    let page = html(&t, "/fleet").await;
    assert_eq!(rows(&page), ["contosodev", "contosoprod", "myACR0007"], "by name by default");
    assert!(page.contains(r#"data-registry="myACR0007" data-key="00000000-0000-0000-0000-000000000000/myresourcegroup/myACR0007" data-gaps="3""#), "{page}");
    assert!(page.contains(r#"<a href="/?registry=myACR0007" class="registry-link">"#), "{page}");
    assert!(page.contains("1 of 4"), "eastus served, three gaps: {page}");
    assert!(page.contains(r#"title="Australia East, Japan East, West Europe""#), "gap regions named: {page}");
    assert!(page.contains("Fill 3 gaps…"));
    assert!(page.contains("Total: 3 registries"));
    assert!(
        page.contains("estimates, not a quote")
            && page.contains("azure.microsoft.com/pricing/details/container-registry")
    );
    assert!(page.contains(r#"data-sort="name" aria-sort="ascending""#));
    assert!(!page.contains(PAGE_DATA_FLEET), "the rows are not in the WASM's page data");

    assert_eq!(rows(&html(&t, "/fleet?sort=name&dir=desc").await), ["myACR0007", "contosoprod", "contosodev"]);
    let by_gaps = html(&t, "/fleet?sort=gaps&dir=desc").await;
    assert_eq!(rows(&by_gaps)[0], "myACR0007");
    assert!(by_gaps.contains(r#"data-sort="gaps" aria-sort="descending""#));
    assert!(by_gaps.contains(r#"href="/fleet?sort=gaps&amp;dir=asc""#), "the head links to the other direction");
    assert_eq!(rows(&html(&t, "/fleet?q=PLATFORM").await), ["contosodev", "contosoprod"], "group substring");
    assert_eq!(rows(&html(&t, "/fleet?show=gaps").await), ["myACR0007"]);
    let none = html(&t, "/fleet?q=nothing-like-this").await;
    assert!(rows(&none).is_empty() && none.contains("No registry matches these filters."));
}

/// What the fleet must not put into `PageData` (the browser deserialises it on every page).
const PAGE_DATA_FLEET: &str = r#""fleet":"#;

#[tokio::test]
async fn the_fill_page_plans_every_gap_and_hides_registries_one_cannot_see() {
    let t = portal().await;
    let page = html(&t, &format!("/fill?registry={REG}")).await;
    for region in GAPS {
        assert!(page.contains(&format!(r#"<tr data-region="{region}">"#)), "{region}: {page}");
        assert!(page.contains(&format!("--location {region}")), "its az command: {page}");
    }
    assert_eq!(page.matches(r#"name="region""#).count(), 3);
    assert!(page.contains("Create 3 replicas") && !page.contains("fill-denied"));
    assert!(page.contains("Now 1 of 4 workload regions served locally (25%)."), "{page}");
    assert!(page.contains("estimates, not a quote"));
    let key = hidden(&page, "idempotency_key");
    let again = html(&t, "/fill?registry=myacr0007&pulls=10000&gb=1&storage=500").await;
    assert_ne!(hidden(&again, "idempotency_key"), key, "a key per rendering");
    assert!(again.contains(r#"name="pulls" min="0" step="any" value="10000""#), "{again}");
    assert!(again.contains("10,000 pulls × 1 GB = 10,000 GB"), "the estimate re-renders the figures");

    for path in ["/fill?registry=nosuchregistry", "/fill"] {
        let resp = t.get(path).await;
        assert_eq!(resp.status(), 404, "{path}");
        assert!(resp.text().await.unwrap().contains("Page not found."));
    }
    let home_only = html(&t, &format!("/fill?registry={SUB}/platform-prod/contosoprod")).await;
    assert!(
        home_only.contains("Nothing to fill") && home_only.contains(r#"id="fill-back" href="/?registry=contosoprod""#)
    );
}

#[tokio::test]
async fn the_fill_form_creates_each_replica_once_and_refuses_foreign_origins_and_viewers() {
    let t = portal().await;
    let origin = t.portal.url();
    let page = html(&t, &format!("/fill?registry={REG}")).await;
    let key = hidden(&page, "idempotency_key");
    let registry = hidden(&page, "registry");
    assert_eq!(registry, REG);
    let mut form = vec![("registry", registry.as_str()), ("idempotency_key", key.as_str())];
    form.extend(GAPS.map(|r| ("region", r)));
    let before = puts(&t);

    // Another site's form, and a request that is not a browser's form: refused, nothing sent.
    let resp = post_form(&t, Some("http://evil.example"), None, &form).await;
    assert_eq!(resp.status(), 403);
    let resp = post_form(&t, None, None, &form).await;
    assert_eq!(resp.status(), 403);
    assert!(resp.text().await.unwrap().contains("Origin"));

    // A viewer sees the plan with the button disabled and why, and the server refuses anyway.
    let created: Value = t
        .http
        .post(t.url("/api/v1/tokens"))
        .header(CSRF_HEADER, "1")
        .json(&json!({ "name": "lead", "role": "viewer" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let viewer = created["secret"].as_str().unwrap();
    let seen = t.http.get(t.url(&format!("/fill?registry={REG}"))).bearer_auth(viewer).send().await.unwrap();
    let seen = seen.text().await.unwrap();
    assert!(seen.contains(r#"id="fill-denied""#) && seen.contains("operator"), "{seen}");
    assert!(seen.contains(r#"id="fill-submit" disabled"#));
    let resp = post_form(&t, Some(&origin), Some(viewer), &form).await;
    assert_eq!(resp.status(), 403);
    assert!(resp.text().await.unwrap().contains("operator role"));
    assert_eq!(puts(&t), before, "no ARM write for the refused forms");

    // The operator's (local admin's) confirmation, sent twice at once (a double click) and
    // again later (the reload of the answer): one create per region, whatever the order.
    let (first, second) =
        tokio::join!(post_form(&t, Some(&origin), None, &form), post_form(&t, Some(&origin), None, &form));
    let (first, second) = (first.text().await.unwrap(), second.text().await.unwrap());
    for region in GAPS {
        let accepted = format!(r#"<li data-region="{region}" data-outcome="accepted">"#);
        assert!(first.contains(&accepted) || second.contains(&accepted), "{first}\n{second}");
        assert!(
            first.contains(&format!(r#"href="/?registry=myACR0007&amp;region={region}""#))
                || second.contains(&accepted)
        );
    }
    for answer in [&first, &second] {
        assert!(answer.contains(r#"id="fill-map-link""#), "{answer}");
        assert!(!answer.contains(r#"data-outcome="failed""#), "{answer}");
    }
    let reload = post_form(&t, Some(&origin), None, &form).await;
    assert_eq!(reload.status(), 200);
    let reload = reload.text().await.unwrap();
    assert!(!reload.contains(r#"data-outcome="failed""#), "{reload}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(puts(&t), before + 3, "three replicas, three ARM PUTs, none twice");

    // Once ARM has made them, every workload region is served.
    for _ in 0..200 {
        let page = html(&t, "/fleet").await;
        if page.contains("4 of 4") {
            let plan = html(&t, &format!("/fill?registry={REG}")).await;
            assert!(plan.contains("Nothing to fill"), "{plan}");
            let list: Vec<Value> = t.get(&format!("/api/v1/registries/{REG}/replications")).await.json().await.unwrap();
            assert_eq!(list.len(), 4, "one replica per region, none twice: {list:?}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the coverage never reached 4 of 4");
}
