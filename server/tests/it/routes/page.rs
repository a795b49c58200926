//! `GET /`: the page is rendered on the server with the data, so the table reads before any
//! script runs, and carries the same data as JSON for hydration.

use std::time::Duration;

use replimap_arm_emulator::{Seed, SeedRegistry, SeedReplica};
use replimap_types::{PageData, PAGE_DATA_ID};

use crate::support::{TestPortal, SUB};

async fn page(t: &TestPortal, path: &str) -> String {
    let resp = t.get(path).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    resp.text().await.unwrap()
}

fn page_data(html: &str) -> PageData {
    let start = html.find(&format!(r#"id="{PAGE_DATA_ID}""#)).expect("page data element");
    let open = start + html[start..].find('>').unwrap() + 1;
    let close = open + html[open..].find("</script>").unwrap();
    serde_json::from_str(&html[open..close]).unwrap()
}

#[tokio::test]
async fn the_table_is_rendered_on_the_server_with_the_data_for_hydration() {
    let seed = Seed::docs_example().with_registry(SeedRegistry::standard(SUB, "platform-dev", "contosodev", "eastus"));
    let t = TestPortal::with_seed_and(seed, |c| c.ui.stuck_after_secs = 120).await;
    let html = page(&t, "/").await;
    assert!(html.contains(r#"data-registry="myACR0007""#), "the Premium registry is shown by default");
    assert!(html.contains(r#"data-replication="eastus""#), "the home replica's row is in the HTML");
    assert!(
        html.contains(">contosodev — Standard SKU: geo-replication needs Premium<"),
        "non-Premium explained in the picker"
    );
    let data = page_data(&html);
    assert_eq!(data.regions.len(), 62);
    assert!(data.loaded && data.emulated);
    assert_eq!(data.settings.stuck_after_secs, 120);
    assert_eq!(
        data.registries.iter().map(|r| r.registry.key.name.to_string()).collect::<Vec<_>>(),
        ["myACR0007", "contosodev"]
    );
    assert!(data.now_ms > 1_700_000_000_000);
}

#[tokio::test]
async fn the_registry_in_the_url_is_the_one_rendered() {
    let seed =
        Seed::docs_example().with_registry(SeedRegistry::premium(SUB, "platform-prod", "contosoprod", "westeurope"));
    let t = TestPortal::with_seed(seed).await;
    let html = page(&t, "/?registry=CONTOSOPROD").await;
    assert!(html.contains(r#"data-registry="contosoprod""#), "names match case-insensitively");
    assert!(html.contains(r#"data-replication="westeurope""#));
    assert!(!html.contains(r#"data-replication="eastus""#), "not the other registry's rows");
    let html = page(&t, "/?registry=nosuchregistry").await;
    assert!(html.contains(r#"id="registry-missing""#));
    assert!(html.contains("nosuchregistry"));
    let html = page(&t, "/?kiosk&registry=contosoprod").await;
    assert!(html.contains(r#"id="kiosk""#) && html.contains(r#"data-registry="contosoprod""#));
    assert!(!html.contains(r#"id="registry-picker""#), "the wall screen has no controls");
}

#[tokio::test]
async fn script_in_data_cannot_break_out_of_the_page_data() {
    let replica = SeedReplica::user("japaneast", "japaneast").with_tag("x", "</script><script>alert(1)</script>");
    let seed = Seed::empty()
        .with_subscription(replimap_arm_emulator::SeedSubscription::demo())
        .with_registry(SeedRegistry::premium(SUB, "myresourcegroup", "myACR0007", "eastus").with_replica(replica));
    let t = TestPortal::with_seed(seed).await;
    let html = page(&t, "/").await;
    assert!(!html.contains("<script>alert(1)"));
    let data = page_data(&html);
    let tags = &data.registries[0].replications.iter().find(|r| r.name.as_str() == "japaneast").unwrap().tags;
    assert_eq!(tags["x"], "</script><script>alert(1)</script>", "the data survives intact");
}

#[tokio::test]
async fn the_stream_sends_heartbeats_the_page_can_see() {
    let t = TestPortal::with_seed_and(Seed::docs_example(), |c| c.ui.heartbeat_secs = 1).await;
    let mut sse = t.sse(None).await;
    let (_, first) = sse.next().await;
    assert!(matches!(first, replimap_types::StatusEvent::Snapshot { .. }));
    // Workload discovery's first `coverage_changed` may come first; the heartbeat follows.
    let heartbeat = async {
        loop {
            if sse.next_frame().await.event == "heartbeat" {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), heartbeat).await.expect("a heartbeat within 5 s");
}
