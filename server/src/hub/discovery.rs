//! Registry discovery: which registries the hub watches. Lists them in every configured
//! subscription until ARM answers, then again every few minutes, so registries created after
//! start-up appear.

use std::time::Duration;

use replimap_arm::ArmClient;

use super::StatusHub;
use crate::config;

/// How often the registry list is re-read, so registries created after start-up appear.
const REDISCOVER: Duration = Duration::from_secs(300);

/// Finds the registries to watch and hands them to the hub; retries until ARM answers,
/// then re-reads the list every few minutes.
pub async fn discover(
    arm: ArmClient,
    hub: StatusHub,
    subscriptions: Vec<replimap_types::SubscriptionId>,
    filter: config::RegistryFilter,
) {
    let mut wait = Duration::from_millis(500);
    loop {
        match list_registries(&arm, &subscriptions).await {
            Ok(mut regs) => {
                regs.retain(|r| filter.allows(&r.key));
                tracing::info!(count = regs.len(), "watching registries");
                hub.watch(regs);
                wait = REDISCOVER;
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "could not list registries");
                wait = if hub.discovered() { REDISCOVER } else { (wait * 2).min(Duration::from_secs(30)) };
            }
        }
        tokio::time::sleep(wait).await;
    }
}

async fn list_registries(
    arm: &ArmClient,
    subscriptions: &[replimap_types::SubscriptionId],
) -> Result<Vec<replimap_types::RegistrySummary>, replimap_arm::ArmError> {
    let subs = if subscriptions.is_empty() { arm.list_subscriptions().await? } else { subscriptions.to_vec() };
    let mut out = Vec::new();
    let mut last_err = None;
    let mut ok = 0;
    for sub in &subs {
        // One subscription without ACR rights (403) or without the provider registered (409)
        // must not hide the registries of the others.
        match arm.list_registries(sub).await {
            Ok(regs) => {
                ok += 1;
                for reg in regs {
                    match reg.into_summary() {
                        Ok(s) => out.push(s),
                        Err(e) => tracing::warn!(error = %e, "skipping a registry ARM returned"),
                    }
                }
            }
            Err(e) => {
                tracing::warn!(subscription = %sub, error = %e, "could not list registries of a subscription");
                last_err = Some(e);
            }
        }
    }
    match last_err {
        Some(e) if ok == 0 => Err(e),
        _ => Ok(out),
    }
}
