//! Registries the portal can see.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{RegionName, RegistryName, ResourceGroupName, SubscriptionId};

/// The three parts that name a registry in ARM. Equal, ordered and hashed as ARM compares
/// them: the names case-insensitively (see [`RegistryName`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryKey {
    /// Subscription that holds the registry.
    pub subscription_id: SubscriptionId,
    /// Resource group that holds the registry.
    pub resource_group: ResourceGroupName,
    /// Registry name.
    pub name: RegistryName,
}

impl RegistryKey {
    /// The portal API path of this registry, below `/api/v1/registries/`.
    pub fn api_path(&self) -> String {
        format!("{}/{}/{}", self.subscription_id, self.resource_group, self.name)
    }
}

impl fmt::Display for RegistryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.subscription_id, self.resource_group, self.name)
    }
}

/// A registry as listed by `GET /api/v1/registries`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrySummary {
    /// Where the registry lives.
    pub key: RegistryKey,
    /// Home region.
    pub location: RegionName,
    /// SKU name: `Basic`, `Standard`, `Premium` (or a future value).
    pub sku: String,
    /// `{name}.azurecr.io`, when ARM reports it.
    #[serde(default)]
    pub login_server: Option<String>,
    /// Whether replications can be managed (geo-replication needs Premium).
    pub replicable: bool,
    /// Why not, when `replicable` is false.
    #[serde(default)]
    pub not_replicable_reason: Option<String>,
}
