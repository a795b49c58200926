//! What the hub counts for `/metrics`: how the watched set changes and how its pollers fare.
//! Plain atomics, bumped where the thing happens; nothing here is read on a hot path.

use std::sync::atomic::{AtomicU64, Ordering};

/// Why a poller was restarted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartReason {
    /// Its task panicked.
    Panic,
    /// Its task ended with an error.
    Error,
}

impl RestartReason {
    /// The `reason` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Panic => "panic",
            Self::Error => "error",
        }
    }
}

/// How a registry stopped being watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Removal {
    /// Re-discovery no longer listed it.
    Discovery,
    /// Its poller got 404 and ARM confirmed the registry is gone.
    NotFound,
}

#[derive(Debug, Default)]
pub(super) struct Counters {
    removed_discovery: AtomicU64,
    removed_not_found: AtomicU64,
    sku_changes: AtomicU64,
    restarts_panic: AtomicU64,
    restarts_error: AtomicU64,
    discovery_runs: AtomicU64,
    discovery_failures: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub(super) fn removed(&self, how: Removal) {
        bump(match how {
            Removal::Discovery => &self.removed_discovery,
            Removal::NotFound => &self.removed_not_found,
        });
    }

    pub(super) fn sku_changed(&self) {
        bump(&self.sku_changes);
    }

    pub(super) fn restarted(&self, reason: RestartReason) {
        bump(match reason {
            RestartReason::Panic => &self.restarts_panic,
            RestartReason::Error => &self.restarts_error,
        });
    }

    pub(super) fn discovery_run(&self, failed: bool) {
        bump(&self.discovery_runs);
        if failed {
            bump(&self.discovery_failures);
        }
    }

    pub(super) fn read(&self, registries_watched: usize, pollers: usize) -> HubCounters {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        HubCounters {
            registries_watched,
            pollers,
            removed_on_discovery: get(&self.removed_discovery),
            removed_not_found: get(&self.removed_not_found),
            sku_changes: get(&self.sku_changes),
            restarts_panic: get(&self.restarts_panic),
            restarts_error: get(&self.restarts_error),
            discovery_runs: get(&self.discovery_runs),
            discovery_failures: get(&self.discovery_failures),
        }
    }
}

/// The hub's figures for `/metrics`, read at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HubCounters {
    /// Registries the hub watches now (replicable or not).
    pub registries_watched: usize,
    /// Running poller supervisors (one per replicable registry).
    pub pollers: usize,
    /// Registries dropped because re-discovery no longer listed them.
    pub removed_on_discovery: u64,
    /// Registries dropped because their poller got 404 and ARM confirmed they are gone.
    pub removed_not_found: u64,
    /// SKU changes noticed on re-discovery.
    pub sku_changes: u64,
    /// Pollers restarted after a panic.
    pub restarts_panic: u64,
    /// Pollers restarted after ending with an error.
    pub restarts_error: u64,
    /// Discovery runs (each lists every configured subscription).
    pub discovery_runs: u64,
    /// Runs in which at least one subscription could not be listed.
    pub discovery_failures: u64,
}
