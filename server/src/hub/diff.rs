//! What changed between two polls of one registry.

use std::collections::BTreeMap;

use replimap_types::{RegistryKey, Replication, ReplicationName, StatusEvent};

/// The events that turn `old` into `new`: one per replica that appeared, changed or went away.
pub fn diff(registry: &RegistryKey, old: &[Replication], new: &[Replication]) -> Vec<StatusEvent> {
    let old: BTreeMap<&ReplicationName, &Replication> = old.iter().map(|r| (&r.name, r)).collect();
    let new_map: BTreeMap<&ReplicationName, &Replication> = new.iter().map(|r| (&r.name, r)).collect();
    let mut events = Vec::new();
    for (name, rep) in &new_map {
        if old.get(name) != Some(rep) {
            events.push(StatusEvent::ReplicationUpserted { registry: registry.clone(), replication: (*rep).clone() });
        }
    }
    for name in old.keys() {
        if !new_map.contains_key(name) {
            events.push(StatusEvent::ReplicationRemoved { registry: registry.clone(), name: (*name).clone() });
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use replimap_types::ProvisioningState;

    fn rep(name: &str, state: ProvisioningState) -> Replication {
        Replication {
            name: name.parse().unwrap(),
            location: name.parse().unwrap(),
            provisioning_state: state,
            status: Default::default(),
            region_endpoint_enabled: true,
            zone_redundancy: Default::default(),
            tags: Default::default(),
            is_home: false,
            phase_since: None,
        }
    }

    #[test]
    fn one_event_per_changed_replica() {
        let key: RegistryKey = RegistryKey {
            subscription_id: "00000000-0000-0000-0000-000000000000".parse().unwrap(),
            resource_group: "rg".parse().unwrap(),
            name: "myACR0007".parse().unwrap(),
        };
        let old = vec![rep("eastus", ProvisioningState::Succeeded), rep("japaneast", ProvisioningState::Creating)];
        let new = vec![
            rep("eastus", ProvisioningState::Succeeded),
            rep("japaneast", ProvisioningState::Succeeded),
            rep("westeurope", ProvisioningState::Creating),
        ];
        let events = diff(&key, &old, &new);
        assert_eq!(events.len(), 2);
        assert!(diff(&key, &new, &new).is_empty());
        let gone = diff(&key, &new, &old);
        assert!(gone
            .iter()
            .any(|e| matches!(e, StatusEvent::ReplicationRemoved { name, .. } if name.as_str() == "westeurope")));
    }
}
