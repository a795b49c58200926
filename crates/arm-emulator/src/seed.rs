//! The emulator's initial state. The default is the docs example: subscription
//! `00000000-…`, resource group `myresourcegroup`, Premium registry
//! `myACR0007` in `eastus` with its home replica already Ready, and the
//! workloads of `seed_demo.rs` around it (some regions served, some gaps).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::workloads::{SeedRoleAssignment, SeedWorkload};

/// The subscription every example uses.
pub const DEMO_SUBSCRIPTION_ID: &str = "00000000-0000-0000-0000-000000000000";
/// Fixed tenant id of the demo subscription.
pub const DEMO_TENANT_ID: &str = "72f988bf-0000-4000-8000-00000000e0e0";

/// Initial state. Resource groups and subscriptions referenced by a registry
/// are created implicitly, so a seed may list registries only.
/// `Seed::default()` is [`Seed::docs_example`]; use [`Seed::empty`] to start bare.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seed {
    #[serde(default)]
    pub subscriptions: Vec<SeedSubscription>,
    #[serde(default)]
    pub resource_groups: Vec<SeedResourceGroup>,
    #[serde(default)]
    pub registries: Vec<SeedRegistry>,
    /// Workload resources of any type (`PUT /_emulator/workloads` bodies).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workloads: Vec<SeedWorkload>,
    /// Role assignments (`PUT /_emulator/role-assignments` bodies).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_assignments: Vec<SeedRoleAssignment>,
}

impl Default for Seed {
    fn default() -> Self {
        Self::docs_example()
    }
}

/// A subscription visible to the caller (`GET /subscriptions`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedSubscription {
    pub id: String,
    pub display_name: String,
    pub tenant_id: String,
}

/// A resource group.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedResourceGroup {
    pub subscription_id: String,
    pub name: String,
    pub location: String,
}

/// A registry with its replicas. `location` is the home region.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedRegistry {
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    /// `Basic`, `Standard`, `Premium` (or `Classic`).
    pub sku: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub replicas: Vec<SeedReplica>,
}

/// A replica as it should look at start-up.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedReplica {
    pub name: String,
    pub location: String,
    /// `User` or `Application` (the RP-created home replica).
    #[serde(default = "default_created_by_type")]
    pub created_by_type: String,
    /// `Succeeded` (default) or e.g. `Failed` to seed a broken replica.
    #[serde(default = "default_state")]
    pub provisioning_state: String,
    #[serde(default = "default_true")]
    pub region_endpoint_enabled: bool,
    #[serde(default = "default_zone_redundancy")]
    pub zone_redundancy: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

fn default_created_by_type() -> String {
    "User".into()
}
fn default_state() -> String {
    "Succeeded".into()
}
fn default_true() -> bool {
    true
}
fn default_zone_redundancy() -> String {
    "Disabled".into()
}

impl Seed {
    /// No subscriptions, nothing else.
    pub fn empty() -> Self {
        Self {
            subscriptions: Vec::new(),
            resource_groups: Vec::new(),
            registries: Vec::new(),
            workloads: Vec::new(),
            role_assignments: Vec::new(),
        }
    }

    /// The docs example (also what `EmulatorConfig::default()` uses): the registry and
    /// the demo workloads of [`Seed::with_demo_workloads`].
    pub fn docs_example() -> Self {
        Self::registry_only().with_demo_workloads()
    }

    /// What `scripts/run` shows with no seed file: the docs example plus a replica in UK South,
    /// where nothing runs, so the demo has an idle replica beside its gaps (kept out of
    /// [`Seed::docs_example`], which tests count replicas of).
    pub fn demo() -> Self {
        let mut seed = Self::docs_example();
        if let Some(reg) = seed.registries.first_mut() {
            reg.replicas.push(SeedReplica::user("uksouth", "uksouth"));
        }
        seed
    }

    /// The docs example's subscription and registry without any workload.
    pub fn registry_only() -> Self {
        Self::empty().with_subscription(SeedSubscription::demo()).with_registry(SeedRegistry::premium(
            DEMO_SUBSCRIPTION_ID,
            "myresourcegroup",
            "myACR0007",
            "eastus",
        ))
    }

    /// Adds the demo workloads and role assignments around `myACR0007` (`seed_demo.rs`).
    pub fn with_demo_workloads(mut self) -> Self {
        self.workloads.extend(crate::seed_demo::workloads());
        self.role_assignments.extend(crate::seed_demo::role_assignments());
        self
    }

    pub fn with_workload(mut self, w: SeedWorkload) -> Self {
        self.workloads.push(w);
        self
    }

    pub fn with_role_assignment(mut self, a: SeedRoleAssignment) -> Self {
        self.role_assignments.push(a);
        self
    }

    pub fn with_subscription(mut self, s: SeedSubscription) -> Self {
        self.subscriptions.push(s);
        self
    }

    pub fn with_resource_group(mut self, sub: &str, name: &str, location: &str) -> Self {
        self.resource_groups.push(SeedResourceGroup {
            subscription_id: sub.into(),
            name: name.into(),
            location: location.into(),
        });
        self
    }

    pub fn with_registry(mut self, r: SeedRegistry) -> Self {
        self.registries.push(r);
        self
    }

    /// Reads a seed written as JSON in this struct's camelCase shape.
    pub fn from_json_file(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        serde_json::from_str(&text).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }
}

impl SeedSubscription {
    /// `00000000-…` named "replimap demo".
    pub fn demo() -> Self {
        Self { id: DEMO_SUBSCRIPTION_ID.into(), display_name: "replimap demo".into(), tenant_id: DEMO_TENANT_ID.into() }
    }
}

impl SeedRegistry {
    /// A Premium registry with its home replica (named after the region,
    /// created by the RP) already Succeeded/Ready.
    pub fn premium(sub: &str, rg: &str, name: &str, location: &str) -> Self {
        Self {
            subscription_id: sub.into(),
            resource_group: rg.into(),
            name: name.into(),
            location: location.into(),
            sku: "Premium".into(),
            tags: BTreeMap::new(),
            replicas: vec![SeedReplica::home(location)],
        }
    }

    /// A Standard registry: no replicas, and replication PUTs are refused.
    pub fn standard(sub: &str, rg: &str, name: &str, location: &str) -> Self {
        Self { sku: "Standard".into(), replicas: Vec::new(), ..Self::premium(sub, rg, name, location) }
    }

    pub fn with_replica(mut self, r: SeedReplica) -> Self {
        self.replicas.push(r);
        self
    }

    /// Drops every replica (e.g. a Premium registry never geo-replicated).
    pub fn without_replicas(mut self) -> Self {
        self.replicas.clear();
        self
    }

    pub fn with_tag(mut self, key: &str, value: &str) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }
}

impl SeedReplica {
    /// The RP-created home replica.
    pub fn home(location: &str) -> Self {
        Self { created_by_type: "Application".into(), ..Self::user(location, location) }
    }

    /// A user-created replica, Succeeded.
    pub fn user(name: &str, location: &str) -> Self {
        Self {
            name: name.into(),
            location: location.into(),
            created_by_type: default_created_by_type(),
            provisioning_state: default_state(),
            region_endpoint_enabled: true,
            zone_redundancy: default_zone_redundancy(),
            tags: BTreeMap::new(),
        }
    }

    pub fn with_state(mut self, state: &str) -> Self {
        self.provisioning_state = state.into();
        self
    }

    pub fn with_tag(mut self, key: &str, value: &str) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_round_trips_through_json() {
        let seed = Seed::docs_example();
        let text = serde_json::to_string(&seed).unwrap();
        let back: Seed = serde_json::from_str(&text).unwrap();
        assert_eq!(back.registries[0].name, "myACR0007");
        assert_eq!(back.registries[0].replicas[0].created_by_type, "Application");
    }

    #[test]
    fn replica_defaults_apply_when_fields_are_missing() {
        let r: SeedReplica = serde_json::from_str(r#"{"name":"westeurope","location":"westeurope"}"#).unwrap();
        assert_eq!(r.provisioning_state, "Succeeded");
        assert!(r.region_endpoint_enabled);
    }
}
