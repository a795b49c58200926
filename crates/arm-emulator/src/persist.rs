//! The optional state file (`--state FILE`): every subscription, resource
//! group, registry and replica as ARM documents, so a demo keeps its replicas
//! across restarts. Written after any request that changed something (the
//! file is compared, not the request), loaded once at start.
//!
//! Operations in flight are not saved: a replica saved `Creating`/`Updating`
//! comes back `Succeeded`, one saved `Deleting` does not come back, as if the
//! emulator had been down long enough for them to finish.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::docs;
use crate::store::{RegistryEntry, ReplicaEntry, RgEntry, Store};

/// Bumped when the layout changes incompatibly.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateFile {
    version: u32,
    subscriptions: Vec<Value>,
    resource_groups: Vec<SavedGroup>,
    registries: Vec<SavedRegistry>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedGroup {
    subscription_id: String,
    resource_group: Value,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedRegistry {
    subscription_id: String,
    resource_group: String,
    registry: Value,
    replications: Vec<Value>,
}

fn state(doc: &Value) -> &str {
    doc.pointer("/properties/provisioningState").and_then(Value::as_str).unwrap_or("")
}

/// The store as the pretty-printed text of a state file.
pub(crate) fn to_text(store: &Store) -> String {
    let file = StateFile {
        version: VERSION,
        subscriptions: store.subscriptions.clone(),
        resource_groups: store
            .resource_groups
            .iter()
            .map(|g| SavedGroup { subscription_id: g.sub.clone(), resource_group: g.doc.clone() })
            .collect(),
        registries: store
            .registries
            .iter()
            .map(|r| SavedRegistry {
                subscription_id: r.sub.clone(),
                resource_group: r.rg.clone(),
                registry: r.doc.clone(),
                replications: r.replicas.iter().map(|x| x.doc.clone()).collect(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&file).unwrap_or_default()
}

/// Parses a state file, settling what was in flight.
pub(crate) fn from_text(text: &str) -> Result<Store, String> {
    let file: StateFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if file.version != VERSION {
        return Err(format!("state file version {} is not {VERSION}; delete it to start from the seed", file.version));
    }
    let at = docs::now();
    let mut store = Store {
        subscriptions: file.subscriptions,
        resource_groups: file
            .resource_groups
            .into_iter()
            .map(|g| RgEntry { sub: g.subscription_id, doc: g.resource_group })
            .collect(),
        ..Store::default()
    };
    for r in file.registries {
        if state(&r.registry) == "Deleting" {
            continue;
        }
        let replicas = r
            .replications
            .into_iter()
            .filter(|doc| state(doc) != "Deleting")
            .map(|mut doc| {
                if matches!(state(&doc), "Creating" | "Updating") {
                    docs::set_state(&mut doc, "Succeeded", None, &at);
                }
                ReplicaEntry { doc, active_op: None }
            })
            .collect();
        store.registries.push(RegistryEntry {
            sub: r.subscription_id,
            rg: r.resource_group,
            doc: r.registry,
            replicas,
            active_op: None,
        });
    }
    Ok(store)
}

/// Loads `path` if it exists (`Ok(None)` when it does not).
pub(crate) fn load(path: &Path) -> std::io::Result<Option<Store>> {
    match std::fs::read_to_string(path) {
        Ok(text) => from_text(&text).map(Some).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes through a temporary file and a rename, so a crash mid-write never
/// leaves half a state file behind.
pub(crate) fn save(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{Seed, SeedRegistry, SeedReplica};

    #[test]
    fn round_trip_settles_operations_in_flight() {
        let seed = Seed::docs_example().with_registry(
            SeedRegistry::premium(crate::seed::DEMO_SUBSCRIPTION_ID, "rg2", "other0001", "westus")
                .with_replica(SeedReplica::user("japaneast", "japaneast").with_state("Creating"))
                .with_replica(SeedReplica::user("westeurope", "westeurope").with_state("Deleting")),
        );
        let store = Store::from_seed(&seed);
        let back = from_text(&to_text(&store)).unwrap();
        assert_eq!(back.subscriptions.len(), 1);
        assert_eq!(back.resource_groups.len(), 2);
        let other = &back.registries[1];
        let names: Vec<&str> = other.replicas.iter().map(|r| docs::str_field(&r.doc, "name")).collect();
        assert_eq!(names, ["westus", "japaneast"]);
        assert_eq!(state(&other.replicas[1].doc), "Succeeded");
        assert!(from_text(r#"{"version":9,"subscriptions":[],"resourceGroups":[],"registries":[]}"#).is_err());
    }
}
