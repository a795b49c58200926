//! The cost model's worked numbers (docs/coverage.md §B.3) and refreshes over loopback HTTP.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::retail::{self, FILTER, MAX_PAGES};
use super::*;

fn region(s: &str) -> RegionName {
    s.parse().unwrap()
}

fn no_pulls() -> TransferEstimate {
    TransferEstimate { pulls_per_month: 0.0, gb_per_pull: 0.0 }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn a_premium_unit_is_about_50_70_a_month() {
    let p = Prices::bundled();
    let c = p.replica_cost(&region("eastus"), &region("westus"), 100.0, no_pulls());
    assert!(close(c.registry_monthly, 1.6666 * 30.4375), "{}", c.registry_monthly);
    assert!((50.70..50.75).contains(&c.registry_monthly), "per day × 30.4375, not × 730 hours");
    assert_eq!(c.storage_monthly, 0.0);
    assert_eq!(c.monthly, c.registry_monthly);
}

#[test]
fn break_even_is_about_2500_1000_and_630_gb() {
    let p = Prices::bundled();
    let est = TransferEstimate::default();
    // Within North America, 0.02.
    let na = p.replica_cost(&region("eastus"), &region("westus2"), 0.0, est);
    assert_eq!(na.transfer_per_gb, 0.02);
    assert!((2_500.0..2_550.0).contains(&na.break_even_gb), "{}", na.break_even_gb);
    // Inter-continent from Europe, 0.05.
    let eu = p.replica_cost(&region("westeurope"), &region("japaneast"), 0.0, est);
    assert_eq!(eu.transfer_per_gb, 0.05);
    assert!((1_000.0..1_020.0).contains(&eu.break_even_gb), "{}", eu.break_even_gb);
    // Inter-continent from Asia, 0.08.
    let asia = p.replica_cost(&region("japaneast"), &region("westeurope"), 0.0, est);
    assert_eq!(asia.transfer_per_gb, 0.08);
    assert!((630.0..640.0).contains(&asia.break_even_gb), "{}", asia.break_even_gb);
    // 3,000 pulls × 0.3 GB = 900 GB a month crossing at 0.02.
    assert!(close(na.transfer_saved_monthly, 18.0), "{}", na.transfer_saved_monthly);
    assert_eq!(
        break_even_note(&na),
        "Egress alone pays for this replica above 2,540 GB of cross-region pulls a month; \
         latency, pull speed and regional resilience are the usual reasons."
    );
    let busy = p.replica_cost(
        &region("japaneast"),
        &region("westeurope"),
        0.0,
        TransferEstimate { pulls_per_month: 10_000.0, gb_per_pull: 0.5 },
    );
    assert!(break_even_note(&busy).ends_with("At the estimated 5,000 GB a month, it already does."));
}

#[test]
fn the_same_region_is_free_and_never_breaks_even() {
    let p = Prices::bundled();
    let home = p.home_cost(&region("westeurope"), 100.0);
    assert_eq!(home.transfer_per_gb, 0.0);
    assert_eq!(home.transfer_saved_monthly, 0.0);
    assert_eq!(home.break_even_gb, 0.0, "0, not infinity: JSON cannot carry it");
    assert!(home.monthly > 50.0, "the home region is billed as a replica is");
    assert!(break_even_note(&home).contains("egress never pays"));
    let json = serde_json::to_string(&home).unwrap();
    assert!(json.contains("\"breakEvenGb\":0.0"), "{json}");
    assert!(p.basis().assumptions.iter().any(|a| a.contains("break-even of 0 GB")));
}

#[test]
fn storage_above_the_included_500_gb_costs_0_10_a_gb_month() {
    let p = Prices::bundled();
    let (home, there) = (region("eastus"), region("westus"));
    assert_eq!(p.replica_cost(&home, &there, 499.0, no_pulls()).storage_monthly, 0.0);
    assert_eq!(p.replica_cost(&home, &there, 500.0, no_pulls()).storage_monthly, 0.0);
    let above = p.replica_cost(&home, &there, 750.0, no_pulls());
    assert!(close(above.storage_monthly, 25.0), "{}", above.storage_monthly);
    assert!(close(above.monthly, above.registry_monthly + 25.0));
    assert_eq!(p.replica_cost(&home, &there, f64::NAN, no_pulls()).storage_monthly, 0.0);
    assert!(p.basis().assumptions.iter().any(|a| a.contains("own 500 GB") && a.contains("does not say")));
}

#[test]
fn each_geography_class_has_its_rate() {
    let p = Prices::bundled();
    let rate = |a: &str, b: &str| p.transfer_per_gb(&region(a), &region(b));
    assert_eq!(rate("eastus", "eastus"), 0.0, "same region");
    assert_eq!(rate("eastus", "canadacentral"), 0.02, "within North America");
    assert_eq!(rate("westeurope", "uksouth"), 0.02, "within Europe (the UK included)");
    assert_eq!(rate("japaneast", "southeastasia"), 0.08, "within Asia");
    assert_eq!(rate("australiaeast", "newzealandnorth"), 0.08, "within Oceania");
    assert_eq!(rate("uaenorth", "southafricanorth"), 0.08, "within the Middle East and Africa");
    assert_eq!(rate("brazilsouth", "chilecentral"), 0.16, "within South America");
    assert_eq!(rate("eastus", "westeurope"), 0.05, "inter-continent from North America");
    assert_eq!(rate("westeurope", "brazilsouth"), 0.05, "inter-continent from Europe");
    assert_eq!(rate("australiaeast", "eastus"), 0.08, "inter-continent from Oceania");
    assert_eq!(rate("brazilsouth", "eastus"), 0.16, "inter-continent from South America");
    assert_eq!(rate("eastus", "marsnorth"), 0.05, "an unknown region: the cheapest inter-continent rate");
}

#[test]
fn a_cost_report_puts_home_first_and_sums_each_side() {
    let p = Prices::bundled();
    let home = region("westeurope");
    let have = [region("northeurope"), home.clone(), region("northeurope")];
    let want = [region("eastus"), region("northeurope"), region("eastus"), region("japaneast")];
    let r = p.cost_report(&home, &have, &want, 600.0, TransferEstimate::default());
    let names = |v: &[ReplicaCost]| v.iter().map(|c| c.region.as_str().to_owned()).collect::<Vec<_>>();
    assert_eq!(names(&r.replicas), ["westeurope", "northeurope"]);
    assert_eq!(names(&r.proposed), ["eastus", "japaneast"], "already replicated and repeated regions left out");
    let each = 1.6666 * DAYS_PER_MONTH + 100.0 * 0.10;
    assert!(close(r.monthly, 2.0 * each), "{}", r.monthly);
    assert!(close(r.proposed_monthly, 2.0 * each), "{}", r.proposed_monthly);
    assert_eq!(r.replicas[0].transfer_saved_monthly, 0.0);
    assert_eq!(r.basis.source, "bundled snapshot");
    assert_eq!(r.basis.as_of, "2026-10-01");
    assert_eq!(r.basis.currency, "USD");
    assert!(r.basis.assumptions.iter().any(|a| a.contains("1.6666 USD a day")));
    assert!(r.basis.assumptions.iter().any(|a| a.contains("to verify") && a.contains("Bandwidth")));
    serde_json::to_string(&r).unwrap();
    let without_home = p.cost_report(&home, &[], &[], 0.0, TransferEstimate::default());
    assert_eq!(names(&without_home.replicas), ["westeurope"], "the home region is always billed");
}

#[test]
fn gigabytes_read_as_people_write_them() {
    assert_eq!(gb(2_536.4), "2,540");
    assert_eq!(gb(1_014.5), "1,010");
    assert_eq!(gb(634.1), "630");
    assert_eq!(gb(42.4), "42");
    assert_eq!(gb(1_234_567.0), "1,234,570");
}

// --- refreshes over loopback HTTP -------------------------------------------------------

/// What the stand-in answers.
#[derive(Clone, Copy)]
enum Answer {
    /// The two recorded pages.
    Pages,
    /// Page one in euros.
    Euros,
    /// Not JSON.
    Garbage,
    /// HTTP 500.
    Error,
    /// A page whose next page is itself, for ever.
    Loop,
    /// A next page on another host.
    Elsewhere,
}

#[derive(Clone)]
struct Stand {
    answer: Answer,
    base: String,
}

async fn stand_in(State(s): State<Stand>, Query(q): Query<HashMap<String, String>>) -> Response {
    // Exactly what the real API needs, or a 400 as it would answer.
    if q.get("api-version").map(String::as_str) != Some("2023-01-01-preview")
        || q.get("$filter").map(String::as_str) != Some(FILTER)
    {
        return (StatusCode::BAD_REQUEST, "bad query").into_response();
    }
    let recorded = "https://prices.azure.com:443";
    let page = match (s.answer, q.get("$skip")) {
        (Answer::Pages, None) | (Answer::Loop, _) => retail::tests::PAGE_1.replace(recorded, &s.base),
        (Answer::Pages, Some(_)) => retail::tests::PAGE_2.to_owned(),
        (Answer::Euros, _) => retail::tests::PAGE_1.replace("\"USD\"", "\"EUR\""),
        (Answer::Garbage, _) => "<html>busy</html>".to_owned(),
        (Answer::Error, _) => return (StatusCode::INTERNAL_SERVER_ERROR, "{}").into_response(),
        (Answer::Elsewhere, _) => retail::tests::PAGE_1.replace(recorded, "http://192.0.2.1"),
    };
    ([("content-type", "application/json")], page).into_response()
}

async fn serve(answer: Answer) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new().route("/api/retail/prices", get(stand_in)).with_state(Stand { answer, base: base.clone() });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("{base}/api/retail/prices").parse().unwrap()
}

#[tokio::test]
async fn a_refresh_follows_the_pages_and_takes_the_meters() {
    let p = Prices::bundled();
    let shared = p.clone();
    let url = serve(Answer::Pages).await;
    assert_eq!(p.refresh(&url).await.unwrap(), 4, "eastus2, westeurope, japaneast (page 1) and brazilsouth (page 2)");
    let basis = shared.basis();
    assert_eq!(basis.source, "Azure Retail Prices API", "clones share the table");
    assert_eq!(basis.as_of, today_utc());
    assert!(basis.assumptions.iter().any(|a| a.contains("bundled snapshot of 2026-10-01")));
    let home = region("eastus");
    let br = shared.replica_cost(&home, &region("brazilsouth"), 0.0, no_pulls());
    assert!(close(br.registry_monthly, 2.5 * DAYS_PER_MONTH), "page 2's price: {}", br.registry_monthly);
    let weu = shared.replica_cost(&home, &region("westeurope"), 600.0, no_pulls());
    assert!(close(weu.storage_monthly, 100.0 * 0.11), "the region's Data Stored: {}", weu.storage_monthly);
    assert_eq!(weu.transfer_per_gb, 0.05, "transfer rates stay the snapshot's");
    let other = shared.replica_cost(&home, &region("uksouth"), 0.0, no_pulls());
    assert!(close(other.registry_monthly, 1.6666 * DAYS_PER_MONTH), "unpriced regions use the snapshot's unit");
}

#[tokio::test]
async fn a_bad_answer_is_refused_and_the_prices_stay() {
    for (answer, what) in [
        (Answer::Euros, "currency"),
        (Answer::Garbage, "decode"),
        (Answer::Error, "status"),
        (Answer::Loop, "pages"),
        (Answer::Elsewhere, "foreign"),
    ] {
        let p = Prices::bundled();
        let before = (p.basis(), p.replica_cost(&region("eastus"), &region("japaneast"), 800.0, no_pulls()));
        let url = serve(answer).await;
        let err = p.refresh(&url).await.unwrap_err();
        let matched = match (&err, what) {
            (PricingError::Currency(c), "currency") => c == "EUR",
            (PricingError::Decode(_), "decode") => true,
            (PricingError::Status(500), "status") => true,
            (PricingError::TooManyPages(n), "pages") => *n == MAX_PAGES,
            (PricingError::ForeignLink(o), "foreign") => o == "http://192.0.2.1",
            _ => false,
        };
        assert!(matched, "{what}: {err}");
        let after = (p.basis(), p.replica_cost(&region("eastus"), &region("japaneast"), 800.0, no_pulls()));
        assert_eq!(before, after, "{what}: nothing changed");
    }
}

#[tokio::test]
async fn an_unreachable_api_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url: Url = format!("http://{}/api/retail/prices", listener.local_addr().unwrap()).parse().unwrap();
    drop(listener);
    let p = Prices::bundled();
    assert!(matches!(p.refresh(&url).await, Err(PricingError::Transport(_))));
    assert_eq!(p.basis().source, "bundled snapshot");
}

/// The emulator's stand-in for the Retail Prices API, over real loopback HTTP: every page of
/// its Container Registry meters (four a region, 100 items a page).
#[tokio::test]
async fn a_refresh_from_the_emulator_reads_every_page() {
    let emu = replimap_arm_emulator::spawn(replimap_arm_emulator::EmulatorConfig::default()).await.unwrap();
    let url: Url = format!("{}/api/retail/prices", emu.base_url()).parse().unwrap();
    let p = Prices::bundled();
    let regions = p.refresh(&url).await.unwrap();
    let deployable = crate::regions::Regions::embedded().unwrap().all().iter().filter(|r| r.accepts_replicas).count();
    assert_eq!(regions, deployable, "a Premium unit price for every region replicas may go to");
    assert!(emu.emulator().request_stats().retail_price_requests >= 2, "NextPageLink followed");
    assert_eq!(p.basis().source, "Azure Retail Prices API");
    let home = region("westeurope");
    let e2 = p.replica_cost(&home, &region("eastus2"), 0.0, no_pulls());
    assert!(close(e2.registry_monthly, 1.6666 * DAYS_PER_MONTH), "{}", e2.registry_monthly);
    let varied = ["westeurope", "japaneast", "australiaeast", "brazilsouth", "uksouth", "eastus"]
        .iter()
        .any(|r| !close(p.replica_cost(&home, &region(r), 0.0, no_pulls()).registry_monthly, e2.registry_monthly));
    assert!(varied, "the emulator's per-region prices replaced the flat snapshot figure");
}
