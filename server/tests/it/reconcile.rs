//! Registry reconciliation: registries deleted or changed out of band (in the emulator, as
//! if in the Azure Portal) vanish or change in the portal live, without a restart.

use std::time::{Duration, Instant};

use replimap_arm_emulator::{Seed, SeedRegistry};
use replimap_types::{RegistryState, StatusEvent};
use serde_json::{json, Value};

use crate::support::{is_upsert, SseClient, TestPortal, SUB};

/// The registries of a snapshot event, if it is one.
fn snapshot(ev: &StatusEvent) -> Option<&[RegistryState]> {
    match ev {
        StatusEvent::Snapshot { registries } => Some(registries),
        _ => None,
    }
}

fn find<'a>(regs: &'a [RegistryState], name: &str) -> Option<&'a RegistryState> {
    regs.iter().find(|r| r.registry.key.name.as_str().eq_ignore_ascii_case(name))
}

/// Reads the stream until a snapshot satisfies `pred`; fails on any `registry_error` about
/// `quiet` (a vanished registry must not go through an error state first).
async fn until_snapshot(sse: &mut SseClient, quiet: &str, pred: impl Fn(&[RegistryState]) -> bool) {
    loop {
        let (_, ev) = sse.next().await;
        if let StatusEvent::RegistryError { registry, error } = &ev {
            assert!(!registry.name.as_str().eq_ignore_ascii_case(quiet), "error loop on {quiet}: {error:?}");
        }
        if snapshot(&ev).is_some_and(&pred) {
            return;
        }
    }
}

async fn registry_names(t: &TestPortal) -> Vec<String> {
    let regs: Vec<Value> = t.get("/api/v1/registries").await.json().await.unwrap();
    regs.iter().map(|r| r["key"]["name"].as_str().unwrap().to_owned()).collect()
}

/// The value of one exposition line (`name{labels}` exactly).
async fn metric(t: &TestPortal, series: &str) -> f64 {
    let text = t.get("/metrics").await.text().await.unwrap();
    let line = text.lines().find(|l| l.rsplit_once(' ').is_some_and(|(s, _)| s == series));
    line.and_then(|l| l.rsplit_once(' ')).map(|(_, v)| v.parse().unwrap()).unwrap_or_else(|| panic!("{series}: {text}"))
}

/// `az acr update --sku …` against the emulator, through ARM itself.
async fn set_sku(t: &TestPortal, rg: &str, name: &str, sku: &str) {
    let url = format!(
        "{}/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.ContainerRegistry/registries/{name}?api-version=2025-04-01",
        t.emulator_url()
    );
    let resp =
        t.http.patch(url).bearer_auth(t.arm_token().await).json(&json!({"sku": {"name": sku}})).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

/// ARM requests about `name` the emulator answered 404.
fn not_found_calls(t: &TestPortal, name: &str) -> usize {
    let needle = format!("/registries/{}", name.to_ascii_lowercase());
    let stats = t.emulator().request_stats();
    stats.recent.iter().filter(|r| r.status == 404 && r.path.to_ascii_lowercase().contains(&needle)).count()
}

#[tokio::test]
async fn a_registry_deleted_out_of_band_vanishes_live_without_an_error_loop() {
    let seed = Seed::docs_example().with_registry(SeedRegistry::premium(SUB, "doomedrg", "doomedreg01", "westeurope"));
    let t = TestPortal::with_seed(seed).await;
    let mut sse = t.sse(None).await;
    let (_, first) = sse.next().await;
    assert!(find(snapshot(&first).unwrap(), "doomedreg01").is_some());

    let started = Instant::now();
    let resp = t.http.delete(format!("{}/_emulator/registries/doomedreg01", t.emulator_url())).send().await.unwrap();
    assert_eq!(resp.status(), 204);
    // Its poller (every 500 ms here) gets 404, ARM confirms, and every page gets the new list.
    until_snapshot(&mut sse, "doomedreg01", |regs| find(regs, "doomedreg01").is_none() && regs.len() == 1).await;
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert_eq!(registry_names(&t).await, ["myACR0007"]);
    let path = format!("/api/v1/registries/{SUB}/doomedrg/doomedreg01/replications");
    assert_eq!(t.get(&path).await.status(), 404);

    assert_eq!(metric(&t, "replimap_registries_removed_total{via=\"not_found\"}").await, 1.0);
    assert_eq!(metric(&t, "replimap_registries_watched").await, 1.0);
    assert_eq!(metric(&t, "replimap_pollers").await, 1.0);

    // No error loop: the poller stopped after the 404 and its confirmation.
    let after = not_found_calls(&t, "doomedreg01");
    assert!((1..=4).contains(&after), "{after} 404s");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(not_found_calls(&t, "doomedreg01"), after, "nobody polls a deleted registry");
}

#[tokio::test]
async fn a_registry_whose_resource_group_is_deleted_vanishes_live() {
    let seed = Seed::docs_example().with_registry(SeedRegistry::premium(SUB, "doomedrg", "doomedreg02", "westeurope"));
    let t = TestPortal::with_seed(seed).await;
    let mut sse = t.sse(None).await;
    sse.next().await;

    // `az group delete`: long-running (600 ms here); the registry goes half-way through.
    let url = format!("{}/subscriptions/{SUB}/resourcegroups/doomedrg?api-version=2022-12-01", t.emulator_url());
    let started = Instant::now();
    let resp = t.http.delete(url).bearer_auth(t.arm_token().await).send().await.unwrap();
    assert_eq!(resp.status(), 202, "{}", resp.text().await.unwrap());
    until_snapshot(&mut sse, "doomedreg02", |regs| find(regs, "doomedreg02").is_none()).await;
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert_eq!(registry_names(&t).await, ["myACR0007"]);
    assert_eq!(metric(&t, "replimap_registries_removed_total{via=\"not_found\"}").await, 1.0);
}

#[tokio::test]
async fn a_registry_gone_from_the_list_is_dropped_on_rediscovery() {
    // Standard: no poller, so only re-discovery can notice.
    let seed =
        Seed::docs_example().with_registry(SeedRegistry::standard(SUB, "myresourcegroup", "stdreg01", "westeurope"));
    let t = TestPortal::with_seed(seed).await;
    let runs = metric(&t, "replimap_discovery_runs_total").await;
    assert!(runs >= 1.0);
    let mut sse = t.sse(None).await;
    sse.next().await;
    t.portal.state.hub.set_rediscover_interval(Duration::from_millis(200));

    assert!(t.emulator().remove_registry("stdreg01"));
    until_snapshot(&mut sse, "stdreg01", |regs| find(regs, "stdreg01").is_none()).await;
    assert_eq!(registry_names(&t).await, ["myACR0007"]);
    assert_eq!(metric(&t, "replimap_registries_removed_total{via=\"discovery\"}").await, 1.0);
    assert!(metric(&t, "replimap_discovery_runs_total").await > runs);
    assert_eq!(metric(&t, "replimap_discovery_failures_total").await, 0.0);
}

#[tokio::test]
async fn an_sku_change_makes_a_registry_replicable_or_not_without_restart() {
    let seed = Seed::docs_example().with_registry(SeedRegistry::standard(
        SUB,
        "myresourcegroup",
        "upgradereg01",
        "westeurope",
    ));
    let t = TestPortal::with_seed(seed).await;
    let mut sse = t.sse(None).await;
    sse.next().await;
    t.portal.state.hub.set_rediscover_interval(Duration::from_millis(200));
    let path = format!("/api/v1/registries/{SUB}/myresourcegroup/upgradereg01/replications");
    let resp = t.put(&path, json!({"location": "japaneast"})).await;
    assert_eq!(resp.status(), 409, "Standard cannot replicate");

    set_sku(&t, "myresourcegroup", "upgradereg01", "Premium").await;
    let replicable = |want: bool| {
        move |regs: &[RegistryState]| find(regs, "upgradereg01").is_some_and(|r| r.registry.replicable == want)
    };
    until_snapshot(&mut sse, "upgradereg01", replicable(true)).await;
    // Writes wait for the first poll of the new poller (503 until then).
    let mut status = 0;
    for _ in 0..100 {
        status = t.put(&path, json!({"location": "japaneast"})).await.status().as_u16();
        if status != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 202);
    sse.until(|ev| is_upsert(ev, "japaneast", "Succeeded")).await;
    assert_eq!(metric(&t, "replimap_registry_sku_changes_total").await, 1.0);
    assert_eq!(metric(&t, "replimap_pollers").await, 2.0);

    // And the reverse: downgraded, its poller stops and writes are refused again.
    set_sku(&t, "myresourcegroup", "upgradereg01", "Standard").await;
    until_snapshot(&mut sse, "upgradereg01", replicable(false)).await;
    let resp = t.put(&path, json!({"location": "westus"})).await;
    assert_eq!(resp.status(), 409);
    assert_eq!(metric(&t, "replimap_registry_sku_changes_total").await, 2.0);
    assert_eq!(metric(&t, "replimap_pollers").await, 1.0);
    assert_eq!(metric(&t, "replimap_registries_watched").await, 2.0);
}
