//! What the page knows, as plain data: regions, the registries from the status stream and
//! the writes this tab has started. No signals and no browser APIs here, so the rules that
//! decide what a marker or a row shows are unit-tested on the host.

use std::collections::{BTreeMap, BTreeSet};

use replimap_types::{
    RegionName, Region, RegistryKey, RegistryState, RegistrySummary, ReplicaPhase, Replication, ReplicationName,
    StatusEvent,
};

/// A write this tab sent and whose result the status stream has not shown yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// `PUT` sent; waiting for the replica to appear.
    Create,
    /// `DELETE` sent; waiting for the replica to disappear.
    Delete,
}

/// What a region is for the selected registry; one word per marker (`data-state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegionState {
    /// The registry's home region (it always holds a replica).
    Home,
    /// A replica that is provisioned and ready.
    Ready,
    /// A replica being created (or a create this tab just sent).
    Creating,
    /// A replica being updated.
    Updating,
    /// A replica being deleted (or a delete this tab just sent).
    Deleting,
    /// A provisioned replica that is still catching up.
    Syncing,
    /// A replica whose provisioning failed.
    Failed,
    /// No replica; one can be created here.
    Available,
}

impl RegionState {
    /// Every state, in the order the legend lists them.
    pub const ALL: [RegionState; 8] = [
        Self::Home,
        Self::Ready,
        Self::Creating,
        Self::Syncing,
        Self::Updating,
        Self::Deleting,
        Self::Failed,
        Self::Available,
    ];

    /// The word used in `data-state` and CSS.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Home => "home",
            Self::Ready => "ready",
            Self::Creating => "creating",
            Self::Updating => "updating",
            Self::Deleting => "deleting",
            Self::Syncing => "syncing",
            Self::Failed => "failed",
            Self::Available => "available",
        }
    }

    /// Whether ARM (or the replica's initial sync) is still working on it.
    pub fn in_progress(self) -> bool {
        matches!(self, Self::Creating | Self::Updating | Self::Deleting | Self::Syncing)
    }

    fn from_phase(phase: ReplicaPhase) -> Self {
        match phase {
            ReplicaPhase::Creating => Self::Creating,
            ReplicaPhase::Updating => Self::Updating,
            ReplicaPhase::Deleting => Self::Deleting,
            ReplicaPhase::Syncing => Self::Syncing,
            ReplicaPhase::Ready => Self::Ready,
            ReplicaPhase::Failed => Self::Failed,
        }
    }
}

/// Everything a marker and the dialog need to know about one region.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionView {
    /// The region.
    pub region: Region,
    /// Its state for the selected registry.
    pub state: RegionState,
    /// The registry's replica there, if the stream has shown one.
    pub replica: Option<Replication>,
    /// A write this tab started there.
    pub pending: Option<Pending>,
    /// Whether the portal has answered that write with 202 (ARM accepted it). Until then the
    /// request may still be refused.
    pub accepted: bool,
    /// Accessible name: display name and state, e.g. `Japan East — replica ready`.
    pub label: String,
}

impl RegionView {
    /// Whether this is the registry's home region.
    pub fn is_home(&self) -> bool {
        self.state == RegionState::Home
    }
}

/// Connection state of the live status stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamStatus {
    /// Not connected yet (also what the server renders).
    #[default]
    Connecting,
    /// Connected; events flow.
    Live,
    /// Lost; the browser (or we) will reconnect.
    Reconnecting,
}

impl StreamStatus {
    /// The word used in `data-state`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Live => "live",
            Self::Reconnecting => "reconnecting",
        }
    }

    /// Text next to the indicator.
    pub fn text(self) -> &'static str {
        match self {
            Self::Connecting => "Connecting…",
            Self::Live => "Live",
            Self::Reconnecting => "Reconnecting…",
        }
    }
}

/// First delay before reopening a lost status stream, in milliseconds.
pub const RECONNECT_MIN_MS: u32 = 1_000;
/// Longest delay between two attempts to reopen the status stream, in milliseconds.
pub const RECONNECT_MAX_MS: u32 = 30_000;

/// How long to wait before reopening the status stream after `failures` attempts in a row
/// failed (0 for the first retry): 1 s, doubling per failure, capped at 30 s. Half of the
/// delay is random (`jitter` in `[0, 1)`, e.g. `Math.random()`), so tabs that lost the same
/// server do not all come back in the same instant.
pub fn reconnect_delay_ms(failures: u32, jitter: f64) -> u32 {
    let base = RECONNECT_MIN_MS.saturating_mul(1u32 << failures.min(16)).min(RECONNECT_MAX_MS);
    let half = base / 2;
    // In [0, half]: the cast cannot overflow.
    let random = (f64::from(half) * jitter.clamp(0.0, 1.0)).round() as u32;
    half + random.min(half)
}

/// The page's data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    /// Regions that accept replicas, sorted by display name.
    pub regions: Vec<Region>,
    /// Watched registries, as of the last snapshot plus deltas.
    pub registries: Vec<RegistryState>,
    /// Whether the first snapshot has arrived.
    pub loaded: bool,
    /// Writes in flight, by region of the selected registry.
    pub pending: BTreeMap<RegionName, Pending>,
    /// Regions of `pending` whose write the portal answered with 202 (accepted by ARM).
    pub accepted: BTreeSet<RegionName>,
}

impl Model {
    /// Keeps the regions a replica can be placed in, in a stable order.
    pub fn set_regions(&mut self, regions: Vec<Region>) {
        let mut regions: Vec<Region> = regions.into_iter().filter(|r| r.accepts_replicas).collect();
        regions.sort_by(|a, b| a.display_name.cmp(&b.display_name).then_with(|| a.name.cmp(&b.name)));
        self.regions = regions;
    }

    /// Applies one stream event. Returns a message for the alert when the event reports a
    /// failed write on the selected registry.
    pub fn apply(&mut self, event: StatusEvent) -> Option<String> {
        let mut alert = None;
        match event {
            StatusEvent::Snapshot { registries } => {
                self.registries = registries;
                self.loaded = true;
            }
            StatusEvent::ReplicationUpserted { registry, mut replication } => {
                if let Some(state) = self.state_mut(&registry) {
                    // The stream may omit `isHome` on deltas; the home region decides.
                    replication.is_home |= replication.location == state.registry.location;
                    match state.replications.iter_mut().find(|r| r.name == replication.name) {
                        Some(existing) => *existing = replication,
                        None => state.replications.push(replication),
                    }
                    state.replications.sort_by(|a, b| a.name.cmp(&b.name));
                }
            }
            StatusEvent::ReplicationRemoved { registry, name } => {
                if let Some(state) = self.state_mut(&registry) {
                    state.replications.retain(|r| r.name != name);
                }
            }
            StatusEvent::OperationFailed { registry, name, message } => {
                if self.is_selected(&registry) {
                    self.forget_pending_for(&name);
                    alert = Some(message);
                }
            }
            StatusEvent::RegistryError { registry, error } => {
                if let Some(state) = self.state_mut(&registry) {
                    state.error = error;
                }
            }
        }
        self.settle_pending();
        alert
    }

    /// The registry the page manages: for now the first replicable one in the snapshot.
    pub fn selected(&self) -> Option<&RegistryState> {
        self.registries.iter().find(|s| s.registry.replicable)
    }

    /// The selected registry's summary.
    pub fn selected_registry(&self) -> Option<&RegistrySummary> {
        self.selected().map(|s| &s.registry)
    }

    /// The selected registry's replicas, sorted by name (as the table shows them).
    pub fn replicas(&self) -> Vec<Replication> {
        let mut replicas = self.selected().map(|s| s.replications.clone()).unwrap_or_default();
        replicas.sort_by(|a, b| a.name.cmp(&b.name));
        replicas
    }

    /// A region by name, among those that accept replicas.
    pub fn region(&self, name: &RegionName) -> Option<&Region> {
        self.regions.iter().find(|r| &r.name == name)
    }

    /// Display name of a region, falling back to its name for regions not on the map.
    pub fn display_name(&self, name: &RegionName) -> String {
        self.region(name).map_or_else(|| name.to_string(), |r| r.display_name.clone())
    }

    /// One view per region, in `regions` order.
    pub fn region_views(&self) -> Vec<RegionView> {
        self.regions.iter().map(|r| self.view_of(r)).collect()
    }

    /// The view of one region.
    pub fn region_view(&self, name: &RegionName) -> Option<RegionView> {
        self.region(name).map(|r| self.view_of(r))
    }

    fn view_of(&self, region: &Region) -> RegionView {
        let selected = self.selected();
        let replica = selected.and_then(|s| s.replications.iter().find(|r| r.location == region.name)).cloned();
        let pending = self.pending.get(&region.name).copied();
        let accepted = pending.is_some() && self.accepted.contains(&region.name);
        let is_home = selected.is_some_and(|s| s.registry.location == region.name)
            || replica.as_ref().is_some_and(|r| r.is_home);
        let phase = replica.as_ref().map(|r| RegionState::from_phase(r.phase()));
        let state = match (is_home, phase, pending) {
            (true, _, _) => RegionState::Home,
            (false, _, Some(Pending::Delete)) => RegionState::Deleting,
            (false, Some(phase), _) => phase,
            (false, None, Some(Pending::Create)) => RegionState::Creating,
            (false, None, None) => RegionState::Available,
        };
        let name = &region.display_name;
        let label = match state {
            RegionState::Home => match phase {
                Some(phase) => format!("{name} — home replica, {}", phase.as_str()),
                None => format!("{name} — home replica"),
            },
            RegionState::Available => format!("{name} — available"),
            other => format!("{name} — replica {}", other.as_str()),
        };
        RegionView { region: region.clone(), state, replica, pending, accepted, label }
    }

    /// Records a write this tab is about to send.
    pub fn begin(&mut self, region: RegionName, pending: Pending) {
        self.accepted.remove(&region);
        self.pending.insert(region, pending);
    }

    /// The portal answered the write in `region` with 202: ARM accepted it. Ignored when the
    /// stream already settled the write. Returns whether anything changed.
    pub fn accept(&mut self, region: &RegionName) -> bool {
        self.pending.contains_key(region) && self.accepted.insert(region.clone())
    }

    /// Drops the record of a write that failed before ARM accepted it.
    pub fn abandon(&mut self, region: &RegionName) {
        self.pending.remove(region);
        self.accepted.remove(region);
    }

    /// Regions with a write in flight, with their display names, for the progress line.
    pub fn pending_list(&self) -> Vec<(String, Pending)> {
        self.pending.iter().map(|(r, p)| (self.display_name(r), *p)).collect()
    }

    fn is_selected(&self, key: &RegistryKey) -> bool {
        self.selected().is_some_and(|s| s.registry.key.same_resource(key))
    }

    fn state_mut(&mut self, key: &RegistryKey) -> Option<&mut RegistryState> {
        self.registries.iter_mut().find(|s| s.registry.key.same_resource(key))
    }

    fn forget_pending_for(&mut self, name: &ReplicationName) {
        let location = self
            .selected()
            .and_then(|s| s.replications.iter().find(|r| &r.name == name))
            .map(|r| r.location.clone())
            .or_else(|| name.as_str().parse::<RegionName>().ok());
        if let Some(location) = location {
            self.abandon(&location);
        }
    }

    /// A pending write is done once the stream shows its effect: the replica appeared
    /// (create) or disappeared (delete).
    fn settle_pending(&mut self) {
        let present: Vec<RegionName> =
            self.selected().map(|s| s.replications.iter().map(|r| r.location.clone()).collect()).unwrap_or_default();
        self.pending.retain(|region, pending| match pending {
            Pending::Create => !present.contains(region),
            Pending::Delete => present.contains(region),
        });
        let pending = &self.pending;
        self.accepted.retain(|region| pending.contains_key(region));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn region(name: &str, display: &str, accepts: bool) -> Region {
        serde_json::from_value(json!({
            "name": name, "displayName": display, "latitude": 1.0, "longitude": 2.0, "acceptsReplicas": accepts
        }))
        .unwrap()
    }

    fn key() -> RegistryKey {
        serde_json::from_value(json!({
            "subscriptionId": "00000000-0000-0000-0000-000000000001", "resourceGroup": "rg", "name": "myregistry"
        }))
        .unwrap()
    }

    fn replica(name: &str, state: &str, status: Option<&str>) -> Replication {
        serde_json::from_value(json!({
            "name": name, "location": name, "provisioningState": state,
            "status": {"displayStatus": status}, "regionEndpointEnabled": true, "isHome": name == "eastus"
        }))
        .unwrap()
    }

    fn model() -> Model {
        let mut m = Model::default();
        m.set_regions(vec![
            region("japaneast", "Japan East", true),
            region("eastus", "East US", true),
            region("westeurope", "West Europe", true),
            region("eastusstg", "East US STG", false),
        ]);
        let registry: RegistrySummary = serde_json::from_value(json!({
            "key": key(), "location": "eastus", "sku": "Premium", "replicable": true
        }))
        .unwrap();
        m.apply(StatusEvent::Snapshot {
            registries: vec![RegistryState {
                registry,
                replications: vec![replica("eastus", "Succeeded", Some("Ready"))],
                error: None,
            }],
        });
        m
    }

    fn state_of(m: &Model, name: &str) -> (RegionState, String) {
        let v = m.region_view(&name.parse().unwrap()).unwrap();
        (v.state, v.label)
    }

    #[test]
    fn hides_regions_that_do_not_accept_replicas_and_sorts_by_display_name() {
        let names: Vec<_> = model().regions.iter().map(|r| r.name.to_string()).collect();
        assert_eq!(names, ["eastus", "japaneast", "westeurope"]);
    }

    #[test]
    fn labels_name_the_region_and_its_state() {
        let m = model();
        assert_eq!(state_of(&m, "eastus"), (RegionState::Home, "East US — home replica, ready".into()));
        assert_eq!(state_of(&m, "westeurope"), (RegionState::Available, "West Europe — available".into()));
    }

    #[test]
    fn a_create_is_pending_until_the_stream_shows_the_replica() {
        let mut m = model();
        let je: RegionName = "japaneast".parse().unwrap();
        m.begin(je.clone(), Pending::Create);
        assert_eq!(state_of(&m, "japaneast").0, RegionState::Creating);
        m.apply(StatusEvent::ReplicationUpserted { registry: key(), replication: replica("japaneast", "Creating", None) });
        assert!(m.pending.is_empty());
        m.apply(StatusEvent::ReplicationUpserted {
            registry: key(),
            replication: replica("japaneast", "Succeeded", Some("Ready")),
        });
        assert_eq!(state_of(&m, "japaneast"), (RegionState::Ready, "Japan East — replica ready".into()));
        assert_eq!(m.replicas().iter().map(|r| r.name.to_string()).collect::<Vec<_>>(), ["eastus", "japaneast"]);
    }

    #[test]
    fn a_delete_shows_deleting_until_the_replica_is_gone() {
        let mut m = model();
        m.apply(StatusEvent::ReplicationUpserted {
            registry: key(),
            replication: replica("japaneast", "Succeeded", Some("Ready")),
        });
        m.begin("japaneast".parse().unwrap(), Pending::Delete);
        assert_eq!(state_of(&m, "japaneast").0, RegionState::Deleting);
        m.apply(StatusEvent::ReplicationRemoved { registry: key(), name: "japaneast".parse().unwrap() });
        assert_eq!(state_of(&m, "japaneast").0, RegionState::Available);
        assert!(m.pending.is_empty());
    }

    #[test]
    fn a_failed_operation_clears_the_pending_write_and_raises_an_alert() {
        let mut m = model();
        m.begin("japaneast".parse().unwrap(), Pending::Create);
        let alert = m.apply(StatusEvent::OperationFailed {
            registry: key(),
            name: "japaneast".parse().unwrap(),
            message: "Conflict".into(),
        });
        assert_eq!(alert.as_deref(), Some("Conflict"));
        assert_eq!(state_of(&m, "japaneast").0, RegionState::Available);
    }

    #[test]
    fn syncing_and_failed_replicas_keep_their_phase() {
        let mut m = model();
        m.apply(StatusEvent::ReplicationUpserted {
            registry: key(),
            replication: replica("japaneast", "Succeeded", Some("Syncing")),
        });
        assert_eq!(state_of(&m, "japaneast"), (RegionState::Syncing, "Japan East — replica syncing".into()));
        m.apply(StatusEvent::ReplicationUpserted { registry: key(), replication: replica("westeurope", "Failed", None) });
        assert_eq!(state_of(&m, "westeurope").0, RegionState::Failed);
    }

    #[test]
    fn a_write_is_accepted_only_once_the_portal_says_so() {
        let mut m = model();
        let je: RegionName = "japaneast".parse().unwrap();
        assert!(!m.accept(&je), "no write in flight, nothing to accept");
        assert!(m.accepted.is_empty());
        m.begin(je.clone(), Pending::Create);
        assert!(!m.region_view(&je).unwrap().accepted);
        assert!(m.accept(&je));
        assert!(m.region_view(&je).unwrap().accepted);
        m.apply(StatusEvent::ReplicationUpserted { registry: key(), replication: replica("japaneast", "Creating", None) });
        assert!(m.pending.is_empty() && m.accepted.is_empty());
        m.begin(je.clone(), Pending::Delete);
        assert!(!m.region_view(&je).unwrap().accepted, "a new write starts unaccepted");
        m.abandon(&je);
        assert!(m.accepted.is_empty());
    }

    #[test]
    fn reconnect_delays_grow_to_a_cap_with_jitter() {
        assert_eq!(reconnect_delay_ms(0, 0.0), 500);
        assert_eq!(reconnect_delay_ms(0, 1.0), 1_000);
        assert_eq!(reconnect_delay_ms(1, 1.0), 2_000);
        assert_eq!(reconnect_delay_ms(3, 0.5), 6_000);
        for failures in [5, 6, 40, u32::MAX] {
            assert_eq!(reconnect_delay_ms(failures, 0.0), 15_000);
            assert_eq!(reconnect_delay_ms(failures, 0.999_999), 30_000);
        }
        let mut last = 0;
        for failures in 0..10 {
            let d = reconnect_delay_ms(failures, 1.0);
            assert!(d >= last && d <= RECONNECT_MAX_MS);
            last = d;
        }
    }
}
