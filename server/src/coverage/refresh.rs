//! The discovery loop: reads the workloads every `settings.interval` or when asked
//! ([`CoverageService::refresh`], coalesced: a request during a run means one more run, not
//! one per request), ties them to the hub's registries and publishes
//! [`StatusEvent::CoverageChanged`] for each registry whose workloads or warnings changed, so
//! an idle run wakes no browser. Browsers never cause a run: they read the hub's state.
//!
//! When the hub's registries change (one created, deleted or given a login server), the
//! last inventory is attributed again at once, without ARM calls.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use replimap_arm::ResourceGraph;
use replimap_types::{RegistryKey, RegistrySummary, StatusEvent, SubscriptionId};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::discovery::{self, Inventory, Source};
use super::{attribution, CoverageService, RunInfo};
use crate::hub::StatusHub;
use crate::state::AppState;

/// How often the hub's registry list is compared with the one last attributed (a clone of
/// the summaries: cheap).
const REGISTRY_CHECK: Duration = Duration::from_secs(2);

/// How soon a failed run is tried again (unless the interval is shorter).
const RETRY_FAILED: Duration = Duration::from_secs(60);

/// How often to look whether the hub has read the registry list yet.
const HUB_WAIT: Duration = Duration::from_millis(200);

/// The discovery loop, for as long as the hub runs. `subscriptions` are the configured ones
/// (all the credential can see when empty). Spawn it once, when
/// `state.coverage.settings.enabled`.
pub async fn run(state: AppState, subscriptions: Vec<SubscriptionId>) {
    let closed = state.hub.closed();
    tokio::select! {
        _ = closed => {}
        _ = run_until_closed(&state, &subscriptions) => {}
    }
}

async fn run_until_closed(state: &AppState, subscriptions: &[SubscriptionId]) {
    let (hub, service) = (&state.hub, &*state.coverage);
    // Attribution needs the registries, so the first run waits for the hub's first list.
    while !hub.discovered() {
        tokio::time::sleep(HUB_WAIT).await;
    }
    let graph = ResourceGraph::new(state.arm.clone());
    let mut last: Option<(Inventory, String)> = None;
    let mut attributed_to = fingerprint(&hub.registries());
    loop {
        let wait = match discover(&graph, subscriptions, hub, service).await {
            Some(found) => {
                attributed_to = fingerprint(&hub.registries());
                last = Some(found);
                service.settings.interval
            }
            None => service.settings.interval.min(RETRY_FAILED),
        };
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => break,
                _ = service.refresh_now.notified() => break,
                _ = tokio::time::sleep(REGISTRY_CHECK) => {
                    let now = fingerprint(&hub.registries());
                    if now != attributed_to {
                        if let Some((inv, at)) = &last {
                            let changed = publish(hub, inv, at);
                            tracing::info!(registries = now.len(), changed, "registries changed; workloads attributed again");
                        }
                        attributed_to = now;
                    }
                }
            }
        }
    }
}

/// One run: read, record, publish. `None` when it failed (the last coverage stays).
async fn discover(
    graph: &ResourceGraph,
    subscriptions: &[SubscriptionId],
    hub: &StatusHub,
    service: &CoverageService,
) -> Option<(Inventory, String)> {
    let graph_before = graph.queries_sent();
    let started = Instant::now();
    let result = discovery::read(graph, subscriptions).await;
    let mut totals = service.totals.lock().unwrap_or_else(|p| p.into_inner());
    totals.runs += 1;
    let inv = match result {
        Ok(inv) => inv,
        Err(e) => {
            totals.failures += 1;
            totals.graph_calls += graph.queries_sent() - graph_before;
            drop(totals);
            tracing::warn!(error = %e, duration_ms = started.elapsed().as_millis() as u64, "workload discovery failed; keeping the last coverage");
            return None;
        }
    };
    totals.graph_calls += inv.graph_calls;
    totals.arm_calls += inv.arm_calls;
    if inv.source == Source::ArmListing {
        totals.fallbacks += 1;
    }
    drop(totals);
    let finished_at = now();
    let workloads = attribution::workloads(&inv).len();
    let changed = publish(hub, &inv, &finished_at);
    tracing::info!(
        source = inv.source.as_str(),
        workloads,
        resources = inv.resources.len(),
        graph_calls = inv.graph_calls,
        arm_calls = inv.arm_calls,
        duration_ms = inv.duration.as_millis() as u64,
        warnings = inv.warnings.len(),
        changed,
        "workload discovery ran"
    );
    let info = RunInfo {
        finished_at: finished_at.clone(),
        source: inv.source.as_str(),
        graph_calls: inv.graph_calls,
        arm_calls: inv.arm_calls,
        workloads,
        duration: inv.duration,
        warnings: inv.warnings.clone(),
    };
    *service.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(info);
    Some((inv, finished_at))
}

/// Attributes `inv` to the hub's registries and publishes each coverage that differs from
/// the hub's in workloads or warnings (a new `discovered_at` alone is no change). Returns how
/// many were published.
fn publish(hub: &StatusHub, inv: &Inventory, discovered_at: &str) -> usize {
    let coverage = attribution::attribute(inv, &hub.registries(), discovered_at);
    let mut changed = 0;
    for (registry, coverage) in coverage {
        let Some(current) = hub.registry(&registry) else { continue };
        let same = current
            .coverage
            .as_ref()
            .is_some_and(|c| c.workloads == coverage.workloads && c.warnings == coverage.warnings);
        if !same {
            hub.publish(StatusEvent::CoverageChanged { registry, coverage });
            changed += 1;
        }
    }
    changed
}

/// What attribution depends on of the registries: their keys and login servers.
fn fingerprint(registries: &[RegistrySummary]) -> BTreeMap<RegistryKey, Option<String>> {
    registries.iter().map(|r| (r.key.clone(), r.login_server.clone())).collect()
}

fn now() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default()
}
