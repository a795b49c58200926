//! `GET /metrics` in the Prometheus text format.
//!
//! Hand-written: a handful of gauges and counters does not justify a metrics
//! framework, and every value is read from state that exists anyway.

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::hub::{HubCounters, RestartReason};
use crate::state::AppState;

fn metric(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Label values are registry keys and fixed words; quotes and backslashes are escaped anyway.
fn esc(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The exposition.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut out = String::new();
    metric(&mut out, "replimap_http_responses_total", "counter", "Portal HTTP responses by status class.");
    for (class, n) in state.http.by_class() {
        let _ = writeln!(out, "replimap_http_responses_total{{class=\"{class}\"}} {n}");
    }
    let arm = state.arm.stats();
    metric(&mut out, "replimap_arm_requests_total", "counter", "HTTP attempts sent to ARM.");
    let _ = writeln!(out, "replimap_arm_requests_total {}", arm.requests);
    metric(&mut out, "replimap_arm_responses_total", "counter", "ARM answers by status class.");
    for (i, n) in arm.by_class.iter().enumerate() {
        let _ = writeln!(out, "replimap_arm_responses_total{{class=\"{}xx\"}} {n}", i + 1);
    }
    metric(&mut out, "replimap_arm_throttled_total", "counter", "ARM answers with 429.");
    let _ = writeln!(out, "replimap_arm_throttled_total {}", arm.throttled);
    metric(&mut out, "replimap_arm_retries_total", "counter", "ARM attempts that were retries.");
    let _ = writeln!(out, "replimap_arm_retries_total {}", arm.retries);
    metric(&mut out, "replimap_arm_failed_total", "counter", "ARM calls that ended in an error.");
    let _ = writeln!(out, "replimap_arm_failed_total {}", arm.failed);
    metric(
        &mut out,
        "replimap_arm_client_throttle_waits_total",
        "counter",
        "Requests held back by the client-side token bucket.",
    );
    let _ = writeln!(out, "replimap_arm_client_throttle_waits_total {}", arm.throttle_waits);
    metric(&mut out, "replimap_sse_clients", "gauge", "Open status streams.");
    let _ = writeln!(out, "replimap_sse_clients {}", state.hub.client_count());

    hub_counters(&mut out, state.hub.counters());
    metric(
        &mut out,
        "replimap_store_errors_total",
        "counter",
        "Store calls that failed: a write refused (503) or an audit record or operation left incomplete. Alert on any increase.",
    );
    let _ = writeln!(
        out,
        "replimap_store_errors_total{{backend=\"{}\"}} {}",
        state.store.backend(),
        state.audit_counters.store_errors.load(std::sync::atomic::Ordering::Relaxed)
    );

    let health = state.hub.health();
    metric(&mut out, "replimap_replicas", "gauge", "Replicas per registry and phase (alert on phase=\"failed\").");
    for h in &health {
        for (phase, n) in &h.phases {
            let _ = writeln!(out, "replimap_replicas{{registry=\"{}\",phase=\"{phase}\"}} {n}", esc(&h.registry));
        }
    }
    metric(
        &mut out,
        "replimap_poll_age_seconds",
        "gauge",
        "Seconds since the registry was last polled successfully (poll lag).",
    );
    for h in &health {
        if let Some(age) = h.last_poll_age {
            let _ = writeln!(
                out,
                "replimap_poll_age_seconds{{registry=\"{}\"}} {:.3}",
                esc(&h.registry),
                age.as_secs_f64()
            );
        }
    }
    metric(&mut out, "replimap_poll_failing", "gauge", "1 while the last poll of the registry failed.");
    for h in &health {
        let _ = writeln!(out, "replimap_poll_failing{{registry=\"{}\"}} {}", esc(&h.registry), u8::from(h.failing));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

/// How the watched set changes and how the pollers fare (alert on restarts and failures).
fn hub_counters(out: &mut String, c: HubCounters) {
    metric(out, "replimap_registries_watched", "gauge", "Registries the portal watches.");
    let _ = writeln!(out, "replimap_registries_watched {}", c.registries_watched);
    metric(out, "replimap_pollers", "gauge", "Running registry pollers (one per replicable registry).");
    let _ = writeln!(out, "replimap_pollers {}", c.pollers);
    metric(
        out,
        "replimap_registries_removed_total",
        "counter",
        "Registries no longer watched: gone from the list on re-discovery, or 404 to their poller.",
    );
    let _ = writeln!(out, "replimap_registries_removed_total{{via=\"discovery\"}} {}", c.removed_on_discovery);
    let _ = writeln!(out, "replimap_registries_removed_total{{via=\"not_found\"}} {}", c.removed_not_found);
    metric(out, "replimap_registry_sku_changes_total", "counter", "Registry SKU changes noticed on re-discovery.");
    let _ = writeln!(out, "replimap_registry_sku_changes_total {}", c.sku_changes);
    metric(out, "replimap_poller_restarts_total", "counter", "Registry pollers restarted, by reason.");
    for (reason, n) in [(RestartReason::Panic, c.restarts_panic), (RestartReason::Error, c.restarts_error)] {
        let _ = writeln!(out, "replimap_poller_restarts_total{{reason=\"{}\"}} {n}", reason.as_str());
    }
    metric(out, "replimap_discovery_runs_total", "counter", "Reads of the registry list.");
    let _ = writeln!(out, "replimap_discovery_runs_total {}", c.discovery_runs);
    metric(
        out,
        "replimap_discovery_failures_total",
        "counter",
        "Reads of the registry list in which some subscription could not be listed.",
    );
    let _ = writeln!(out, "replimap_discovery_failures_total {}", c.discovery_failures);
}
