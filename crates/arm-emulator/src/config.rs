//! Emulator settings: how long long-running operations take, list page size,
//! the initial state ([`Seed`]), an optional state file, ARM throttling and the
//! lifetime of the access tokens it issues.

use std::path::PathBuf;
use std::time::Duration;

use crate::seed::Seed;
use crate::throttle::Throttling;

/// Settings for an [`Emulator`](crate::Emulator). Build with struct update
/// syntax: `EmulatorConfig { provisioning_delay: Duration::from_millis(200), ..Default::default() }`.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Time a replica spends `Creating` or `Deleting` (and a registry `Deleting`).
    pub provisioning_delay: Duration,
    /// Time a replica spends `Updating` after a PATCH or a changing PUT.
    pub update_delay: Duration,
    /// Items per list page; more items produce an absolute `nextLink`.
    pub page_size: usize,
    /// Seconds sent in `Retry-After` on 201/202 and on running operations.
    pub retry_after_secs: u64,
    /// Initial subscriptions, resource groups, registries and replicas.
    pub seed: Seed,
    /// ARM token-bucket throttling per subscription; `None` (the default)
    /// never throttles, so tests stay deterministic.
    pub throttling: Option<Throttling>,
    /// State file: loaded at start instead of `seed` when it exists, rewritten
    /// after every change. `None` keeps everything in memory.
    pub state_file: Option<PathBuf>,
    /// Lifetime of the access tokens the emulator issues (token endpoint and
    /// [`EmulatorHandle::credential`](crate::EmulatorHandle::credential)); whole
    /// seconds count. Entra ID's default is about an hour.
    pub token_lifetime: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            provisioning_delay: Duration::from_secs(3),
            update_delay: Duration::from_secs(1),
            page_size: 100,
            retry_after_secs: 1,
            seed: Seed::default(),
            throttling: None,
            state_file: None,
            token_lifetime: Duration::from_secs(3599),
        }
    }
}

/// The run-time adjustable part of the config (admin API `POST /_emulator/config`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timings {
    pub provisioning_delay: Duration,
    pub update_delay: Duration,
    pub page_size: usize,
    pub retry_after_secs: u64,
    pub token_lifetime: Duration,
}

impl From<&EmulatorConfig> for Timings {
    fn from(c: &EmulatorConfig) -> Self {
        Self {
            provisioning_delay: c.provisioning_delay,
            update_delay: c.update_delay,
            // A zero page size would make paging loop forever.
            page_size: c.page_size.max(1),
            retry_after_secs: c.retry_after_secs,
            token_lifetime: c.token_lifetime,
        }
    }
}
