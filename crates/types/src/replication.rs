//! The portal's view of one geo-replica.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{RegionName, ReplicationName};

/// ARM `provisioningState`. Unknown values are kept verbatim, so a new state
/// introduced by the resource provider shows up instead of breaking parsing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProvisioningState {
    /// Being created.
    Creating,
    /// Being updated.
    Updating,
    /// Being deleted.
    Deleting,
    /// Done.
    Succeeded,
    /// Ended in error.
    Failed,
    /// Cancelled.
    Canceled,
    /// A value this build does not know.
    Unknown(String),
}

impl ProvisioningState {
    /// Parses case-insensitively, as ARM clients do.
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "creating" => Self::Creating,
            "updating" => Self::Updating,
            "deleting" => Self::Deleting,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "canceled" | "cancelled" => Self::Canceled,
            _ => Self::Unknown(s.to_owned()),
        }
    }

    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Creating => "Creating",
            Self::Updating => "Updating",
            Self::Deleting => "Deleting",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::Canceled => "Canceled",
            Self::Unknown(s) => s,
        }
    }

    /// Whether the resource provider is still working on the resource.
    pub fn is_transitional(&self) -> bool {
        matches!(self, Self::Creating | Self::Updating | Self::Deleting)
    }
}

impl fmt::Display for ProvisioningState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ProvisioningState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ProvisioningState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(d)?))
    }
}

/// ARM `zoneRedundancy`. Parsing is strict (case-insensitive `Enabled`/`Disabled`): a typo
/// in a request must be an error, not a silent `Disabled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum ZoneRedundancy {
    /// Spread across availability zones.
    Enabled,
    /// Not zone redundant (ARM's default).
    #[default]
    Disabled,
}

impl<'de> Deserialize<'de> for ZoneRedundancy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.to_ascii_lowercase().as_str() {
            "enabled" => Ok(Self::Enabled),
            "disabled" => Ok(Self::Disabled),
            _ => Err(serde::de::Error::custom(format!("zoneRedundancy must be 'Enabled' or 'Disabled', not '{s}'"))),
        }
    }
}

/// ARM `properties.status` of a replica.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaStatus {
    /// Free text from the RP: `Ready`, `Provisioning`, or absent while creating.
    #[serde(default)]
    pub display_status: Option<String>,
    /// Longer text, when given.
    #[serde(default)]
    pub message: Option<String>,
    /// When the status was last set (RFC 3339).
    #[serde(default)]
    pub timestamp: Option<String>,
}

/// What the map shows for a replica: one word derived from both ARM fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplicaPhase {
    /// Provisioning state Creating.
    Creating,
    /// Provisioning state Updating.
    Updating,
    /// Provisioning state Deleting.
    Deleting,
    /// Provisioned, but the RP does not (yet) say Ready.
    Syncing,
    /// Provisioned and Ready.
    Ready,
    /// Provisioning failed or was cancelled.
    Failed,
}

impl ReplicaPhase {
    /// Whether a poller should keep watching closely.
    pub fn in_flight(self) -> bool {
        matches!(self, Self::Creating | Self::Updating | Self::Deleting | Self::Syncing)
    }

    /// Lower-case word for CSS classes and accessible names.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "creating",
            Self::Updating => "updating",
            Self::Deleting => "deleting",
            Self::Syncing => "syncing",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }
}

/// One geo-replica of a registry, as the portal API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Replication {
    /// Replication name (by default the region name).
    pub name: ReplicationName,
    /// Region of the replica; immutable.
    pub location: RegionName,
    /// ARM provisioning state.
    pub provisioning_state: ProvisioningState,
    /// ARM status block.
    #[serde(default)]
    pub status: ReplicaStatus,
    /// Whether requests are routed to this replica (`az … --global-endpoint-routing`).
    pub region_endpoint_enabled: bool,
    /// Zone redundancy; immutable.
    #[serde(default)]
    pub zone_redundancy: ZoneRedundancy,
    /// Resource tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The replica in the registry's home region (created by the RP, not deletable here).
    #[serde(default)]
    pub is_home: bool,
    /// Since when the replica has been in its current [`ReplicaPhase`] (RFC 3339), as far as
    /// the portal knows: lets the UI flag a replica stuck in Syncing or Creating.
    #[serde(default)]
    pub phase_since: Option<String>,
}

impl Replication {
    /// The single word the UI uses for this replica.
    pub fn phase(&self) -> ReplicaPhase {
        match self.provisioning_state {
            ProvisioningState::Creating => ReplicaPhase::Creating,
            ProvisioningState::Updating => ReplicaPhase::Updating,
            ProvisioningState::Deleting => ReplicaPhase::Deleting,
            ProvisioningState::Failed | ProvisioningState::Canceled => ReplicaPhase::Failed,
            ProvisioningState::Succeeded | ProvisioningState::Unknown(_) => {
                let ready = self.status.display_status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("ready"));
                if ready {
                    ReplicaPhase::Ready
                } else {
                    ReplicaPhase::Syncing
                }
            }
        }
    }
}

/// Body of `PUT /api/v1/registries/{sub}/{rg}/{registry}/replications[/{name}]`.
///
/// Strings stay raw here so the server can answer each bad field with its own message.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateReplication {
    /// Region name or display name, e.g. `japaneast` or `Japan East`.
    pub location: String,
    /// Route requests to this replica (ARM default true).
    #[serde(default)]
    pub region_endpoint_enabled: Option<bool>,
    /// Zone redundancy (ARM default Disabled).
    #[serde(default)]
    pub zone_redundancy: Option<ZoneRedundancy>,
    /// Resource tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// Body of `PATCH …/replications/{name}`: only routing and tags can change after creation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateReplication {
    /// New routing flag.
    #[serde(default)]
    pub region_endpoint_enabled: Option<bool>,
    /// New tags; replace the whole map.
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_provisioning_states_survive_a_round_trip() {
        let s: ProvisioningState = serde_json::from_str("\"Migrating\"").unwrap();
        assert_eq!(s, ProvisioningState::Unknown("Migrating".into()));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"Migrating\"");
        assert_eq!(serde_json::from_str::<ProvisioningState>("\"succeeded\"").unwrap(), ProvisioningState::Succeeded);
    }

    #[test]
    fn phase_combines_provisioning_state_and_display_status() {
        let mut r: Replication = serde_json::from_value(serde_json::json!({
            "name": "japaneast", "location": "japaneast", "provisioningState": "Succeeded",
            "status": {"displayStatus": "Ready"}, "regionEndpointEnabled": true
        }))
        .unwrap();
        assert_eq!(r.phase(), ReplicaPhase::Ready);
        r.status.display_status = Some("Syncing".into());
        assert_eq!(r.phase(), ReplicaPhase::Syncing);
        r.provisioning_state = ProvisioningState::Creating;
        assert_eq!(r.phase(), ReplicaPhase::Creating);
    }
}
