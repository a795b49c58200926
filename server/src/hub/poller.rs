//! The poll loop of one registry.

use std::sync::Arc;

use replimap_types::{RegistryKey, Replication};
use tokio::sync::Notify;

use super::StatusHub;

/// Polls `key` until the process ends: fast while anything is in flight, slow otherwise,
/// and at once when nudged after a write.
pub(super) async fn run(hub: StatusHub, key: RegistryKey, nudge: Arc<Notify>) {
    let intervals = hub.intervals();
    loop {
        let busy = match poll_once(&hub, &key).await {
            Ok(reps) => {
                let busy = reps.iter().any(|r| r.phase().in_flight());
                hub.update_replications(&key, reps);
                busy
            }
            Err(e) => {
                tracing::warn!(registry = %key, error = %e, "polling replications failed");
                hub.poll_failed(&key, e.user_message());
                true
            }
        };
        let wait = if busy { intervals.fast } else { intervals.slow };
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
