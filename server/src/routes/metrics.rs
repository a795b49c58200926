//! `GET /metrics` in the Prometheus text format.
//!
//! Hand-written: a handful of gauges and counters does not justify a metrics
//! framework, and every value is read from state that exists anyway.
//!
//! With `http.metrics_token_file` the exposition needs `Authorization: Bearer <token>`, as
//! Prometheus sends it from `authorization.credentials_file`; the token is compared in
//! constant time and never logged.

use std::fmt::Write;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use azure_core::credentials::Secret;
use replimap_types::ErrorCode;
use sha2::{Digest, Sha256};

use crate::edge::{Edge, EdgeCounters};
use crate::error::AppError;
use crate::hub::{HubCounters, RestartReason};
use crate::state::AppState;

fn metric(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Label values are registry keys and fixed words; quotes and backslashes are escaped anyway.
fn esc(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Whether `Authorization` carries `token` as a bearer token. Both sides are hashed first, so
/// the comparison takes the same time whatever the length or the first wrong byte.
fn bearer_matches(headers: &HeaderMap, token: &Secret) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map_or("", |(_, t)| t.trim());
    let (given, want) = (Sha256::digest(given.as_bytes()), Sha256::digest(token.secret().as_bytes()));
    let diff = given.iter().zip(want.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(diff) == 0
}

/// The exposition, or 401 without the configured token.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.edge.metrics_token {
        if !bearer_matches(&headers, token) {
            let mut resp = AppError::new(
                ErrorCode::Unauthenticated,
                "/metrics needs 'Authorization: Bearer' with the token of http.metrics_token_file.",
            )
            .into_response();
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"metrics\""));
            return resp;
        }
    }
    exposition(&state).into_response()
}

fn exposition(state: &AppState) -> impl IntoResponse {
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
    auth_metrics(&mut out, &state.auth);
    metric(&mut out, "replimap_sse_clients", "gauge", "Open status streams.");
    let _ = writeln!(out, "replimap_sse_clients {}", state.hub.client_count());
    edge(&mut out, &state.edge);

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
    coverage(&mut out, state);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

/// Workload discovery: runs, what they cost in calls, and the gaps it found.
fn coverage(out: &mut String, state: &AppState) {
    let t = state.coverage.totals();
    for (name, help, n) in [
        ("replimap_coverage_runs_total", "Workload discovery runs finished.", t.runs),
        ("replimap_coverage_failures_total", "Workload discovery runs that failed.", t.failures),
        ("replimap_coverage_fallbacks_total", "Runs that fell back from Resource Graph to ARM listing.", t.fallbacks),
        ("replimap_coverage_graph_queries_total", "Resource Graph queries (pages) sent by discovery.", t.graph_calls),
        ("replimap_coverage_arm_reads_total", "Plain ARM reads sent by discovery.", t.arm_calls),
    ] {
        metric(out, name, "counter", help);
        let _ = writeln!(out, "{name} {n}");
    }
    if let Some(run) = state.coverage.last_run() {
        metric(out, "replimap_coverage_last_run_seconds", "gauge", "How long the last discovery run took.");
        let _ = writeln!(out, "replimap_coverage_last_run_seconds {:.3}", run.duration.as_secs_f64());
        metric(out, "replimap_coverage_workloads", "gauge", "Workloads the last discovery run found.");
        let _ = writeln!(out, "replimap_coverage_workloads {}", run.workloads);
    }
    metric(out, "replimap_coverage_gap_regions", "gauge", "Regions where a registry's images run without a replica.");
    for reg in state.hub.states() {
        let Some(coverage) = &reg.coverage else { continue };
        let gaps = coverage.regions_with(&reg.replications, replimap_types::CoverageStatus::Gap).len();
        let _ = writeln!(
            out,
            "replimap_coverage_gap_regions{{registry=\"{}\"}} {gaps}",
            esc(&reg.registry.key.to_string())
        );
    }
}

/// What the HTTP edge holds and refused (alert on refusals: a cap or timeout is being hit).
fn edge(out: &mut String, edge: &Edge) {
    let c = &edge.counters;
    metric(out, "replimap_http_connections_open", "gauge", "Open client connections (at most http.max_connections).");
    let _ = writeln!(out, "replimap_http_connections_open {}", edge.connections_open());
    metric(
        out,
        "replimap_http_connections_refused_total",
        "counter",
        "Connections closed on accept because http.max_connections were open.",
    );
    let _ = writeln!(out, "replimap_http_connections_refused_total {}", EdgeCounters::get(&c.connections_refused));
    metric(
        out,
        "replimap_http_header_timeouts_total",
        "counter",
        "Connections closed without a request head within http.header_timeout_secs (slow or idle clients).",
    );
    let _ = writeln!(out, "replimap_http_header_timeouts_total {}", EdgeCounters::get(&c.header_timeouts));
    metric(
        out,
        "replimap_http_request_timeouts_total",
        "counter",
        "Requests answered 503 after http.request_timeout_secs.",
    );
    let _ = writeln!(out, "replimap_http_request_timeouts_total {}", EdgeCounters::get(&c.request_timeouts));
    metric(out, "replimap_http_bodies_too_large_total", "counter", "Requests refused 413 (over http.max_body_bytes).");
    let _ = writeln!(out, "replimap_http_bodies_too_large_total {}", EdgeCounters::get(&c.bodies_too_large));
    metric(out, "replimap_sse_refused_total", "counter", "Status streams refused 429, by the cap that was reached.");
    for (cap, n) in [("total", &c.streams_refused_total), ("identity", &c.streams_refused_identity)] {
        let _ = writeln!(out, "replimap_sse_refused_total{{cap=\"{cap}\"}} {}", EdgeCounters::get(n));
    }
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

/// Sign-in: what an operator alerts on (a burst of spoofed headers means someone reaches the
/// portal around its proxy; refusals, a misconfigured role file or a leaked token).
fn auth_metrics(out: &mut String, auth: &crate::auth::Authenticator) {
    use std::sync::atomic::Ordering::Relaxed;
    let rows = [
        (
            "replimap_auth_untrusted_identity_headers_total",
            "Requests from peers outside auth.proxy.trusted_proxies that carried identity headers (ignored).",
            auth.proxy_counters.untrusted_identity_headers.load(Relaxed),
        ),
        (
            "replimap_auth_unauthenticated_total",
            "Requests that needed an identity and had none.",
            auth.counters.unauthenticated.load(Relaxed),
        ),
        (
            "replimap_auth_credentials_refused_total",
            "API tokens or sessions presented that did not work (invalid, expired, revoked).",
            auth.counters.credentials_refused.load(Relaxed),
        ),
        (
            "replimap_auth_forbidden_total",
            "Actions refused for want of a role (403).",
            auth.counters.forbidden.load(Relaxed),
        ),
    ];
    for (name, help, n) in rows {
        metric(out, name, "counter", help);
        let _ = writeln!(out, "{name} {n}");
    }
}
