//! What replicas cost and what they save (docs/coverage.md §B): a bundled, dated price
//! snapshot, refreshed from the Azure Retail Prices API at start and daily when configured.
//!
//! Every figure is an estimate beside its [`PriceBasis`], never a quote. The model:
//! a replica costs a Premium Registry Unit a day for an average month plus its copy of the
//! storage above what the unit includes; it saves the inter-region transfer its region's
//! pulls would otherwise cost; it breaks even at `monthly / rate` GB a month. At the bundled
//! prices that is about 2,500 GB within North America or Europe: egress alone rarely pays for
//! a replica, and [`break_even_note`] says so.

mod retail;
mod snapshot;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use replimap_types::{CostReport, PriceBasis, RegionName, ReplicaCost, TransferEstimate};
use url::Url;

pub use snapshot::{Continent, TransferRates};

/// The average Gregorian month. The Premium unit's meter is `1/Day`: a month is this many
/// days, not 730 hours (a trap public estimators fell into).
pub const DAYS_PER_MONTH: f64 = 30.4375;

/// How often [`refresh_loop`] reads the Retail Prices API: prices change rarely.
pub const REFRESH_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// After a failed refresh the next try comes sooner than a day: one network blip at start
/// should not leave the snapshot in place until tomorrow.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60 * 60);

const SNAPSHOT_SOURCE: &str = "bundled snapshot";
const RETAIL_SOURCE: &str = "Azure Retail Prices API";

/// Why a refresh from the Retail Prices API failed. The prices stay what they were.
#[derive(Debug, thiserror::Error)]
pub enum PricingError {
    /// The request did not complete (refused, timed out, TLS).
    #[error("the Retail Prices API could not be reached: {0}")]
    Transport(String),
    /// The API answered with an error status.
    #[error("the Retail Prices API answered HTTP {0}")]
    Status(u16),
    /// A page is not the API's envelope.
    #[error("the Retail Prices API's answer does not parse: {0}")]
    Decode(#[source] serde_json::Error),
    /// Prices in another currency: the figures are USD throughout.
    #[error("the Retail Prices API answered in {0}, not USD")]
    Currency(String),
    /// A price or link makes no sense.
    #[error("the Retail Prices API's answer is malformed: {0}")]
    Malformed(String),
    /// No `Premium Registry Unit` row at all.
    #[error("the Retail Prices API's answer has no Premium Registry Unit price")]
    NoPrices,
    /// `NextPageLink` went on for longer than Container Registry's rows can.
    #[error("the Retail Prices API's answer runs past {0} pages")]
    TooManyPages(usize),
    /// `NextPageLink` points at another origin than the configured one.
    #[error("the Retail Prices API's next page is on another origin ({0})")]
    ForeignLink(String),
    /// The bundled snapshot or region list does not parse (a build problem; tests catch it).
    #[error("the bundled price snapshot: {0}")]
    Snapshot(String),
}

/// The prices the cost figures use. Cheap to clone: clones share one table, which a refresh
/// replaces whole, so a report is always computed from one consistent price list.
#[derive(Clone)]
pub struct Prices {
    table: Arc<RwLock<Arc<Table>>>,
}

/// One price list: the snapshot's, or the snapshot's overlaid with the Retail API's meters.
#[derive(Debug, Clone)]
struct Table {
    currency: String,
    as_of: String,
    source: &'static str,
    snapshot_as_of: String,
    /// USD a day for regions without a price of their own.
    unit_default: f64,
    unit_by_region: HashMap<RegionName, f64>,
    /// USD per GB-month for regions without a price of their own.
    stored_default: f64,
    stored_by_region: HashMap<RegionName, f64>,
    included_gb: f64,
    transfer: TransferRates,
    transfer_as_of: String,
    zones: HashMap<RegionName, Continent>,
}

impl Prices {
    /// The bundled snapshot. Called at start-up; the snapshot and the region list are part
    /// of the build, and the tests parse both.
    #[allow(clippy::expect_used)]
    pub fn bundled() -> Self {
        Self::try_bundled().expect("the bundled price snapshot parses")
    }

    /// The bundled snapshot, or why it does not parse.
    pub fn try_bundled() -> Result<Self, PricingError> {
        let s = snapshot::Snapshot::embedded().map_err(|e| PricingError::Snapshot(e.to_string()))?;
        let regions = crate::regions::Regions::embedded().map_err(|e| PricingError::Snapshot(e.to_string()))?;
        let table = Table {
            currency: s.currency,
            as_of: s.as_of.clone(),
            source: SNAPSHOT_SOURCE,
            snapshot_as_of: s.as_of,
            unit_default: s.premium_registry_unit.per_day,
            unit_by_region: s.premium_registry_unit.by_region,
            stored_default: s.data_stored.per_gb_month,
            stored_by_region: HashMap::new(),
            included_gb: s.included_storage.gb_per_premium_unit,
            zones: s.continents.of_regions(regions.all()),
            transfer: s.transfer.per_gb,
            transfer_as_of: s.transfer.date,
        };
        Ok(Self { table: Arc::new(RwLock::new(Arc::new(table))) })
    }

    fn current(&self) -> Arc<Table> {
        // A writer replaces the table in one assignment, so a poisoned lock still holds a
        // whole table.
        self.table.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Where the prices come from and what the figures assume.
    pub fn basis(&self) -> PriceBasis {
        self.current().basis()
    }

    /// USD per GB from `home` to `region`: zero within a region, else by transfer zone pair.
    pub fn transfer_per_gb(&self, home: &RegionName, region: &RegionName) -> f64 {
        self.current().transfer_per_gb(home, region)
    }

    /// What a replica in `region` of a registry homed in `home` costs a month and saves, for a
    /// registry storing `storage_gb` and the pulls of `estimate` in that region.
    pub fn replica_cost(
        &self,
        home: &RegionName,
        region: &RegionName,
        storage_gb: f64,
        estimate: TransferEstimate,
    ) -> ReplicaCost {
        self.current().replica_cost(home, region, storage_gb, estimate)
    }

    /// What the home region itself costs a month (billed as a replica is, saving nothing).
    pub fn home_cost(&self, home: &RegionName, storage_gb: f64) -> ReplicaCost {
        self.current().replica_cost(home, home, storage_gb, TransferEstimate { pulls_per_month: 0.0, gb_per_pull: 0.0 })
    }

    /// The cost part of the coverage report: `replicas` are the regions the registry has
    /// (the home one is put first, and added when missing), `proposed` the regions the gaps
    /// call for (regions already replicated are left out). Both are deduplicated in order.
    pub fn cost_report<'a>(
        &self,
        home: &RegionName,
        replicas: impl IntoIterator<Item = &'a RegionName>,
        proposed: impl IntoIterator<Item = &'a RegionName>,
        storage_gb: f64,
        estimate: TransferEstimate,
    ) -> CostReport {
        let table = self.current();
        let estimate = TransferEstimate {
            pulls_per_month: non_negative(estimate.pulls_per_month),
            gb_per_pull: non_negative(estimate.gb_per_pull),
        };
        let storage_gb = non_negative(storage_gb);
        let mut seen = HashSet::new();
        let replicas: Vec<ReplicaCost> = std::iter::once(home.clone())
            .chain(replicas.into_iter().cloned())
            .filter(|r| seen.insert(r.clone()))
            .map(|r| table.replica_cost(home, &r, storage_gb, estimate))
            .collect();
        let proposed: Vec<ReplicaCost> = proposed
            .into_iter()
            .filter(|r| seen.insert((*r).clone()))
            .map(|r| table.replica_cost(home, r, storage_gb, estimate))
            .collect();
        CostReport {
            basis: table.basis(),
            estimate,
            storage_gb,
            monthly: replicas.iter().map(|c| c.monthly).sum(),
            proposed_monthly: proposed.iter().map(|c| c.monthly).sum(),
            replicas,
            proposed,
        }
    }

    /// Reads the Container Registry meters from the Retail Prices API at `url` (e.g.
    /// `https://prices.azure.com/api/retail/prices`) and, if the whole answer is good, uses
    /// them from now on: the number of regions with a Premium unit price. On any failure the
    /// prices stay what they were; the caller logs the error once. Transfer rates stay the
    /// snapshot's.
    pub async fn refresh(&self, url: &Url) -> Result<usize, PricingError> {
        let items = retail::fetch(url).await?;
        let found = retail::container_registry(&items)?;
        let regions = found.unit.len();
        self.apply(found, today_utc());
        Ok(regions)
    }

    fn apply(&self, found: retail::RetailPrices, as_of: String) {
        let mut slot = self.table.write().unwrap_or_else(PoisonError::into_inner);
        let mut next = Table::clone(&slot);
        next.source = RETAIL_SOURCE;
        next.as_of = as_of;
        next.currency = "USD".into();
        next.unit_by_region = found.unit;
        next.stored_by_region = found.stored;
        *slot = Arc::new(next);
    }
}

impl fmt::Debug for Prices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.current();
        f.debug_struct("Prices").field("source", &t.source).field("as_of", &t.as_of).finish_non_exhaustive()
    }
}

impl Table {
    fn transfer_per_gb(&self, home: &RegionName, region: &RegionName) -> f64 {
        if home == region {
            return self.transfer.same_region;
        }
        self.transfer.between(self.zones.get(home).copied(), self.zones.get(region).copied())
    }

    fn replica_cost(
        &self,
        home: &RegionName,
        region: &RegionName,
        storage_gb: f64,
        estimate: TransferEstimate,
    ) -> ReplicaCost {
        let unit = self.unit_by_region.get(region).copied().unwrap_or(self.unit_default);
        let stored = self.stored_by_region.get(region).copied().unwrap_or(self.stored_default);
        let registry_monthly = unit * DAYS_PER_MONTH;
        let storage_monthly = (non_negative(storage_gb) - self.included_gb).max(0.0) * stored;
        let monthly = registry_monthly + storage_monthly;
        let transfer_per_gb = self.transfer_per_gb(home, region);
        let pulled_gb = non_negative(estimate.pulls_per_month) * non_negative(estimate.gb_per_pull);
        ReplicaCost {
            region: region.clone(),
            registry_monthly,
            storage_monthly,
            monthly,
            transfer_per_gb,
            transfer_saved_monthly: pulled_gb * transfer_per_gb,
            // JSON has no infinity: a free transfer never breaks even, written 0 (the basis
            // says what 0 means).
            break_even_gb: if transfer_per_gb > 0.0 { monthly / transfer_per_gb } else { 0.0 },
        }
    }

    fn basis(&self) -> PriceBasis {
        let priced = self.unit_by_region.len();
        let fallback = if self.source == RETAIL_SOURCE {
            format!(
                "Regions the Azure Retail Prices API gave no Premium Registry Unit price for use {} USD a day from the bundled snapshot of {}.",
                self.unit_default, self.snapshot_as_of
            )
        } else {
            format!(
                "Regions without a sourced price of their own ({priced} have one) use the Premium Registry Unit of {} USD a day.",
                self.unit_default
            )
        };
        let (lo, hi) = self.transfer.range();
        PriceBasis {
            currency: self.currency.clone(),
            as_of: self.as_of.clone(),
            source: self.source.into(),
            assumptions: vec![
                "Estimates from public list prices, not a quote: see azure.microsoft.com/pricing/details/container-registry.".into(),
                fallback,
                format!("A month is {DAYS_PER_MONTH} days (the average); the Premium Registry Unit is billed per day."),
                "Each replica is billed a Premium Registry Unit and holds a full copy of the registry's storage, as Microsoft documents for geo-replication.".into(),
                format!(
                    "Each replica is assumed to include its own {} GB before Data Stored ({:.2} USD per GB-month) applies; Microsoft does not say.",
                    self.included_gb, self.stored_default
                ),
                format!(
                    "Inter-region transfer rates ({lo:.2}–{hi:.2} USD per GB by continent pair, same region free) are commonly published figures of {}, still to verify; the Retail Prices API's Bandwidth meters are not mapped to region pairs, so a refresh leaves them as they are.",
                    self.transfer_as_of
                ),
                "Regions missing from the region list are priced at the cheapest inter-continent rate.".into(),
                "A break-even of 0 GB means no transfer charge applies (same region): egress never pays for that replica.".into(),
            ],
        }
    }
}

/// One sentence for people on whether egress pays for a replica: "Egress alone pays for
/// this replica above 2,540 GB of cross-region pulls a month; latency, pull speed and
/// regional resilience are the usual reasons." (with a second sentence when the estimate
/// already clears it).
pub fn break_even_note(cost: &ReplicaCost) -> String {
    const REASONS: &str = "latency, pull speed and regional resilience are the usual reasons";
    if cost.transfer_per_gb <= 0.0 || cost.break_even_gb <= 0.0 {
        return format!(
            "Pulls from the home region here cost no transfer, so egress never pays for this replica; {REASONS}."
        );
    }
    let mut note = format!(
        "Egress alone pays for this replica above {} GB of cross-region pulls a month; {REASONS}.",
        gb(cost.break_even_gb)
    );
    let estimated = cost.transfer_saved_monthly / cost.transfer_per_gb;
    if estimated >= cost.break_even_gb {
        note.push_str(&format!(" At the estimated {} GB a month, it already does.", gb(estimated)));
    }
    note
}

/// Reads the Retail Prices API at start and then every `every` (a failure retries within an
/// hour), logging each outcome; runs until the task is dropped. Spawn it once.
pub async fn refresh_loop(prices: Prices, url: Url, every: Duration) {
    let mut failing = false;
    loop {
        let wait = match prices.refresh(&url).await {
            Ok(regions) => {
                tracing::info!(%url, regions, "prices refreshed from the Azure Retail Prices API");
                failing = false;
                every
            }
            Err(error) => {
                let basis = prices.basis();
                // Once per outage: an offline portal would otherwise warn every hour.
                if failing {
                    tracing::debug!(%url, %error, "price refresh failed again");
                } else {
                    tracing::warn!(%url, %error, source = %basis.source, as_of = %basis.as_of, "price refresh failed; keeping the prices there were");
                }
                failing = true;
                every.min(RETRY_AFTER_FAILURE)
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// User input and sums can be negative or NaN; costs are computed from zero up.
fn non_negative(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x
    } else {
        0.0
    }
}

/// `2,540`: to the nearest 10 from 100 up, whole gigabytes below.
fn gb(x: f64) -> String {
    let n = if x >= 100.0 { (x / 10.0).round() as u64 * 10 } else { x.round() as u64 };
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn today_utc() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// An error and its causes on one line (reqwest's `Display` leaves the cause out).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

#[cfg(test)]
mod tests;
