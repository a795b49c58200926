//! Workload discovery against the emulator: Resource Graph and its ARM-listing fallback find
//! the seeded workloads with the same evidence, an out-of-band workload reaches the event
//! stream after an on-demand refresh, and the call counts at bench scale (printed on lines
//! starting `COVERAGE FIGURES`) do not grow with the number of open streams.

use std::collections::BTreeMap;
use std::time::Duration;

use replimap_arm_emulator::Seed;
use replimap_server::coverage::{refresh, RunInfo};
use replimap_types::{Coverage, EvidenceKind, RegistryKey, StatusEvent, WorkloadKind};
use serde_json::{json, Value};

use crate::support::{TestPortal, SUB};

const LOGIN_SERVER: &str = "myacr0007.azurecr.io";

fn key() -> RegistryKey {
    RegistryKey {
        subscription_id: SUB.parse().unwrap(),
        resource_group: "myresourcegroup".parse().unwrap(),
        name: "myACR0007".parse().unwrap(),
    }
}

fn registry_id() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/myresourcegroup/providers/Microsoft.ContainerRegistry/registries/myACR0007")
}

/// A portal on the demo seed whose discovery loop this test runs itself (the portal's own is
/// off), re-reading every `interval`.
async fn portal(interval: Duration) -> TestPortal {
    let t = TestPortal::with_seed_and(Seed::docs_example(), |c| {
        c.coverage.enabled = false;
        c.coverage.interval = interval;
    })
    .await;
    tokio::spawn(refresh::run(t.portal.state.clone(), Vec::new()));
    t
}

/// Waits until more than `runs` discovery runs have finished; returns the last one.
async fn run_after(t: &TestPortal, runs: u64) -> RunInfo {
    for _ in 0..1200 {
        let totals = t.portal.state.coverage.totals();
        if totals.runs > runs {
            assert_eq!(totals.failures, 0, "a discovery run failed");
            return t.portal.state.coverage.last_run().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no discovery run finished within 60 s");
}

fn runs(t: &TestPortal) -> u64 {
    t.portal.state.coverage.totals().runs
}

fn coverage(t: &TestPortal) -> Coverage {
    t.portal.state.hub.registry(&key()).and_then(|s| s.coverage).expect("the registry has coverage")
}

/// A workload's kind, region and evidence.
type Seen<L> = (WorkloadKind, L, Vec<(EvidenceKind, String)>);

/// Name → kind, region and evidence, for comparing with the seed's table.
fn by_name(c: &Coverage) -> BTreeMap<String, Seen<String>> {
    c.workloads
        .iter()
        .map(|w| {
            let ev = w.evidence.iter().map(|e| (e.kind, e.detail.clone())).collect();
            (w.name.clone(), (w.kind, w.location.as_str().to_owned(), ev))
        })
        .collect()
}

async fn admin(t: &TestPortal, method: reqwest::Method, path: &str, body: Value) -> Value {
    let resp =
        t.http.request(method, format!("{}/_emulator{path}", t.emulator_url())).json(&body).send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn refuse_resource_graph(t: &TestPortal, refuse: bool) {
    admin(t, reqwest::Method::PUT, "/faults/resource-graph", json!({ "refuse": refuse })).await;
}

/// What the demo seed's workloads must come out as (emulator `seed_demo.rs`).
fn assert_demo_attribution(c: &Coverage) {
    use EvidenceKind::*;
    let got = by_name(c);
    let image = |repo: &str| (Image, format!("{LOGIN_SERVER}/{repo}"));
    let cred = (Credential, LOGIN_SERVER.to_owned());
    let expected: BTreeMap<&str, Seen<&str>> = BTreeMap::from([
        ("orders-api", (WorkloadKind::ContainerInstance, "eastus", vec![image("orders:1.4"), cred.clone()])),
        ("nightly-report", (WorkloadKind::ContainerAppJob, "eastus", vec![image("report:2026.1"), cred.clone()])),
        ("aks-shop-weu", (WorkloadKind::Aks, "westeurope", vec![(AcrPull, registry_id().to_ascii_lowercase())])),
        ("storefront", (WorkloadKind::ContainerApp, "westeurope", vec![image("storefront:2.1"), cred.clone()])),
        ("catalog-web", (WorkloadKind::AppService, "japaneast", vec![image("catalog:3.0")])),
        ("jp-worker", (WorkloadKind::ContainerInstance, "japaneast", vec![image("worker:0.9"), cred.clone()])),
        ("ml-research", (WorkloadKind::MachineLearning, "australiaeast", vec![(Workspace, registry_id())])),
        ("batchshopaue", (WorkloadKind::Batch, "australiaeast", vec![image("render:5.2"), cred.clone()])),
        ("aks-legacy-brs", (WorkloadKind::Aks, "brazilsouth", vec![])),
    ]);
    let got: BTreeMap<&str, _> =
        got.iter().map(|(k, (kind, loc, ev))| (k.as_str(), (*kind, loc.as_str(), ev.clone()))).collect();
    assert_eq!(got, expected, "the App Service without a container and the AKS node scale set are no workloads");
    let regions: Vec<&str> = c.workloads.iter().map(|w| w.location.as_str()).collect();
    let mut sorted = regions.clone();
    sorted.sort();
    assert_eq!(regions, sorted, "sorted by region");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[tokio::test]
async fn resource_graph_finds_the_seeded_workloads_with_their_evidence() {
    let t = portal(Duration::from_secs(600)).await;
    let run = run_after(&t, 0).await;
    assert_eq!(run.source, "resource graph");
    assert_eq!(run.graph_calls, 3, "three named queries, one page each");
    // The Batch account's pools are child resources Resource Graph does not carry; the
    // subscriptions come from one listing.
    assert_eq!(run.arm_calls, 2);
    assert_eq!(run.workloads, 9);
    assert_demo_attribution(&coverage(&t));
    let stats = t.emulator().request_stats();
    assert_eq!(stats.resource_graph_queries, 3);
}

#[tokio::test]
async fn a_refused_resource_graph_falls_back_to_arm_listing_with_the_same_result() {
    let t = TestPortal::with_seed_and(Seed::docs_example(), |c| c.coverage.enabled = false).await;
    refuse_resource_graph(&t, true).await;
    tokio::spawn(refresh::run(t.portal.state.clone(), Vec::new()));
    let run = run_after(&t, 0).await;
    assert_eq!(run.source, "arm listing");
    assert_eq!(run.graph_calls, 1, "the refused query");
    assert_demo_attribution(&coverage(&t));
    assert_eq!(t.portal.state.coverage.totals().fallbacks, 1);
    eprintln!(
        "COVERAGE FIGURES demo seed, arm listing: {} workloads, {} ARM reads, {} Resource Graph queries, {:?}",
        run.workloads, run.arm_calls, run.graph_calls, run.duration
    );
}

#[tokio::test]
async fn a_subscription_that_cannot_be_listed_is_a_warning_not_a_failed_run() {
    let t = TestPortal::with_seed_and(Seed::docs_example(), |c| c.coverage.enabled = false).await;
    admin(
        &t,
        reqwest::Method::POST,
        "/workloads/generate",
        json!({"subscriptions": 2, "workloads": 10, "registry": LOGIN_SERVER}),
    )
    .await;
    refuse_resource_graph(&t, true).await;
    // The emulator's bench subscriptions are 10000000-0000-4000-8000-{i}.
    let broken = "10000000-0000-4000-8000-000000000001";
    t.emulator().add_fault(replimap_arm_emulator::FaultRule {
        method: Some("GET".into()),
        path_contains: Some(format!("/subscriptions/{broken}/resources")),
        status: Some(403),
        code: Some("AuthorizationFailed".into()),
        message: Some("The client does not have authorization to perform action 'Microsoft.Resources/subscriptions/resources/read'.".into()),
        ..Default::default()
    });
    tokio::spawn(refresh::run(t.portal.state.clone(), Vec::new()));
    let run = run_after(&t, 0).await;
    assert_eq!(run.source, "arm listing");
    assert_eq!(run.warnings.len(), 1, "{:?}", run.warnings);
    assert!(run.warnings[0].contains(broken), "{:?}", run.warnings);
    let c = coverage(&t);
    assert_eq!(c.warnings, run.warnings, "the coverage says why it is incomplete");
    assert!(c.workloads.iter().any(|w| w.name == "storefront"), "the other subscriptions still count");
    assert!(c.workloads.iter().all(|w| !w.id.contains(broken)));
    assert!(c.workloads.iter().any(|w| w.id.contains("10000000-0000-4000-8000-000000000000")));
}

#[tokio::test]
async fn an_out_of_band_workload_reaches_the_stream_after_a_refresh() {
    let t = portal(Duration::from_secs(600)).await;
    let before = run_after(&t, 0).await;
    let discovered_at = coverage(&t).discovered_at;
    let mut sse = t.sse(None).await;
    let (_, first) = sse.next().await;
    assert!(matches!(first, StatusEvent::Snapshot { .. }));

    let id = format!("/subscriptions/{SUB}/resourceGroups/new-westus3/providers/Microsoft.App/containerApps/checkout");
    let image = format!("{LOGIN_SERVER}/checkout:0.1");
    admin(
        &t,
        reqwest::Method::PUT,
        "/workloads",
        json!({"id": id, "type": "Microsoft.App/containerApps", "location": "westus3", "properties": {
            "provisioningState": "Succeeded",
            "configuration": {"registries": [{"server": LOGIN_SERVER, "identity": "system"}]},
            "template": {"containers": [{"name": "checkout", "image": image}]}
        }}),
    )
    .await;
    t.portal.state.coverage.refresh();
    let (_, ev) =
        sse.until(|ev| matches!(ev, StatusEvent::CoverageChanged { registry, .. } if *registry == key())).await;
    let StatusEvent::CoverageChanged { coverage: c, .. } = ev else { unreachable!() };
    let w = c.workloads.iter().find(|w| w.id.eq_ignore_ascii_case(&id)).expect("the new workload");
    assert_eq!(w.location.as_str(), "westus3");
    assert_eq!(w.evidence.iter().map(|e| e.kind).collect::<Vec<_>>(), [EvidenceKind::Image, EvidenceKind::Credential]);
    assert_ne!(c.discovered_at, discovered_at);
    assert_eq!(run_after(&t, 1).await.graph_calls, before.graph_calls);

    // A run that sees nothing new publishes nothing.
    let seen = coverage(&t).discovered_at;
    t.portal.state.coverage.refresh();
    run_after(&t, 2).await;
    assert_eq!(coverage(&t).discovered_at, seen, "an idle run changes nothing");
}

#[tokio::test]
async fn a_new_registry_is_attributed_without_a_new_discovery() {
    let t = portal(Duration::from_secs(600)).await;
    let id = format!("/subscriptions/{SUB}/resourceGroups/late/providers/Microsoft.App/containerApps/late-app");
    admin(
        &t,
        reqwest::Method::PUT,
        "/workloads",
        json!({"id": id, "type": "Microsoft.App/containerApps", "location": "uksouth", "properties": {
            "template": {"containers": [{"name": "late", "image": "lateacr.azurecr.io/late:1"}]}
        }}),
    )
    .await;
    run_after(&t, 0).await;
    t.portal.state.coverage.refresh();
    run_after(&t, 1).await;
    let (runs_before, graph_before) = (runs(&t), t.emulator().request_stats().resource_graph_queries);
    assert!(coverage(&t).workloads.iter().all(|w| w.name != "late-app"), "not a workload of myACR0007");

    t.emulator().add_registry(replimap_arm_emulator::SeedRegistry::premium(SUB, "laterg", "lateacr", "westeurope"));
    t.portal.state.hub.rediscover();
    let late = RegistryKey {
        subscription_id: SUB.parse().unwrap(),
        resource_group: "laterg".parse().unwrap(),
        name: "lateacr".parse().unwrap(),
    };
    let mut found = None;
    for _ in 0..200 {
        found = t.portal.state.hub.registry(&late).and_then(|s| s.coverage);
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let c = found.expect("the new registry gets coverage");
    let names: Vec<&str> = c.workloads.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["aks-legacy-brs", "late-app"], "its workload and the unattributed one");
    assert_eq!(c.workloads[1].evidence[0].detail, "lateacr.azurecr.io/late:1");
    assert_eq!(runs(&t), runs_before, "attributed again, not discovered again");
    assert_eq!(t.emulator().request_stats().resource_graph_queries, graph_before);
}

#[tokio::test]
async fn a_thousand_workloads_cost_a_few_queries_and_no_per_resource_gets() {
    let t = TestPortal::with_seed_and(Seed::docs_example(), |c| {
        c.coverage.enabled = false;
        c.coverage.interval = Duration::from_secs(600);
    })
    .await;
    let made = admin(
        &t,
        reqwest::Method::POST,
        "/workloads/generate",
        json!({"subscriptions": 20, "workloads": 1000, "registry": LOGIN_SERVER}),
    )
    .await;
    assert_eq!(made["workloads"], 1000);
    let graph_before = t.emulator().request_stats().resource_graph_queries;
    tokio::spawn(refresh::run(t.portal.state.clone(), Vec::new()));
    let run = run_after(&t, 0).await;
    assert_eq!(run.source, "resource graph");
    assert!(run.workloads >= 1000, "{}", run.workloads);
    let graph_served = t.emulator().request_stats().resource_graph_queries - graph_before;
    assert_eq!(run.graph_calls, graph_served, "every query counted");
    assert!(run.graph_calls <= 6, "pages of 1000 rows: {}", run.graph_calls);
    // The only ARM reads: the subscription list and each Batch account's pools.
    let c = coverage(&t);
    let batch = c.workloads.iter().filter(|w| w.kind == WorkloadKind::Batch).count() as u64;
    assert_eq!(run.arm_calls, batch + 1, "no per-resource GETs");
    let unattributed = c.workloads.iter().filter(|w| !w.attributed()).count();
    eprintln!(
        "COVERAGE FIGURES 1000 workloads / 20 subscriptions, resource graph: {} workloads ({} unattributed), {} Resource Graph queries, {} ARM reads ({} Batch pool listings + 1 subscription list), {:?}",
        run.workloads, unattributed, run.graph_calls, run.arm_calls, batch, run.duration
    );

    // The fallback reads the same workloads, at N+1 cost.
    refuse_resource_graph(&t, true).await;
    let seen = c.discovered_at.clone();
    t.portal.state.coverage.refresh();
    let fallback = run_after(&t, 1).await;
    assert_eq!(fallback.source, "arm listing");
    assert_eq!(fallback.workloads, run.workloads);
    assert!(fallback.warnings.is_empty(), "{:?}", fallback.warnings);
    assert_eq!(coverage(&t).discovered_at, seen, "the same coverage: nothing was published");
    eprintln!(
        "COVERAGE FIGURES 1000 workloads / 20 subscriptions, arm listing: {} workloads, {} Resource Graph queries (refused), {} ARM reads, {:?}",
        fallback.workloads, fallback.graph_calls, fallback.arm_calls, fallback.duration
    );
}

#[tokio::test]
async fn open_streams_cause_no_discovery_calls() {
    let interval = Duration::from_secs(2);
    let t = portal(interval).await;
    let first = run_after(&t, 0).await;
    let (runs_before, totals_before) = (runs(&t), t.portal.state.coverage.totals());
    let graph_before = t.emulator().request_stats().resource_graph_queries;
    let mut streams = Vec::new();
    for _ in 0..20 {
        let mut s = t.sse(None).await;
        let (_, snapshot) = s.next().await;
        let StatusEvent::Snapshot { registries } = snapshot else { panic!("a snapshot first") };
        assert!(registries.iter().any(|r| r.coverage.is_some()), "the snapshot carries the coverage");
        streams.push(s);
    }
    tokio::time::sleep(interval + interval / 2).await;
    // Read right after a timed run, so none is half counted.
    let runs_now = runs(&t);
    run_after(&t, runs_now).await;
    let totals = t.portal.state.coverage.totals();
    let graph_served = t.emulator().request_stats().resource_graph_queries - graph_before;
    let timed_runs = totals.runs - runs_before;
    assert!(timed_runs <= 3, "runs follow the interval, not the clients: {timed_runs}");
    assert_eq!(totals.graph_calls - totals_before.graph_calls, timed_runs * first.graph_calls);
    assert_eq!(totals.arm_calls - totals_before.arm_calls, timed_runs * first.arm_calls);
    assert_eq!(graph_served, timed_runs * first.graph_calls, "Resource Graph saw only the timed runs");
    eprintln!(
        "COVERAGE FIGURES 20 open streams over {:?}: {timed_runs} timed runs, {graph_served} Resource Graph queries, {} ARM reads by discovery",
        interval + interval / 2,
        totals.arm_calls - totals_before.arm_calls
    );
    drop(streams);
}
