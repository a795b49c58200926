//! The coverage report of one registry and the fleet's rows: the hub's state (replicas and
//! coverage) with the status rule applied and the cost added. Everything here is read from
//! memory; no request of a page or a client reaches ARM.

use std::collections::BTreeSet;

use replimap_types::{
    CostReport, Coverage, CoverageReport, CoverageStatus, Fleet, FleetRow, RegionCoverage, RegionName, RegistryKey,
    RegistryState, ReplicaPhase, TransferEstimate,
};

use crate::auth::authz::{self, Action};
use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Storage the cost figures assume when the user gives none, in GB: below the 500 GB a
/// Premium unit includes, so storage adds nothing unless the user says otherwise.
pub const DEFAULT_STORAGE_GB: f64 = 100.0;

/// `GET …/coverage`: 404 for a registry the caller may not read.
pub fn report(
    state: &AppState,
    caller: &Caller,
    key: &RegistryKey,
    estimate: TransferEstimate,
    storage_gb: Option<f64>,
) -> AppResult<CoverageReport> {
    authz::require(caller, Action::Read, key)?;
    let reg = registry(state, key)?;
    Ok(build(state, &reg, estimate, storage_gb.unwrap_or(DEFAULT_STORAGE_GB)))
}

/// The registry as the hub has it, or the portal's 404.
pub(crate) fn registry(state: &AppState, key: &RegistryKey) -> AppResult<RegistryState> {
    state.hub.registry(key).ok_or_else(|| {
        AppError::new(
            replimap_types::ErrorCode::RegistryNotFound,
            format!("Registry '{}' is not among the registries the portal watches.", key.name),
        )
    })
}

/// The report of one registry's state.
pub(crate) fn build(
    state: &AppState,
    reg: &RegistryState,
    estimate: TransferEstimate,
    storage_gb: f64,
) -> CoverageReport {
    let empty = Coverage::default();
    let coverage = reg.coverage.as_ref().unwrap_or(&empty);
    let regions = regions(reg, coverage);
    let pick = |s: CoverageStatus| -> Vec<RegionName> {
        regions.iter().filter(|r| r.status == s).map(|r| r.region.clone()).collect()
    };
    let (gaps, idle, unattributed) =
        (pick(CoverageStatus::Gap), pick(CoverageStatus::Idle), pick(CoverageStatus::Unattributed));
    let cost = cost(state, reg, &gaps, estimate, storage_gb);
    let run = state.coverage.last_run();
    CoverageReport {
        figure: coverage.figure(&reg.replications),
        regions,
        gaps,
        idle,
        unattributed,
        discovered_at: reg.coverage.as_ref().map(|c| c.discovered_at.clone()),
        source: run.as_ref().map(|r| r.source.to_owned()),
        warnings: coverage.warnings.clone(),
        cost,
    }
}

/// Every region with workloads or a replica, with its status (regions the rule has no word
/// for, such as the home region with nothing running, are left out).
fn regions(reg: &RegistryState, coverage: &Coverage) -> Vec<RegionCoverage> {
    let names: BTreeSet<&RegionName> =
        coverage.workloads.iter().map(|w| &w.location).chain(reg.replications.iter().map(|r| &r.location)).collect();
    names
        .into_iter()
        .filter_map(|region| {
            let replica = reg.replications.iter().find(|r| &r.location == region);
            let status = coverage.status(region, replica)?;
            Some(RegionCoverage {
                region: region.clone(),
                status,
                replica: replica.map(|r| r.phase()),
                summary: coverage.summary(region),
                workloads: coverage.in_region(region).cloned().collect(),
            })
        })
        .collect()
}

/// What the replicas cost and what the gaps would: each replica (the home one too) is billed
/// as a Premium registry in its region. A registry below Premium has no replicas to price.
fn cost(
    state: &AppState,
    reg: &RegistryState,
    gaps: &[RegionName],
    estimate: TransferEstimate,
    storage_gb: f64,
) -> CostReport {
    let prices = &state.coverage.prices;
    let home = &reg.registry.location;
    if !reg.registry.replicable {
        let none: [&RegionName; 0] = [];
        let mut report = prices.cost_report(home, none, none, storage_gb, estimate);
        report.replicas.clear();
        report.monthly = 0.0;
        return report;
    }
    // A gap with a replica being created (or failed) there is priced with the replicas.
    prices.cost_report(home, reg.replications.iter().map(|r| &r.location), gaps.iter(), storage_gb, estimate)
}

/// Every registry the caller may read, for the fleet page and `GET /api/v1/fleet`.
pub fn fleet(state: &AppState, caller: &Caller) -> Fleet {
    let stuck_after_ms = i64::try_from(state.ui.stuck_after_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let now = crate::audit::now_ms();
    let registries = state
        .hub
        .states()
        .into_iter()
        .filter(|r| authz::can_read(caller, &r.registry.key))
        .map(|reg| {
            let report = build(state, &reg, TransferEstimate::default(), DEFAULT_STORAGE_GB);
            let in_phase = |p: ReplicaPhase| -> Vec<RegionName> {
                reg.replications.iter().filter(|r| r.phase() == p).map(|r| r.location.clone()).collect()
            };
            let stuck = reg
                .replications
                .iter()
                .filter(|r| r.phase().in_flight())
                .filter(|r| {
                    r.phase_since
                        .as_deref()
                        .and_then(replimap_types::rfc3339_ms)
                        .is_some_and(|t| now - t >= stuck_after_ms)
                })
                .map(|r| r.location.clone())
                .collect();
            FleetRow {
                replicas: reg.replications.len(),
                figure: reg.coverage.as_ref().map(|_| report.figure),
                gaps: report.gaps,
                idle: report.idle,
                failed: in_phase(ReplicaPhase::Failed),
                stuck,
                monthly: reg.registry.replicable.then_some(report.cost.monthly),
                error: reg.error.clone(),
                registry: reg.registry,
            }
        })
        .collect();
    Fleet {
        registries,
        basis: state.coverage.prices.basis(),
        discovered_at: state.coverage.last_run().map(|r| r.finished_at),
    }
}
