//! Changes and highlights: what the stream reported per spot, and which changes made elsewhere flash.

use replimap_types::{RegistryState, Replication, ZoneRedundancy};

use super::{Model, Spot};

/// How long a change made elsewhere stays highlighted, in milliseconds.
pub const FLASH_MS: i64 = 4_000;

/// The last thing the stream said about a region, for the hover card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastEvent {
    /// What happened, e.g. "Status Syncing → Ready".
    pub text: String,
    /// When the page learnt it (ms since the epoch).
    pub at_ms: i64,
}

impl Model {
    /// Records what happened at a spot and highlights it unless this tab caused it.
    pub(super) fn note(&mut self, spot: Spot, text: String, now_ms: i64) {
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
}

/// What differs between two snapshots, per spot, as lines for the card.
pub(super) fn snapshot_changes(before: &[RegistryState], after: &[RegistryState]) -> Vec<(Spot, String)> {
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
pub(super) fn describe_change(before: Option<&Replication>, after: &Replication) -> String {
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
    use crate::model::fixtures::{je, key, model, replica, upsert, NOW};
    use crate::model::Pending;
    use replimap_types::{CreateReplication, RegionName, StatusEvent};

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
    fn our_own_failure_is_not_highlighted() {
        let mut m = model();
        m.begin(je(), Pending::Create(CreateReplication::default()), String::new);
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
}
