//! The poll loop of one registry.

use std::sync::Arc;

use replimap_types::{RegistryKey, Replication};
use tokio::sync::Notify;

use super::StatusHub;

/// Longest pause between polls of a registry whose polls keep failing.
const MAX_BACKOFF: std::time::Duration = std::time::Duration::from_secs(60);

/// Polls `key` until the process ends: fast while anything is in flight, slow otherwise,
/// and at once when nudged after a write.
pub(super) async fn run(hub: StatusHub, key: RegistryKey, nudge: Arc<Notify>) {
    let intervals = hub.intervals();
    let mut failures: u32 = 0;
    loop {
        let generation = hub.generation(&key);
        let wait = match poll_once(&hub, &key).await {
            Ok(reps) => {
                failures = 0;
                let busy = reps.iter().any(|r| r.phase().in_flight());
                // A write published while this poll was in flight wins; poll again soon.
                let applied = hub.update_replications(&key, generation, reps);
                if busy || !applied {
                    intervals.fast
                } else {
                    intervals.slow
                }
            }
            Err(e) => {
                failures += 1;
                tracing::warn!(registry = %key, error = %e, failures, "polling replications failed");
                hub.poll_failed(&key, e.public_message());
                // Back off (honouring ARM's Retry-After) instead of hammering a failing ARM.
                let backoff = replimap_types::backoff(intervals.fast, MAX_BACKOFF, failures, 1.0);
                e.retry_after().map_or(backoff, |ra| ra.max(intervals.fast)).min(MAX_BACKOFF)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = nudge.notified() => {}
        }
    }
}

async fn poll_once(hub: &StatusHub, key: &RegistryKey) -> Result<Vec<Replication>, replimap_arm::ArmError> {
    let home = match hub.registry(key) {
        Some(state) => state.registry.location,
        None => return Ok(Vec::new()),
    };
    let mut reps = Vec::new();
    for arm in hub.arm().list_replications(key).await? {
        match arm.into_view(&home) {
            Ok(r) => reps.push(r),
            // One odd entry must not hide the others.
            Err(e) => tracing::warn!(registry = %key, error = %e, "skipping a replication ARM returned"),
        }
    }
    reps.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(reps)
}
