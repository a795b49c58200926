//! Registry discovery: which registries the hub watches. Lists them in every configured
//! subscription until ARM answers, then again every few minutes (or at once when the hub
//! asks), and hands each answer to [`StatusHub::reconcile`], so registries created, deleted or
//! changed after start-up appear, vanish or change without a restart.

use std::time::Duration;

use replimap_arm::ArmClient;
use replimap_types::SubscriptionId;

use super::{Discovered, StatusHub};
use crate::config;

/// How often the registry list is re-read by default ([`StatusHub::set_rediscover_interval`]
/// changes it).
pub const REDISCOVER: Duration = Duration::from_secs(300);

/// Longest wait between attempts while the list has never been read.
const FIRST_READ_MAX_WAIT: Duration = Duration::from_secs(30);

/// Finds the registries to watch and hands them to the hub; retries until ARM answers,
/// then re-reads the list at the hub's re-discovery interval.
pub async fn discover(
    arm: ArmClient,
    hub: StatusHub,
    subscriptions: Vec<SubscriptionId>,
    filter: config::RegistryFilter,
) {
    let mut wait = Duration::from_millis(500);
    loop {
        let every = hub.rediscover_interval();
        match list_registries(&arm, &subscriptions).await {
            Ok(mut found) => {
                hub.discovery_ran(!found.unlisted.is_empty());
                found.registries.retain(|r| filter.allows(&r.key));
                tracing::debug!(count = found.registries.len(), "registries listed");
                hub.reconcile(found);
                wait = every;
            }
            Err(e) => {
                hub.discovery_ran(true);
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "could not list registries");
                wait = if hub.discovered() { every } else { (wait * 2).min(FIRST_READ_MAX_WAIT) };
            }
        }
        // A request for a run now (a poller that found its registry changed, a new interval)
        // cuts the wait short.
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = hub.rediscover_requested() => {}
        }
    }
}

async fn list_registries(
    arm: &ArmClient,
    subscriptions: &[SubscriptionId],
) -> Result<Discovered, replimap_arm::ArmError> {
    let subs = if subscriptions.is_empty() { arm.list_subscriptions().await? } else { subscriptions.to_vec() };
    let mut out = Discovered::default();
    let mut last_err = None;
    for sub in &subs {
        // One subscription without ACR rights (403) or without the provider registered (409)
        // must not hide the registries of the others, nor make them look deleted.
        match arm.list_registries(sub).await {
            Ok(regs) => {
                for reg in regs {
                    match reg.into_summary() {
                        Ok(s) => out.registries.push(s),
                        Err(e) => tracing::warn!(error = %e, "skipping a registry ARM returned"),
                    }
                }
            }
            Err(e) => {
                tracing::warn!(subscription = %sub, error = %e, "could not list registries of a subscription");
                out.unlisted.insert(sub.clone());
                last_err = Some(e);
            }
        }
    }
    match last_err {
        Some(e) if out.unlisted.len() == subs.len() => Err(e),
        _ => Ok(out),
    }
}
