//! Writes in flight: what this tab sent and the stream has not shown yet, with the stand-ins and the
//! `mine`/`accepted` bookkeeping that go with them.

use replimap_types::{
    CreateReplication, ProvisioningState, RegionName, RegistryState, ReplicaPhase, Replication, ReplicationName,
    UpdateReplication,
};

use super::{Model, Spot};

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

impl Model {
    /// The selected registry's replicas, sorted by name, plus a `Creating` stand-in for each
    /// create this tab sent that the stream has not shown yet, so the table answers the click
    /// at once, as the marker does (the stand-in is named like the replica it becomes).
    pub fn replicas(&self) -> Vec<Replication> {
        let Some(selected) = self.selected() else { return Vec::new() };
        let mut replicas = selected.replications.clone();
        replicas.extend(self.standins(selected));
        super::sort_by(&mut replicas, |a, b| a.name.cmp(&b.name));
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

    /// Records a write this tab is about to send to the selected registry. Returns its spot,
    /// which the answer must be matched to (the user may pick another registry meanwhile), and
    /// the `Idempotency-Key` to send it with: the key of the same action sent before that got
    /// no answer, else a new one from `fresh`. `None` when the very same write is already in
    /// flight (a double click sends it once).
    pub fn begin(
        &mut self,
        region: RegionName,
        pending: Pending,
        fresh: impl FnOnce() -> String,
    ) -> Option<(Spot, String)> {
        let spot = self.selected_spot(&region)?;
        if self.pending.get(&spot) == Some(&pending) {
            return None;
        }
        let key = match self.keys.iter().find(|(s, same, _)| *s == spot && *same == pending) {
            Some((_, _, key)) => key.clone(),
            None => fresh(),
        };
        self.answered(&spot);
        self.keys.push((spot.clone(), pending.clone(), key.clone()));
        self.accepted.remove(&spot);
        self.mine.insert(spot.clone(), ());
        self.pending.insert(spot.clone(), pending);
        Some((spot, key))
    }

    /// The portal answered the write at `spot` (accepted or refused): its key is spent.
    pub fn answered(&mut self, spot: &Spot) {
        self.keys.retain(|(s, _, _)| s != spot);
    }

    /// The portal answered the write at `spot` with 202: ARM accepted it. Ignored when the
    /// stream already settled the write. A write whose effect is already visible (an update
    /// to the values the replica has) settles here, since no event will come for it.
    /// Returns whether anything changed.
    pub fn accept(&mut self, spot: &Spot) -> bool {
        let accepted = self.pending.contains_key(spot) && self.accepted.insert(spot.clone(), ());
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

    /// A pending write is done once the stream shows its effect: the replica appeared
    /// (create), disappeared (delete) or shows the requested values (update).
    pub(super) fn settle_pending(&mut self) {
        let registries = &self.registries;
        let find = |spot: &Spot| -> Option<&Replication> {
            registries
                .iter()
                .find(|s| s.registry.key.name == spot.0)?
                .replications
                .iter()
                .find(|r| r.location == spot.1)
        };
        let open = |spot: &Spot, pending: &Pending| match (pending, find(spot)) {
            (Pending::Create(_), found) => found.is_none(),
            (Pending::Delete, found) => found.is_some(),
            (Pending::Update(want), Some(r)) => {
                let routing = want.region_endpoint_enabled.is_none_or(|w| w == r.region_endpoint_enabled);
                let tags = want.tags.as_ref().is_none_or(|t| *t == r.tags);
                !(routing && tags && r.phase() != ReplicaPhase::Updating)
            }
            (Pending::Update(_), None) => false,
        };
        self.pending.retain(|spot, pending| open(spot, pending));
        // A write whose effect shows reached the portal: a later equal action is a new one.
        self.keys.retain(|(spot, pending, _)| open(spot, pending));
        let pending = &self.pending;
        self.accepted.retain(|spot, _| pending.contains_key(spot));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{je, key, model, replica, state_of, upsert, NOW};
    use crate::model::{RegionState, FLASH_MS};
    use replimap_types::StatusEvent;

    fn new_key() -> String {
        "k1".to_owned()
    }

    #[test]
    fn a_create_is_pending_until_the_stream_shows_the_replica_and_is_not_highlighted() {
        let mut m = model();
        let body = CreateReplication { region_endpoint_enabled: Some(false), ..CreateReplication::default() };
        m.begin(je(), Pending::Create(body), new_key);
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
    fn a_delete_shows_deleting_until_the_replica_is_gone() {
        let mut m = model();
        upsert(&mut m, replica("japaneast", "Succeeded", Some("Ready")));
        m.begin(je(), Pending::Delete, new_key);
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
        m.begin(je(), Pending::Update(want), new_key);
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
    fn a_write_is_accepted_only_once_the_portal_says_so() {
        let mut m = model();
        let spot = m.selected_spot(&je()).unwrap();
        assert!(!m.accept(&spot), "no write in flight, nothing to accept");
        m.begin(je(), Pending::Create(CreateReplication::default()), new_key);
        assert!(!m.region_view(&je(), NOW).unwrap().accepted);
        assert!(m.accept(&spot));
        assert!(m.region_view(&je(), NOW).unwrap().accepted);
        upsert(&mut m, replica("japaneast", "Creating", None));
        assert!(m.pending.is_empty() && m.accepted.is_empty());
        m.begin(je(), Pending::Delete, new_key);
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
        m.begin(je(), Pending::Update(want), new_key);
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
        let (spot, _) = m.begin(je(), Pending::Create(CreateReplication::default()), new_key).unwrap();
        m.wanted = Some("basicone".into());
        assert!(m.accept(&spot));
        m.abandon(&spot);
        assert!(m.pending.is_empty() && m.mine.is_empty());
    }

    #[test]
    fn an_update_that_changes_nothing_settles_when_accepted() {
        let mut m = model();
        upsert(&mut m, replica("japaneast", "Succeeded", Some("Ready")));
        let (spot, _) = m
            .begin(
                je(),
                Pending::Update(UpdateReplication { region_endpoint_enabled: Some(true), tags: None }),
                new_key,
            )
            .unwrap();
        assert!(m.accept(&spot));
        assert!(m.pending.is_empty(), "no event will come for a no-op PATCH");
    }

    #[test]
    fn a_double_click_sends_once_and_a_retry_reuses_the_key() {
        let mut m = model();
        let body = Pending::Create(CreateReplication { location: "japaneast".into(), ..CreateReplication::default() });
        let (spot, first) = m.begin(je(), body.clone(), || "k1".into()).unwrap();
        assert_eq!(m.begin(je(), body.clone(), || "k2".into()), None, "the same write in flight: not sent again");
        // No answer came (network error, time-out): the same action again carries the same key.
        m.abandon(&spot);
        assert_eq!(m.begin(je(), body.clone(), || "k2".into()), Some((spot.clone(), first.clone())));
        m.abandon(&spot);
        // Another action there gets a key of its own.
        let other = Pending::Create(CreateReplication {
            location: "japaneast".into(),
            tags: [("a".into(), "b".into())].into(),
            ..CreateReplication::default()
        });
        assert_eq!(m.begin(je(), other, || "k3".into()).map(|(_, k)| k).as_deref(), Some("k3"));
        m.abandon(&spot);
        // Answered: spent, the next equal action is new.
        assert_eq!(m.begin(je(), body.clone(), || "k4".into()).map(|(_, k)| k).as_deref(), Some("k4"));
        m.answered(&spot);
        m.abandon(&spot);
        assert_eq!(m.begin(je(), body.clone(), || "k5".into()).map(|(_, k)| k).as_deref(), Some("k5"));
        m.abandon(&spot);
        // The stream shows the replica: the write got through, whatever the answer was.
        upsert(&mut m, replica("japaneast", "Creating", None));
        assert!(m.keys.is_empty());
    }
}
