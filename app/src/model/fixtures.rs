//! Test fixtures shared by the model's unit tests: a model with a few regions and registries.

use replimap_types::{
    Coverage, Evidence, EvidenceKind, Region, RegionName, RegistryKey, RegistryState, RegistrySummary, Replication,
    StatusEvent, Workload, WorkloadKind,
};
use serde_json::json;

use super::{Model, RegionState};

pub(super) const NOW: i64 = 1_796_040_000_000; // 2026-11-30T12:00:00Z

pub(super) fn region(name: &str, display: &str, accepts: bool) -> Region {
    serde_json::from_value(json!({
        "name": name, "displayName": display, "latitude": 1.0, "longitude": 2.0, "acceptsReplicas": accepts
    }))
    .unwrap()
}

pub(super) fn key(name: &str) -> RegistryKey {
    serde_json::from_value(json!({
        "subscriptionId": "00000000-0000-0000-0000-000000000001", "resourceGroup": "rg", "name": name
    }))
    .unwrap()
}

pub(super) fn replica(name: &str, state: &str, status: Option<&str>) -> Replication {
    serde_json::from_value(json!({
        "name": name, "location": name, "provisioningState": state,
        "status": {"displayStatus": status}, "regionEndpointEnabled": true, "isHome": name == "eastus",
        "phaseSince": "2026-11-30T11:00:00Z"
    }))
    .unwrap()
}

pub(super) fn registry(name: &str, sku: &str, replicas: Vec<Replication>) -> RegistryState {
    let registry: RegistrySummary = serde_json::from_value(json!({
        "key": key(name), "location": "eastus", "sku": sku, "replicable": sku == "Premium"
    }))
    .unwrap();
    RegistryState { registry, replications: replicas, error: None, coverage: None }
}

pub(super) fn model() -> Model {
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

pub(super) fn upsert(m: &mut Model, r: Replication) {
    m.apply(StatusEvent::ReplicationUpserted { registry: key("myregistry"), replication: r }, NOW);
}

pub(super) fn state_of(m: &Model, name: &str) -> (RegionState, String) {
    let v = m.region_view(&name.parse().unwrap(), NOW).unwrap();
    (v.state, v.label)
}

pub(super) fn je() -> RegionName {
    "japaneast".parse().unwrap()
}

/// A container app in `at`, pulling from the registry (`evidence`) or of unknown registry.
pub(super) fn workload(name: &str, at: &str, evidence: bool) -> Workload {
    Workload {
        id: format!("/subscriptions/s/resourceGroups/g/providers/Microsoft.App/containerApps/{name}"),
        name: name.into(),
        kind: WorkloadKind::ContainerApp,
        location: at.parse().unwrap(),
        evidence: if evidence {
            vec![Evidence { kind: EvidenceKind::Image, detail: "r.azurecr.io/web:1".into() }]
        } else {
            vec![]
        },
    }
}

pub(super) fn coverage(workloads: Vec<Workload>) -> Coverage {
    Coverage { discovered_at: "2026-11-30T11:59:00Z".into(), workloads, warnings: vec![] }
}
