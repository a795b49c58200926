//! The region view: everything one region's marker, card and row show, derived from the model.

use std::collections::BTreeMap;

use replimap_types::{rfc3339_ms, CoverageStatus, Region, RegionName, Replication};

use super::{LastEvent, Model, Pending, RegionState, Unavailable};

/// Everything a marker, the card and the dialog need to know about one region.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionView {
    /// The region.
    pub region: Region,
    /// Its state for the selected registry.
    pub state: RegionState,
    /// Why no replica can be placed here, when `state` is `Unavailable`.
    pub unavailable: Option<Unavailable>,
    /// The registry's replica there, if the stream has shown one.
    pub replica: Option<Replication>,
    /// A write this tab started there.
    pub pending: Option<Pending>,
    /// Whether the portal has answered that write with 202 (ARM accepted it). Until then the
    /// request may still be refused.
    pub accepted: bool,
    /// Since when the replica has been in its phase (ms since the epoch), if known.
    pub since_ms: Option<i64>,
    /// Syncing for longer than the configured threshold.
    pub stuck: bool,
    /// Changed elsewhere a moment ago.
    pub flash: bool,
    /// The last change the stream reported here.
    pub last_event: Option<LastEvent>,
    /// The region's coverage for the selected registry (`None`: nothing runs here, or
    /// discovery has not read the workloads).
    pub coverage: Option<CoverageStatus>,
    /// How many of the registry's workloads (attributed or not) run here.
    pub workload_count: usize,
    /// Their count by kind, `2 AKS clusters · 1 container app` (empty when none).
    pub workloads: String,
    /// Accessible name: display name and state, e.g. `Japan East — replica ready`; a gap's
    /// starts with `Gap:`.
    pub label: String,
}

impl RegionView {
    /// Whether this is the registry's home region.
    pub fn is_home(&self) -> bool {
        self.state == RegionState::Home
    }

    /// Whether a write is in flight here (`aria-busy` on marker and row): this tab's, or any
    /// ARM shows as creating, updating or deleting. Syncing is not a write.
    pub fn busy(&self) -> bool {
        self.pending.is_some()
            || matches!(self.state, RegionState::Creating | RegionState::Updating | RegionState::Deleting)
    }
}

impl Model {
    /// One view per region, in `regions` order.
    pub fn region_views(&self, now_ms: i64) -> Vec<RegionView> {
        self.regions.iter().map(|r| self.view_of(r, now_ms)).collect()
    }

    /// The view of one region.
    pub fn region_view(&self, name: &RegionName, now_ms: i64) -> Option<RegionView> {
        self.region(name).map(|r| self.view_of(r, now_ms))
    }

    /// Regions where a replica of the selected registry can be created now.
    pub fn available_regions(&self) -> Vec<Region> {
        self.regions.iter().filter(|r| self.view_of(r, 0).state == RegionState::Available).cloned().collect()
    }

    /// How many replicas of the selected registry are in each state (for the wall screen).
    pub fn counts(&self, now_ms: i64) -> BTreeMap<RegionState, usize> {
        let mut counts = BTreeMap::new();
        for view in self.region_views(now_ms) {
            if view.replica.is_some() || view.pending.is_some() {
                *counts.entry(view.state).or_insert(0) += 1;
            }
        }
        counts
    }

    fn view_of(&self, region: &Region, now_ms: i64) -> RegionView {
        let selected = self.selected();
        let spot = self.selected_spot(&region.name);
        let replica = selected.and_then(|s| s.replications.iter().find(|r| r.location == region.name)).cloned();
        let pending = spot.as_ref().and_then(|s| self.pending.get(s)).cloned();
        let accepted = pending.is_some() && spot.as_ref().is_some_and(|s| self.accepted.contains(s));
        let home =
            selected.is_some_and(|s| s.registry.location == region.name) || replica.as_ref().is_some_and(|r| r.is_home);
        let replicable = selected.is_some_and(|s| s.registry.replicable);
        let unavailable = match (&replica, home) {
            (Some(_), _) | (None, true) => None,
            (None, false) if !replicable && selected.is_some() => Some(Unavailable::Sku),
            (None, false) if !region.accepts_replicas => Some(Unavailable::Region),
            _ => None,
        };
        let state = RegionState::derive(home, replica.as_ref(), pending.as_ref(), unavailable);
        let since_ms = replica.as_ref().and_then(|r| r.phase_since.as_deref()).and_then(rfc3339_ms);
        let stuck = state == RegionState::Syncing
            && self.stuck_after_ms > 0
            && since_ms.is_some_and(|since| now_ms - since >= self.stuck_after_ms);
        let flash = spot.as_ref().and_then(|s| self.flash.get(s)).is_some_and(|until| *until > now_ms);
        let last_event = spot.as_ref().and_then(|s| self.last.get(s)).cloned();
        let (coverage, workload_count, workloads) =
            super::coverage::of_region(selected.and_then(|s| s.coverage.as_ref()), &region.name, replica.as_ref());
        let text = state_text(state, replica.as_ref(), pending.as_ref(), unavailable, stuck);
        let name = &region.display_name;
        let label = match coverage {
            Some(CoverageStatus::Gap) => {
                let text = if state == RegionState::Available { "no replica" } else { &text };
                format!("Gap: {name}, {workloads}, {text}")
            }
            _ => format!("{name} — {text}{}", super::coverage::label_tail(coverage, &workloads).unwrap_or_default()),
        };
        RegionView {
            region: region.clone(),
            state,
            unavailable,
            replica,
            pending,
            accepted,
            since_ms,
            stuck,
            flash,
            last_event,
            coverage,
            workload_count,
            workloads,
            label,
        }
    }
}

/// The state in words, after the region's name: `home replica, ready`, `available`.
fn state_text(
    state: RegionState,
    replica: Option<&Replication>,
    pending: Option<&Pending>,
    unavailable: Option<Unavailable>,
    stuck: bool,
) -> String {
    match state {
        RegionState::Home => match (pending, replica.map(Replication::phase)) {
            (Some(Pending::Update(_)), _) => "home replica, updating".to_owned(),
            (_, Some(phase)) => format!("home replica, {}", phase.as_str()),
            (_, None) => "home replica".to_owned(),
        },
        RegionState::Available => "available".to_owned(),
        RegionState::Unavailable => format!("not available: {}", unavailable.map_or("", Unavailable::reason)),
        RegionState::RoutingOff => "replica ready, routing off".to_owned(),
        RegionState::Syncing if stuck => "replica syncing, possibly stuck".to_owned(),
        // The label is what a screen reader says: it carries ARM's reason, not just "failed".
        RegionState::Failed => match replica.and_then(|r| r.status.message.as_deref()).filter(|m| !m.is_empty()) {
            Some(why) => format!("replica failed: {why}"),
            None => "replica failed".to_owned(),
        },
        other => format!("replica {}", other.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{je, model, replica, state_of, upsert, NOW};

    #[test]
    fn regions_not_offered_are_unavailable_with_the_reason() {
        let m = model();
        assert_eq!(
            state_of(&m, "eastusstg"),
            (
                RegionState::Unavailable,
                "East US STG — not available: Azure does not offer this region for replicas".into()
            )
        );
        assert_eq!(state_of(&m, "eastus"), (RegionState::Home, "East US — home replica, ready".into()));
        assert_eq!(state_of(&m, "westeurope"), (RegionState::Available, "West Europe — available".into()));
        assert_eq!(m.available_regions().len(), 2);
    }

    #[test]
    fn syncing_past_the_threshold_is_flagged_as_stuck() {
        let mut m = model();
        upsert(&mut m, replica("japaneast", "Succeeded", Some("Syncing")));
        let v = m.region_view(&je(), NOW).unwrap();
        assert!(v.stuck, "an hour in Syncing, threshold 30 min");
        assert_eq!(v.label, "Japan East — replica syncing, possibly stuck");
        assert!(!m.region_view(&je(), NOW - 45 * 60_000).unwrap().stuck);
        upsert(&mut m, replica("westeurope", "Failed", None));
        assert_eq!(state_of(&m, "westeurope").0, RegionState::Failed);
        let counts = m.counts(NOW);
        assert_eq!(counts[&RegionState::Home], 1);
        assert_eq!(counts[&RegionState::Syncing], 1);
        assert_eq!(counts[&RegionState::Failed], 1);
        assert!(!counts.contains_key(&RegionState::Available));
    }
}
