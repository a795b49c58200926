//! ARM wire shapes of registries and replications, and their conversion to the portal's view.
//!
//! Only the fields replimap uses are read; everything else ARM sends is ignored, so
//! newer api-versions with more fields keep working.

use std::collections::BTreeMap;

use replimap_types::{
    ProvisioningState, RegionName, RegistryKey, RegistrySummary, ReplicaStatus, Replication, ZoneRedundancy,
};
use serde::{Deserialize, Serialize};

use crate::ArmError;

/// `Microsoft.ContainerRegistry/registries/replications` as ARM returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct ArmReplication {
    /// Full resource id.
    #[serde(default)]
    pub id: String,
    /// Replication name.
    pub name: String,
    /// Region.
    pub location: String,
    /// Tags.
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    /// Properties.
    #[serde(default)]
    pub properties: ArmReplicationProperties,
}

/// `properties` of a replication.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmReplicationProperties {
    /// `Creating`, `Succeeded`, … (or a value we do not know).
    #[serde(default)]
    pub provisioning_state: Option<ProvisioningState>,
    /// Free-form status block.
    #[serde(default)]
    pub status: Option<ReplicaStatus>,
    /// Routing flag (ARM default true).
    #[serde(default)]
    pub region_endpoint_enabled: Option<bool>,
    /// `Enabled` / `Disabled` (kept as text: a value this build does not know must not fail the list).
    #[serde(default)]
    pub zone_redundancy: Option<String>,
}

impl ArmReplication {
    /// The portal's view; `home` is the registry's location, which makes this the home replica.
    pub fn into_view(self, home: &RegionName) -> Result<Replication, ArmError> {
        let location: RegionName =
            self.location.parse().map_err(|e| ArmError::Decode(format!("replication {}: {e}", self.name)))?;
        let name = self.name.parse().map_err(|e| ArmError::Decode(format!("replication {}: {e}", self.name)))?;
        let p = self.properties;
        Ok(Replication {
            is_home: &location == home,
            name,
            location,
            provisioning_state: p.provisioning_state.unwrap_or(ProvisioningState::Unknown(String::new())),
            status: p.status.unwrap_or_default(),
            region_endpoint_enabled: p.region_endpoint_enabled.unwrap_or(true),
            zone_redundancy: match p.zone_redundancy.as_deref() {
                Some(z) if z.eq_ignore_ascii_case("enabled") => ZoneRedundancy::Enabled,
                _ => ZoneRedundancy::Disabled,
            },
            tags: self.tags.unwrap_or_default(),
            phase_since: None,
        })
    }
}

/// Body of a replication PUT (`Replication` with the writable fields only).
#[derive(Debug, Clone, Serialize)]
pub struct ReplicationPut {
    /// Region; required and immutable.
    pub location: String,
    /// Tags.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Writable properties; always sent (the CLI sends `{}` too).
    pub properties: ReplicationPutProperties,
}

/// Writable replication properties on create.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicationPutProperties {
    /// Routing flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_endpoint_enabled: Option<bool>,
    /// Zone redundancy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_redundancy: Option<ZoneRedundancy>,
}

/// Body of a replication PATCH (`ReplicationUpdateParameters`): only tags and routing can change.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReplicationPatch {
    /// New tags (replaces the whole map, by ARM convention).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// Properties to change.
    pub properties: ReplicationPatchProperties,
}

/// Updatable replication properties.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicationPatchProperties {
    /// Routing flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_endpoint_enabled: Option<bool>,
}

/// `Microsoft.ContainerRegistry/registries` as ARM returns it (fields the portal uses).
#[derive(Debug, Clone, Deserialize)]
pub struct ArmRegistry {
    /// Full resource id; the subscription and resource group are read from it.
    pub id: String,
    /// Registry name.
    pub name: String,
    /// Home region.
    pub location: String,
    /// SKU.
    #[serde(default)]
    pub sku: Option<ArmSku>,
    /// Properties.
    #[serde(default)]
    pub properties: Option<ArmRegistryProperties>,
}

/// Registry SKU.
#[derive(Debug, Clone, Deserialize)]
pub struct ArmSku {
    /// `Basic`, `Standard`, `Premium`, …
    pub name: String,
}

/// Registry properties the portal reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmRegistryProperties {
    /// `{name}.azurecr.io`.
    #[serde(default)]
    pub login_server: Option<String>,
}

impl ArmRegistry {
    /// The portal's view of the registry.
    pub fn into_summary(self) -> Result<RegistrySummary, ArmError> {
        let key = parse_registry_id(&self.id)?;
        let location = self.location.parse().map_err(|e| ArmError::Decode(format!("registry {}: {e}", self.name)))?;
        let sku = self.sku.map(|s| s.name).unwrap_or_default();
        // Geo-replication is a Premium feature (ACR SKU docs); ARM refuses replications otherwise.
        let replicable = sku.eq_ignore_ascii_case("premium");
        let not_replicable_reason = (!replicable).then(|| {
            format!(
                "Geo-replication needs the Premium SKU; this registry is {}.",
                if sku.is_empty() { "of unknown SKU" } else { &sku }
            )
        });
        Ok(RegistrySummary {
            key,
            location,
            sku,
            login_server: self.properties.and_then(|p| p.login_server),
            replicable,
            not_replicable_reason,
        })
    }
}

/// Reads subscription, resource group and name from a registry resource id, by position:
/// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ContainerRegistry/registries/{name}`
/// (a resource group may itself be called `registries`, so searching for names is wrong).
pub fn parse_registry_id(id: &str) -> Result<RegistryKey, ArmError> {
    let bad = || ArmError::Decode(format!("not a registry resource id: '{id}'"));
    let parts: Vec<&str> = id.trim_matches('/').split('/').collect();
    let [subs, sub, rgs, rg, providers, ns, registries, name] = parts.as_slice() else { return Err(bad()) };
    let fixed = [
        (subs, "subscriptions"),
        (rgs, "resourceGroups"),
        (providers, "providers"),
        (ns, "Microsoft.ContainerRegistry"),
        (registries, "registries"),
    ];
    if !fixed.iter().all(|(got, want)| got.eq_ignore_ascii_case(want)) {
        return Err(bad());
    }
    Ok(RegistryKey {
        subscription_id: sub.parse().map_err(|_| bad())?,
        resource_group: rg.parse().map_err(|_| bad())?,
        name: name.parse().map_err(|_| bad())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_spec_example() {
        let json = serde_json::json!({
            "id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myResourceGroup/providers/Microsoft.ContainerRegistry/registries/myRegistry/replications/myReplication",
            "name": "myReplication", "type": "Microsoft.ContainerRegistry/registries/replications",
            "location": "eastus", "tags": {"key": "value"},
            "properties": {"provisioningState": "Creating", "status": {"timestamp": "2017-03-01T23:15:37.0707808Z"},
                           "regionEndpointEnabled": true, "zoneRedundancy": "Disabled", "futureField": 1}
        });
        let rep: ArmReplication = serde_json::from_value(json).unwrap();
        let view = rep.into_view(&"westus".parse().unwrap()).unwrap();
        assert_eq!(view.provisioning_state, ProvisioningState::Creating);
        assert!(!view.is_home);
        assert_eq!(view.status.display_status, None);
    }

    #[test]
    fn registry_ids_give_their_parts() {
        let key = parse_registry_id(
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myresourcegroup/providers/Microsoft.ContainerRegistry/registries/myACR0007",
        )
        .unwrap();
        assert_eq!(key.resource_group.as_str(), "myresourcegroup");
        assert_eq!(key.name.as_str(), "myACR0007");
        assert!(parse_registry_id("/subscriptions/x").is_err());
        let tricky = parse_registry_id(
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/registries/providers/Microsoft.ContainerRegistry/registries/realname1",
        )
        .unwrap();
        assert_eq!(tricky.resource_group.as_str(), "registries");
        assert_eq!(tricky.name.as_str(), "realname1");
        assert!(parse_registry_id(
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/abcde/replications/xyzwv"
        )
        .is_err());
    }
}
