//! Where images run: workload discovery, attribution to registries, coverage, cost and the
//! plan that fills the gaps.
//!
//! Data flows one way: `discovery` reads the workloads of every configured subscription
//! (Resource Graph, or ARM listing where Resource Graph is refused) on a slow timer or when
//! asked, never per browser client; `attribution` ties each workload to the registries its
//! evidence names; `refresh` publishes each registry's [`replimap_types::Coverage`] through
//! the status hub when it changed, so it reaches every page on the event stream and the
//! snapshot. Per-region status is derived from that and the replicas by
//! [`replimap_types::Coverage::status`] (the one rule, shared with the page); `report` adds
//! the cost from `pricing`; `plan` proposes and creates the replicas for the gaps.

pub mod attribution;
pub mod discovery;
pub mod plan;
pub mod pricing;
pub mod refresh;
pub mod report;

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;

/// Settings of discovery and the fill.
#[derive(Debug, Clone)]
pub struct CoverageSettings {
    /// Whether workload discovery runs at all.
    pub enabled: bool,
    /// How often discovery re-reads the workloads.
    pub interval: Duration,
    /// How many creates a fill runs at once.
    pub fill_parallelism: usize,
}

impl Default for CoverageSettings {
    fn default() -> Self {
        Self { enabled: true, interval: Duration::from_secs(600), fill_parallelism: 4 }
    }
}

/// What the last discovery run did, for the report, `/metrics` and the figures.
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    /// When it finished (RFC 3339).
    pub finished_at: String,
    /// `resource graph` or `arm listing`.
    pub source: &'static str,
    /// Resource Graph queries sent (pages count one each).
    pub graph_calls: u64,
    /// Plain ARM reads sent (listings, pages and per-resource GETs).
    pub arm_calls: u64,
    /// Workloads found.
    pub workloads: usize,
    /// How long it took.
    pub duration: Duration,
    /// Why it is incomplete, for people.
    pub warnings: Vec<String>,
}

/// The coverage side of the shared state.
pub struct CoverageService {
    /// Settings.
    pub settings: CoverageSettings,
    /// The prices the cost figures use.
    pub prices: pricing::Prices,
    /// The last run, if any.
    pub last: Mutex<Option<RunInfo>>,
    /// Totals since start: runs, calls, fallbacks (for `/metrics`).
    pub totals: Mutex<Totals>,
    /// Asks the discovery loop to run now.
    pub refresh_now: Notify,
}

/// Counters since start.
#[derive(Debug, Clone, Copy, Default)]
pub struct Totals {
    /// Discovery runs finished.
    pub runs: u64,
    /// Runs that failed outright.
    pub failures: u64,
    /// Runs that fell back from Resource Graph to ARM listing.
    pub fallbacks: u64,
    /// Resource Graph queries.
    pub graph_calls: u64,
    /// ARM reads.
    pub arm_calls: u64,
}

impl CoverageService {
    /// A service with these settings and prices.
    pub fn new(settings: CoverageSettings, prices: pricing::Prices) -> Self {
        Self {
            settings,
            prices,
            last: Mutex::new(None),
            totals: Mutex::new(Totals::default()),
            refresh_now: Notify::new(),
        }
    }

    /// The last run.
    pub fn last_run(&self) -> Option<RunInfo> {
        self.last.lock().map(|g| g.clone()).unwrap_or_default()
    }

    /// Counters since start.
    pub fn totals(&self) -> Totals {
        self.totals.lock().map(|g| *g).unwrap_or_default()
    }

    /// Asks for a discovery run now (coalesced with one already asked for).
    pub fn refresh(&self) {
        self.refresh_now.notify_one();
    }
}
