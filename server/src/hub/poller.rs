//! The poll loop of one registry (run, and restarted when it dies, by the supervisor).

use std::sync::Arc;
use std::time::Duration;

use replimap_types::{RegistryKey, Replication};
use tokio::sync::Notify;

use super::supervisor::Exit;
use super::StatusHub;

/// Longest pause between polls of a registry whose polls keep failing.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// A poll that takes longer than this is hung (the ARM client's own request time-out and
/// retries end well before): the run fails and the supervisor starts a fresh one rather than
/// leaving the registry silently unpolled.
const POLL_DEADLINE: Duration = Duration::from_secs(300);

/// Polls `key` until the hub stops watching it: fast while anything is in flight, slow
/// otherwise, and at once when nudged after a write.
pub(super) async fn run(hub: StatusHub, key: RegistryKey, nudge: Arc<Notify>) -> Exit {
    let intervals = hub.intervals();
    let mut failures: u32 = 0;
    loop {
        let generation = hub.generation(&key);
        let outcome = match tokio::time::timeout(POLL_DEADLINE, poll_once(&hub, &key)).await {
            Ok(outcome) => outcome,
            Err(_) => return Exit::Failed(format!("a poll did not finish within {POLL_DEADLINE:?}")),
        };
        if let Polled::Failed(e) = &outcome {
            if e.is_not_found() && registry_is_gone(&hub, &key).await {
                // Deleted (or its resource group or subscription was): polling again would only
                // repeat the 404, so the registry leaves the hub now, not at the next discovery.
                tracing::info!(registry = %key, error = %e, "the registry no longer exists in ARM; no longer watching it");
                return Exit::Gone;
            }
        }
        let wait = match outcome {
            Polled::Unwatched => return Exit::Stopped,
            Polled::Replicas(reps) => {
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
            Polled::Failed(e) => {
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

enum Polled {
    Replicas(Vec<Replication>),
    Failed(replimap_arm::ArmError),
    /// The hub no longer watches the registry (removed, or no longer Premium).
    Unwatched,
}

async fn poll_once(hub: &StatusHub, key: &RegistryKey) -> Polled {
    let Some(home) = hub.registry(key).filter(|s| s.registry.replicable).map(|s| s.registry.location) else {
        return Polled::Unwatched;
    };
    let listed = match hub.arm().list_replications(key).await {
        Ok(listed) => listed,
        Err(e) => return Polled::Failed(e),
    };
    let mut reps = Vec::new();
    for arm in listed {
        match arm.into_view(&home) {
            Ok(r) => reps.push(r),
            // One odd entry must not hide the others.
            Err(e) => tracing::warn!(registry = %key, error = %e, "skipping a replication ARM returned"),
        }
    }
    reps.sort_by(|a, b| a.name.cmp(&b.name));
    Polled::Replicas(reps)
}

/// Asks ARM for the registry itself after its replica list answered 404. Gone only when
/// that answers 404 too; if the registry is still there (its SKU may have changed under
/// us), discovery is asked to read the list now and the 404 counts as a failed poll.
async fn registry_is_gone(hub: &StatusHub, key: &RegistryKey) -> bool {
    match hub.arm().get_registry(key).await {
        Err(e) if e.is_not_found() => true,
        Ok(_) => {
            hub.rediscover();
            false
        }
        Err(e) => {
            tracing::debug!(registry = %key, error = %e, "could not check whether the registry still exists");
            false
        }
    }
}
