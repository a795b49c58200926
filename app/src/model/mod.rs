//! What the page knows, as plain data: regions, the registries from the status stream and
//! the writes this tab has started. No signals and no browser APIs here, so the rules that
//! decide what a marker or a row shows are unit-tested on the host.

pub mod cli;
pub mod duration;
mod region_state;
pub mod table;
pub mod tags;

use std::collections::{BTreeMap, BTreeSet};

use replimap_types::{
    rfc3339_ms, Applied, CreateReplication, ProvisioningState, Region, RegionName, RegistryKey, RegistryName,
    RegistryState, RegistrySummary, ReplicaPhase, Replication, ReplicationName, ResourceGroupName, StatusEvent,
    SubscriptionId, UpdateReplication, ZoneRedundancy,
};

pub use region_state::{RegionState, Unavailable};

/// How long a change made elsewhere stays highlighted, in milliseconds.
pub const FLASH_MS: i64 = 4_000;

/// A write this tab sent and whose result the status stream has not shown yet.
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    /// `PUT` sent (with this body); waiting for the replica to appear.
    Create(CreateReplication),
    /// `PATCH` sent; waiting for the replica to show these values.
    Update(UpdateReplication),
    /// `DELETE` sent; waiting for the replica to disappear.
    Delete,
}

impl Pending {
    /// The verb for progress lines, e.g. "Creating".
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Create(_) => "Creating",
            Self::Update(_) => "Updating",
            Self::Delete => "Deleting",
        }
    }
}

/// A region of one registry: the key of per-region bookkeeping (writes, highlights, last
/// events). The registry part is its name (ACR names are globally unique, and compare
/// case-insensitively), so switching registries never mixes their regions up.
pub type Spot = (RegistryName, RegionName);

/// The last thing the stream said about a region, for the hover card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastEvent {
    /// What happened, e.g. "Status Syncing → Ready".
    pub text: String,
    /// When the page learnt it (ms since the epoch).
    pub at_ms: i64,
}

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
    /// Accessible name: display name and state, e.g. `Japan East — replica ready`.
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

/// Connection state of the live status stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamStatus {
    /// Not connected yet (also what the server renders).
    #[default]
    Connecting,
    /// Connected; events flow.
    Live,
    /// Connected, but no message or heartbeat for too long: the data may be old.
    Stale,
    /// Lost; reconnecting with back-off.
    Reconnecting,
}

impl StreamStatus {
    /// The word used in `data-state`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Live => "live",
            Self::Stale => "stale",
            Self::Reconnecting => "reconnecting",
        }
    }

    /// Text next to the indicator.
    pub fn text(self) -> &'static str {
        match self {
            Self::Connecting => "Connecting…",
            Self::Live => "Live",
            Self::Stale => "Stale",
            Self::Reconnecting => "Reconnecting…",
        }
    }
}

/// First delay before reopening a lost status stream, in milliseconds.
pub const RECONNECT_MIN_MS: u32 = 1_000;
/// Longest delay between two attempts to reopen the status stream, in milliseconds.
pub const RECONNECT_MAX_MS: u32 = 30_000;

/// How long to wait before reopening the status stream after `failures` attempts in a row
/// failed (0 for the first retry): 1 s, doubling per failure, capped at 30 s, half of it random
/// (`jitter` in `[0, 1)`, e.g. `Math.random()`): [`replimap_types::backoff`].
pub fn reconnect_delay_ms(failures: u32, jitter: f64) -> u32 {
    let min = std::time::Duration::from_millis(u64::from(RECONNECT_MIN_MS));
    let max = std::time::Duration::from_millis(u64::from(RECONNECT_MAX_MS));
    let delay = replimap_types::backoff(min, max, failures, jitter);
    // At most RECONNECT_MAX_MS: the cast cannot overflow.
    (delay.as_secs_f64() * 1000.0).round() as u32
}

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
    pub pending: BTreeMap<Spot, Pending>,
    /// Spots of `pending` whose write the portal answered with 202 (accepted by ARM).
    pub accepted: BTreeSet<Spot>,
    /// Spots where this tab changed something that is still settling: their progress is
    /// not "made elsewhere" and is not highlighted.
    pub mine: BTreeSet<Spot>,
    /// Highlights of changes made elsewhere, until when (ms).
    pub flash: BTreeMap<Spot, i64>,
    /// The last change per spot.
    pub last: BTreeMap<Spot, LastEvent>,
    /// Syncing longer than this (ms) is flagged as possibly stuck.
    pub stuck_after_ms: i64,
}

impl Model {
    /// Keeps every region in a stable order (display name, then name).
    pub fn set_regions(&mut self, mut regions: Vec<Region>) {
        regions.sort_by(|a, b| a.display_name.cmp(&b.display_name).then_with(|| a.name.cmp(&b.name)));
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
            StatusEvent::RegistryError { ref registry, .. } => {
                if let Some(state) = self.state_mut(registry) {
                    state.apply(&event);
                }
            }
        }
        self.settle_pending();
        for spot in rested {
            if !self.pending.contains_key(&spot) {
                self.mine.remove(&spot);
            }
        }
        alert
    }

    /// Records what happened at a spot and highlights it unless this tab caused it.
    fn note(&mut self, spot: Spot, text: String, now_ms: i64) {
        if !self.mine.contains(&spot) && !self.pending.contains_key(&spot) {
            self.flash.insert(spot.clone(), now_ms + FLASH_MS);
        }
        self.last.insert(spot, LastEvent { text, at_ms: now_ms });
    }

    /// Drops highlights that have run out (call on the clock's tick). Returns whether any did.
    pub fn expire_flashes(&mut self, now_ms: i64) -> bool {
        let before = self.flash.len();
        self.flash.retain(|_, until| *until > now_ms);
        self.flash.len() != before
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
                regs.sort_by(|a, b| a.key.name.cmp(&b.key.name));
                let k = &regs[0].key;
                (format!("{} / {}", k.subscription_id, k.resource_group), regs)
            })
            .collect()
    }

    /// The selected registry's replicas, sorted by name, plus a `Creating` stand-in for each
    /// create this tab sent that the stream has not shown yet, so the table answers the click
    /// at once, as the marker does (the stand-in is named like the replica it becomes).
    pub fn replicas(&self) -> Vec<Replication> {
        let Some(selected) = self.selected() else { return Vec::new() };
        let mut replicas = selected.replications.clone();
        replicas.extend(self.standins(selected));
        replicas.sort_by(|a, b| a.name.cmp(&b.name));
        replicas
    }

    /// One replica of `replicas()` by name, without copying the others (a table row asks
    /// for its own on every change).
    pub fn replica(&self, name: &ReplicationName) -> Option<Replication> {
        let selected = self.selected()?;
        match selected.replications.iter().find(|r| &r.name == name) {
            Some(r) => Some(r.clone()),
            None => self.standins(selected).find(|r| &r.name == name),
        }
    }

    /// The `Creating` stand-ins for this tab's creates in `selected` not yet in the stream.
    fn standins<'a>(&'a self, selected: &'a RegistryState) -> impl Iterator<Item = Replication> + 'a {
        let registry = &selected.registry.key.name;
        self.pending.iter().filter_map(move |((reg, region), pending)| {
            let Pending::Create(body) = pending else { return None };
            if reg != registry || selected.replications.iter().any(|r| &r.location == region) {
                return None;
            }
            Some(Replication {
                name: ReplicationName::default_for(region).ok()?,
                location: region.clone(),
                provisioning_state: ProvisioningState::Creating,
                status: Default::default(),
                region_endpoint_enabled: body.region_endpoint_enabled.unwrap_or(true),
                zone_redundancy: body.zone_redundancy.unwrap_or_default(),
                tags: body.tags.clone(),
                is_home: false,
                phase_since: None,
            })
        })
    }

    /// A region by name.
    pub fn region(&self, name: &RegionName) -> Option<&Region> {
        self.regions.iter().find(|r| &r.name == name)
    }

    /// Display name of a region, falling back to its name for regions ARM did not list.
    pub fn display_name(&self, name: &RegionName) -> String {
        self.region(name).map_or_else(|| name.to_string(), |r| r.display_name.clone())
    }

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

    /// The spot of `region` in the selected registry.
    pub fn selected_spot(&self, region: &RegionName) -> Option<Spot> {
        Some((self.selected_registry()?.key.name.clone(), region.clone()))
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
        let label = label(region, state, replica.as_ref(), pending.as_ref(), unavailable, stuck);
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
            label,
        }
    }

    /// Records a write this tab is about to send to the selected registry. Returns its spot,
    /// which the answer must be matched to (the user may pick another registry meanwhile).
    pub fn begin(&mut self, region: RegionName, pending: Pending) -> Option<Spot> {
        let spot = self.selected_spot(&region)?;
        self.accepted.remove(&spot);
        self.mine.insert(spot.clone());
        self.pending.insert(spot.clone(), pending);
        Some(spot)
    }

    /// The portal answered the write at `spot` with 202: ARM accepted it. Ignored when the
    /// stream already settled the write. A write whose effect is already visible (an update
    /// to the values the replica has) settles here, since no event will come for it.
    /// Returns whether anything changed.
    pub fn accept(&mut self, spot: &Spot) -> bool {
        let accepted = self.pending.contains_key(spot) && self.accepted.insert(spot.clone());
        let before = self.pending.len();
        self.settle_pending();
        accepted || self.pending.len() != before
    }

    /// Drops the record of a write (it failed before ARM accepted it).
    pub fn abandon(&mut self, spot: &Spot) {
        self.pending.remove(spot);
        self.accepted.remove(spot);
        self.mine.remove(spot);
    }

    /// Writes in flight on the selected registry, with display names, for the progress line.
    pub fn pending_list(&self) -> Vec<(String, Pending)> {
        let Some(reg) = self.selected_registry().map(|r| &r.key.name) else { return Vec::new() };
        self.pending
            .iter()
            .filter(|((r, _), _)| r == reg)
            .map(|((_, region), p)| (self.display_name(region), p.clone()))
            .collect()
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

    /// A pending write is done once the stream shows its effect: the replica appeared
    /// (create), disappeared (delete) or shows the requested values (update).
    fn settle_pending(&mut self) {
        let registries = &self.registries;
        let find = |spot: &Spot| -> Option<&Replication> {
            registries
                .iter()
                .find(|s| s.registry.key.name == spot.0)?
                .replications
                .iter()
                .find(|r| r.location == spot.1)
        };
        self.pending.retain(|spot, pending| match (pending, find(spot)) {
            (Pending::Create(_), found) => found.is_none(),
            (Pending::Delete, found) => found.is_some(),
            (Pending::Update(want), Some(r)) => {
                let routing = want.region_endpoint_enabled.is_none_or(|w| w == r.region_endpoint_enabled);
                let tags = want.tags.as_ref().is_none_or(|t| *t == r.tags);
                !(routing && tags && r.phase() != ReplicaPhase::Updating)
            }
            (Pending::Update(_), None) => false,
        });
        let pending = &self.pending;
        self.accepted.retain(|spot| pending.contains_key(spot));
    }
}

fn label(
    region: &Region,
    state: RegionState,
    replica: Option<&Replication>,
    pending: Option<&Pending>,
    unavailable: Option<Unavailable>,
    stuck: bool,
) -> String {
    let name = &region.display_name;
    match state {
        RegionState::Home => match (pending, replica.map(Replication::phase)) {
            (Some(Pending::Update(_)), _) => format!("{name} — home replica, updating"),
            (_, Some(phase)) => format!("{name} — home replica, {}", phase.as_str()),
            (_, None) => format!("{name} — home replica"),
        },
        RegionState::Available => format!("{name} — available"),
        RegionState::Unavailable => format!("{name} — not available: {}", unavailable.map_or("", Unavailable::reason)),
        RegionState::RoutingOff => format!("{name} — replica ready, routing off"),
        RegionState::Syncing if stuck => format!("{name} — replica syncing, possibly stuck"),
        // The label is what a screen reader says: it carries ARM's reason, not just "failed".
        RegionState::Failed => match replica.and_then(|r| r.status.message.as_deref()).filter(|m| !m.is_empty()) {
            Some(why) => format!("{name} — replica failed: {why}"),
            None => format!("{name} — replica failed"),
        },
        other => format!("{name} — replica {}", other.as_str()),
    }
}

/// What differs between two snapshots, per spot, as lines for the card.
fn snapshot_changes(before: &[RegistryState], after: &[RegistryState]) -> Vec<(Spot, String)> {
    let mut out = Vec::new();
    for new in after {
        let Some(old) = before.iter().find(|o| o.registry.key == new.registry.key) else { continue };
        let reg = &new.registry.key.name;
        for r in &new.replications {
            let prev = old.replications.iter().find(|o| o.name == r.name);
            if prev != Some(r) && prev.is_none_or(|p| !same_but_time(p, r)) {
                out.push(((reg.clone(), r.location.clone()), describe_change(prev, r)));
            }
        }
        for gone in old.replications.iter().filter(|o| !new.replications.iter().any(|r| r.name == o.name)) {
            out.push(((reg.clone(), gone.location.clone()), "Replica removed".to_owned()));
        }
    }
    out
}

/// Equal apart from timestamps (a status time refreshed by ARM is not news).
fn same_but_time(a: &Replication, b: &Replication) -> bool {
    let strip = |r: &Replication| {
        let mut r = r.clone();
        r.status.timestamp = None;
        r.phase_since = None;
        r
    };
    strip(a) == strip(b)
}

/// One line on what changed between two versions of a replica.
fn describe_change(before: Option<&Replication>, after: &Replication) -> String {
    let Some(before) = before else {
        return format!("Replica appeared ({})", after.provisioning_state);
    };
    let mut parts = Vec::new();
    if before.provisioning_state != after.provisioning_state {
        parts.push(format!("Provisioning {} → {}", before.provisioning_state, after.provisioning_state));
    }
    match (&before.status.display_status, &after.status.display_status) {
        (a, b) if a == b => {}
        (Some(a), Some(b)) => parts.push(format!("Status {a} → {b}")),
        (None, Some(b)) => parts.push(format!("Status {b}")),
        (Some(a), None) => parts.push(format!("Status {a} cleared")),
        (None, None) => {}
    }
    if before.region_endpoint_enabled != after.region_endpoint_enabled {
        parts.push(if after.region_endpoint_enabled { "Routing turned on" } else { "Routing turned off" }.to_owned());
    }
    if before.tags != after.tags {
        parts.push("Tags changed".to_owned());
    }
    if before.zone_redundancy != after.zone_redundancy {
        let z = if after.zone_redundancy == ZoneRedundancy::Enabled { "on" } else { "off" };
        parts.push(format!("Zone redundancy {z}"));
    }
    if parts.is_empty() {
        "Status message updated".to_owned()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_796_040_000_000; // 2026-11-30T12:00:00Z

    fn region(name: &str, display: &str, accepts: bool) -> Region {
        serde_json::from_value(json!({
            "name": name, "displayName": display, "latitude": 1.0, "longitude": 2.0, "acceptsReplicas": accepts
        }))
        .unwrap()
    }

    fn key(name: &str) -> RegistryKey {
        serde_json::from_value(json!({
            "subscriptionId": "00000000-0000-0000-0000-000000000001", "resourceGroup": "rg", "name": name
        }))
        .unwrap()
    }

    fn replica(name: &str, state: &str, status: Option<&str>) -> Replication {
        serde_json::from_value(json!({
            "name": name, "location": name, "provisioningState": state,
            "status": {"displayStatus": status}, "regionEndpointEnabled": true, "isHome": name == "eastus",
            "phaseSince": "2026-11-30T11:00:00Z"
        }))
        .unwrap()
    }

    fn registry(name: &str, sku: &str, replicas: Vec<Replication>) -> RegistryState {
        let registry: RegistrySummary = serde_json::from_value(json!({
            "key": key(name), "location": "eastus", "sku": sku, "replicable": sku == "Premium"
        }))
        .unwrap();
        RegistryState { registry, replications: replicas, error: None }
    }

    fn model() -> Model {
        let mut m = Model { stuck_after_ms: 30 * 60_000, ..Model::default() };
        m.set_regions(vec![
            region("japaneast", "Japan East", true),
            region("eastus", "East US", true),
            region("westeurope", "West Europe", true),
            region("eastusstg", "East US STG", false),
        ]);
        m.apply(
            StatusEvent::Snapshot {
                registries: vec![
                    registry("myregistry", "Premium", vec![replica("eastus", "Succeeded", Some("Ready"))]),
                    registry("basicone", "Basic", vec![]),
                ],
            },
            NOW,
        );
        m
    }

    fn upsert(m: &mut Model, r: Replication) {
        m.apply(StatusEvent::ReplicationUpserted { registry: key("myregistry"), replication: r }, NOW);
    }

    fn state_of(m: &Model, name: &str) -> (RegionState, String) {
        let v = m.region_view(&name.parse().unwrap(), NOW).unwrap();
        (v.state, v.label)
    }

    fn je() -> RegionName {
        "japaneast".parse().unwrap()
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
    fn a_create_is_pending_until_the_stream_shows_the_replica_and_is_not_highlighted() {
        let mut m = model();
        let body = CreateReplication { region_endpoint_enabled: Some(false), ..CreateReplication::default() };
        m.begin(je(), Pending::Create(body));
        assert_eq!(state_of(&m, "japaneast").0, RegionState::Creating);
        let standin = m.replicas().into_iter().find(|r| r.location == je()).expect("a stand-in row at once");
        assert_eq!((standin.name.as_str(), standin.region_endpoint_enabled), ("japaneast", false));
        assert_eq!(standin.provisioning_state, ProvisioningState::Creating);
        assert_eq!(m.replica(&standin.name), Some(standin.clone()), "a row finds its stand-in by name");
        upsert(&mut m, replica("japaneast", "Creating", None));
        assert!(m.pending.is_empty());
        upsert(&mut m, replica("japaneast", "Succeeded", Some("Syncing")));
        upsert(&mut m, replica("japaneast", "Succeeded", Some("Ready")));
        let v = m.region_view(&je(), NOW).unwrap();
        assert_eq!((v.state, v.flash), (RegionState::Ready, false), "own changes do not flash");
        assert_eq!(v.last_event.unwrap().text, "Status Syncing → Ready");
        assert!(m.mine.is_empty(), "settled");
    }

    #[test]
    fn changes_made_elsewhere_flash_for_a_while() {
        let mut m = model();
        upsert(&mut m, replica("westeurope", "Creating", None));
        let we: RegionName = "westeurope".parse().unwrap();
        assert!(m.region_view(&we, NOW).unwrap().flash);
        assert!(!m.region_view(&we, NOW + FLASH_MS).unwrap().flash);
        assert!(m.expire_flashes(NOW + FLASH_MS));
        assert!(m.flash.is_empty());
    }

    #[test]
    fn a_delete_shows_deleting_until_the_replica_is_gone() {
        let mut m = model();
        upsert(&mut m, replica("japaneast", "Succeeded", Some("Ready")));
        m.begin(je(), Pending::Delete);
        assert_eq!(state_of(&m, "japaneast").0, RegionState::Deleting);
        m.apply(
            StatusEvent::ReplicationRemoved { registry: key("myregistry"), name: "japaneast".parse().unwrap() },
            NOW,
        );
        assert_eq!(state_of(&m, "japaneast").0, RegionState::Available);
        assert!(m.pending.is_empty());
    }

    #[test]
    fn an_update_is_pending_until_the_replica_shows_the_new_values() {
        let mut m = model();
        upsert(&mut m, replica("japaneast", "Succeeded", Some("Ready")));
        let want = UpdateReplication { region_endpoint_enabled: Some(false), tags: None };
        m.begin(je(), Pending::Update(want));
        assert_eq!(state_of(&m, "japaneast").0, RegionState::Updating);
        upsert(&mut m, replica("japaneast", "Succeeded", Some("Ready")));
        assert_eq!(m.pending.len(), 1, "routing not changed yet");
        let mut off = replica("japaneast", "Succeeded", Some("Ready"));
        off.region_endpoint_enabled = false;
        upsert(&mut m, off);
        assert!(m.pending.is_empty());
        assert_eq!(
            state_of(&m, "japaneast"),
            (RegionState::RoutingOff, "Japan East — replica ready, routing off".into())
        );
    }

    #[test]
    fn a_failed_operation_clears_the_pending_write_and_raises_an_alert() {
        let mut m = model();
        m.begin(je(), Pending::Create(CreateReplication::default()));
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

    #[test]
    fn a_write_is_accepted_only_once_the_portal_says_so() {
        let mut m = model();
        let spot = m.selected_spot(&je()).unwrap();
        assert!(!m.accept(&spot), "no write in flight, nothing to accept");
        m.begin(je(), Pending::Create(CreateReplication::default()));
        assert!(!m.region_view(&je(), NOW).unwrap().accepted);
        assert!(m.accept(&spot));
        assert!(m.region_view(&je(), NOW).unwrap().accepted);
        upsert(&mut m, replica("japaneast", "Creating", None));
        assert!(m.pending.is_empty() && m.accepted.is_empty());
        m.begin(je(), Pending::Delete);
        assert!(!m.region_view(&je(), NOW).unwrap().accepted, "a new write starts unaccepted");
        m.abandon(&spot);
        assert!(m.accepted.is_empty());
    }

    #[test]
    fn after_this_tabs_write_settles_the_next_change_there_is_news() {
        let mut m = model();
        upsert(&mut m, replica("japaneast", "Succeeded", Some("Ready")));
        m.expire_flashes(NOW + FLASH_MS);
        let want = UpdateReplication { region_endpoint_enabled: Some(false), tags: None };
        m.begin(je(), Pending::Update(want));
        let mut off = replica("japaneast", "Succeeded", Some("Ready"));
        off.region_endpoint_enabled = false;
        upsert(&mut m, off.clone());
        assert!(m.pending.is_empty() && m.mine.is_empty(), "settled and no longer ours");
        assert!(!m.region_view(&je(), NOW).unwrap().flash, "our own change is not highlighted");
        off.tags.insert("team".into(), "web".into());
        upsert(&mut m, off);
        assert!(m.region_view(&je(), NOW).unwrap().flash, "someone else's is");
    }

    #[test]
    fn an_answer_settles_the_write_it_belongs_to_even_after_switching_registry() {
        let mut m = model();
        let spot = m.begin(je(), Pending::Create(CreateReplication::default())).unwrap();
        m.wanted = Some("basicone".into());
        assert!(m.accept(&spot));
        m.abandon(&spot);
        assert!(m.pending.is_empty() && m.mine.is_empty());
    }

    #[test]
    fn an_update_that_changes_nothing_settles_when_accepted() {
        let mut m = model();
        upsert(&mut m, replica("japaneast", "Succeeded", Some("Ready")));
        let spot = m
            .begin(je(), Pending::Update(UpdateReplication { region_endpoint_enabled: Some(true), tags: None }))
            .unwrap();
        assert!(m.accept(&spot));
        assert!(m.pending.is_empty(), "no event will come for a no-op PATCH");
    }

    #[test]
    fn our_own_failure_is_not_highlighted() {
        let mut m = model();
        m.begin(je(), Pending::Create(CreateReplication::default()));
        m.apply(
            StatusEvent::OperationFailed {
                registry: key("myregistry"),
                name: "japaneast".parse().unwrap(),
                message: "No".into(),
            },
            NOW,
        );
        assert!(!m.region_view(&je(), NOW).unwrap().flash);
    }

    #[test]
    fn what_changed_while_the_stream_was_down_is_highlighted_after_the_snapshot() {
        let mut m = model();
        let mut registries = m.registries.clone();
        registries[0].replications.push(replica("westeurope", "Succeeded", Some("Ready")));
        m.apply(StatusEvent::Snapshot { registries }, NOW);
        let v = m.region_view(&"westeurope".parse().unwrap(), NOW).unwrap();
        assert!(v.flash);
        assert_eq!(v.last_event.unwrap().text, "Replica appeared (Succeeded)");
        assert!(!m.region_view(&"eastus".parse().unwrap(), NOW).unwrap().flash, "unchanged replicas are not");
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
    }
}
