//! What the page knows, as plain data: regions, the registries from the status stream and
//! the writes this tab has started. No signals and no browser APIs here, so the rules that
//! decide what a marker or a row shows are unit-tested on the host.
//!
//! This module holds `Model`, the event reducer (`apply`) and the registry selection; writes
//! in flight, the region view, changes and highlights, and the stream state each have their
//! own module (`writes`, `region_view`, `changes`, `stream`), re-exported here.

pub mod access;
pub mod audit;
mod changes;
pub mod cli;
pub mod coverage;
pub mod duration;
#[cfg(test)]
mod fixtures;
mod region_state;
mod region_view;
mod stream;
pub mod table;
pub mod tags;
pub mod tokens;
mod vec_map;
mod writes;

use std::collections::BTreeMap;

use replimap_types::{
    Applied, Region, RegionName, RegistryKey, RegistryName, RegistryState, RegistrySummary, ReplicaPhase,
    ReplicationName, ResourceGroupName, StatusEvent, SubscriptionId,
};

pub use changes::{LastEvent, FLASH_MS};
pub use region_state::{RegionState, Unavailable};
pub use region_view::RegionView;
pub use stream::{reconnect_delay_ms, StreamStatus, RECONNECT_MAX_MS, RECONNECT_MIN_MS};
pub use vec_map::{VecMap, VecSet};
pub use writes::Pending;

use changes::{describe_change, snapshot_changes};

/// Sorts `v` stably by `cmp`. An insertion sort: the page's lists are short (62 regions at
/// most), and each element type the standard library's sort is used for costs about 1 KB of
/// the compressed WASM.
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> std::cmp::Ordering) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && cmp(&v[j - 1], &v[j]).is_gt() {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// A region of one registry: the key of per-region bookkeeping (writes, highlights, last
/// events). The registry part is its name (ACR names are globally unique, and compare
/// case-insensitively), so switching registries never mixes their regions up.
pub type Spot = (RegistryName, RegionName);

/// The page's data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    /// Every physical region, sorted by display name.
    pub regions: Vec<Region>,
    /// Watched registries, as of the last snapshot plus deltas.
    pub registries: Vec<RegistryState>,
    /// Whether the first snapshot has arrived.
    pub loaded: bool,
    /// The registry named in the URL, if any.
    pub wanted: Option<String>,
    /// Writes in flight.
    pub pending: VecMap<Spot, Pending>,
    /// Spots of `pending` whose write the portal answered with 202 (accepted by ARM).
    pub accepted: VecSet<Spot>,
    /// The `Idempotency-Key` of the last write per spot, until the portal answered it or the
    /// stream shows its effect: the same action sent again (a retry after no answer) reuses it.
    pub keys: Vec<(Spot, Pending, String)>,
    /// Spots where this tab changed something that is still settling: their progress is
    /// not "made elsewhere" and is not highlighted.
    pub mine: VecSet<Spot>,
    /// Highlights of changes made elsewhere, until when (ms).
    pub flash: VecMap<Spot, i64>,
    /// The last change per spot.
    pub last: VecMap<Spot, LastEvent>,
    /// Syncing longer than this (ms) is flagged as possibly stuck.
    pub stuck_after_ms: i64,
}

impl Model {
    /// Keeps every region in a stable order (display name, then name).
    pub fn set_regions(&mut self, mut regions: Vec<Region>) {
        sort_by(&mut regions, |a, b| a.display_name.cmp(&b.display_name).then_with(|| a.name.cmp(&b.name)));
        self.regions = regions;
    }

    /// Applies one stream event received at `now_ms`. Returns a message for the alert when
    /// the event reports a failed write on the selected registry.
    pub fn apply(&mut self, event: StatusEvent, now_ms: i64) -> Option<String> {
        let mut alert = None;
        // Spots whose replica came to rest (ready, failed or gone): once no write of this tab
        // is pending there, later changes there are someone else's.
        let mut rested: Vec<Spot> = Vec::new();
        match event {
            StatusEvent::Snapshot { registries } => {
                // After a reconnect, what changed while the stream was down is news too.
                if self.loaded {
                    for (spot, text) in snapshot_changes(&self.registries, &registries) {
                        self.note(spot, text, now_ms);
                    }
                }
                self.registries = registries;
                self.loaded = true;
            }
            StatusEvent::ReplicationUpserted { ref registry, .. }
            | StatusEvent::ReplicationRemoved { ref registry, .. } => {
                // The stream's one reducer (the hub applies it too); the page notes what it did.
                let applied =
                    self.state_mut(registry).map(|state| (state.registry.key.name.clone(), state.apply(&event)));
                match applied {
                    Some((reg, Applied::Upserted { before, after })) => {
                        let spot = (reg, after.location.clone());
                        self.note(spot.clone(), describe_change(before.as_ref(), &after), now_ms);
                        if matches!(after.phase(), ReplicaPhase::Ready | ReplicaPhase::Failed) {
                            rested.push(spot);
                        }
                    }
                    Some((reg, Applied::Removed(gone))) => {
                        let spot = (reg, gone.location);
                        self.note(spot.clone(), "Replica removed".to_owned(), now_ms);
                        rested.push(spot);
                    }
                    _ => {}
                }
            }
            StatusEvent::OperationFailed { registry, name, message } => {
                if let Some(spot) = self.spot_of(&registry, &name) {
                    // Noted while still ours, so our own failure is not highlighted as news.
                    self.note(spot.clone(), format!("Failed: {message}"), now_ms);
                    self.abandon(&spot);
                }
                if self.is_selected(&registry) {
                    alert = Some(message);
                }
            }
            StatusEvent::RegistryError { ref registry, .. } | StatusEvent::CoverageChanged { ref registry, .. } => {
                if let Some(state) = self.state_mut(registry) {
                    state.apply(&event);
                }
            }
            // Audit records: the region card and the activity page keep their own lists.
            StatusEvent::Activity { .. } => {}
        }
        self.settle_pending();
        for spot in rested {
            if !self.pending.contains_key(&spot) {
                self.mine.remove(&spot);
            }
        }
        alert
    }

    /// The registry the page shows: the one named in the URL, or else the first one that
    /// supports geo-replication (by name).
    pub fn selected(&self) -> Option<&RegistryState> {
        match &self.wanted {
            Some(name) => self.registries.iter().find(|s| s.registry.key.name.as_str().eq_ignore_ascii_case(name)),
            None => self.registries.iter().filter(|s| s.registry.replicable).min_by_key(|s| &s.registry.key.name),
        }
    }

    /// The name from the URL when no watched registry has it (once the list has loaded).
    pub fn missing(&self) -> Option<&str> {
        let name = self.wanted.as_deref()?;
        (self.loaded && self.selected().is_none()).then_some(name)
    }

    /// The selected registry's summary.
    pub fn selected_registry(&self) -> Option<&RegistrySummary> {
        self.selected().map(|s| &s.registry)
    }

    /// Every registry, grouped by subscription and resource group (each group sorted by
    /// name), for the picker.
    pub fn registry_groups(&self) -> Vec<(String, Vec<RegistrySummary>)> {
        let mut groups: BTreeMap<(SubscriptionId, ResourceGroupName), Vec<RegistrySummary>> = BTreeMap::new();
        for s in &self.registries {
            let k = &s.registry.key;
            groups.entry((k.subscription_id.clone(), k.resource_group.clone())).or_default().push(s.registry.clone());
        }
        groups
            .into_values()
            .map(|mut regs| {
                sort_by(&mut regs, |a, b| a.key.name.cmp(&b.key.name));
                let k = &regs[0].key;
                (format!("{} / {}", k.subscription_id, k.resource_group), regs)
            })
            .collect()
    }

    /// A region by name.
    pub fn region(&self, name: &RegionName) -> Option<&Region> {
        self.regions.iter().find(|r| &r.name == name)
    }

    /// Display name of a region, falling back to its name for regions ARM did not list.
    pub fn display_name(&self, name: &RegionName) -> String {
        self.region(name).map_or_else(|| name.to_string(), |r| r.display_name.clone())
    }

    /// The spot of `region` in the selected registry.
    pub fn selected_spot(&self, region: &RegionName) -> Option<Spot> {
        Some((self.selected_registry()?.key.name.clone(), region.clone()))
    }

    fn is_selected(&self, key: &RegistryKey) -> bool {
        self.selected().is_some_and(|s| s.registry.key == *key)
    }

    fn state_mut(&mut self, key: &RegistryKey) -> Option<&mut RegistryState> {
        self.registries.iter_mut().find(|s| s.registry.key == *key)
    }

    /// The spot of a replication named in an event: its location if the replica is known,
    /// else the name (portal-created replicas are named after their region).
    fn spot_of(&self, key: &RegistryKey, name: &ReplicationName) -> Option<Spot> {
        let state = self.registries.iter().find(|s| s.registry.key == *key);
        let location = state
            .and_then(|s| s.replications.iter().find(|r| &r.name == name))
            .map(|r| r.location.clone())
            .or_else(|| name.as_str().parse::<RegionName>().ok())?;
        Some((key.name.clone(), location))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{je, key, model, state_of, NOW};
    use replimap_types::CreateReplication;

    #[test]
    fn sorting_is_stable() {
        let mut v = [(2, 'a'), (1, 'b'), (2, 'c'), (0, 'd'), (1, 'e')];
        sort_by(&mut v, |a, b| a.0.cmp(&b.0));
        assert_eq!(v, [(0, 'd'), (1, 'b'), (1, 'e'), (2, 'a'), (2, 'c')]);
        let mut empty: [u8; 0] = [];
        sort_by(&mut empty, u8::cmp);
    }

    #[test]
    fn the_first_premium_registry_is_shown_unless_the_url_names_one() {
        let mut m = model();
        assert_eq!(m.selected_registry().unwrap().key.name.as_str(), "myregistry");
        m.wanted = Some("BASICONE".into());
        assert_eq!(m.selected_registry().unwrap().key.name.as_str(), "basicone");
        assert_eq!(state_of(&m, "eastus").0, RegionState::Home);
        let v = m.region_view(&je(), NOW).unwrap();
        assert_eq!((v.state, v.unavailable), (RegionState::Unavailable, Some(Unavailable::Sku)));
        m.wanted = Some("nope".into());
        assert_eq!(m.missing(), Some("nope"));
        let groups = m.registry_groups();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].1.iter().map(|r| r.key.name.to_string()).collect::<Vec<_>>(), ["basicone", "myregistry"]);
    }

    #[test]
    fn a_failed_operation_clears_the_pending_write_and_raises_an_alert() {
        let mut m = model();
        m.begin(je(), Pending::Create(CreateReplication::default()), String::new);
        let alert = m.apply(
            StatusEvent::OperationFailed {
                registry: key("myregistry"),
                name: "japaneast".parse().unwrap(),
                message: "Conflict".into(),
            },
            NOW,
        );
        assert_eq!(alert.as_deref(), Some("Conflict"));
        assert_eq!(state_of(&m, "japaneast").0, RegionState::Available);
        assert_eq!(m.region_view(&je(), NOW).unwrap().last_event.unwrap().text, "Failed: Conflict");
    }
}
