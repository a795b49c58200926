//! The optional state file (`--state FILE`): every subscription, resource
//! group, registry, replica, workload and role assignment as ARM documents, the long-running operations
//! (running and recently finished) and the token signing key, so a demo keeps
//! its replicas, its operations in flight and its clients' tokens across
//! restarts, even a `kill -9`. Written after any request that changed
//! something (the text is compared, not the request), loaded once at start.
//!
//! An operation keeps its id, kind, target, wall-clock start, duration and
//! outcome. On load one whose time has passed finishes at once (a created
//! replica is Succeeded, or Failed when a fault said so; a deleted one is
//! gone), one whose time has not passed runs for the rest of it, and its
//! monitor URL (same path and query: the query only carries `api-version`)
//! answers as before. A resource in flight with no saved operation (files of
//! older emulators, states set through the admin API) is settled as if the
//! emulator had been down long enough: `Creating`/`Updating` comes back
//! `Succeeded`, `Deleting` does not come back. Tombstones of the
//! `recreateConflictMs` fault are not kept.
//!
//! Writes are durable: a temporary file in the same directory, fsync, rename,
//! then fsync of the directory, so a crash mid-write leaves the old file or
//! the new one, never a torn one.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::auth::SigningKey;
use crate::docs;
use crate::operation::{OpKind, Operation};
use crate::store::{RegistryEntry, ReplicaEntry, RgEntry, Store};

/// Bumped when the layout changes incompatibly (new fields are optional).
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateFile {
    version: u32,
    /// The token signing key (base64). Absent in files of older emulators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signing_key: Option<String>,
    subscriptions: Vec<Value>,
    resource_groups: Vec<SavedGroup>,
    registries: Vec<SavedRegistry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    operations: Vec<SavedOperation>,
    /// Workload documents (`workloads.rs`). Absent in files of older emulators.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    resources: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    role_assignments: Vec<Value>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedGroup {
    subscription_id: String,
    resource_group: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    active_operation: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedRegistry {
    subscription_id: String,
    resource_group: String,
    registry: Value,
    replications: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    active_operation: Option<String>,
    /// Replica name → the operation that owns its state.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    replica_operations: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedError {
    code: String,
    message: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedOperation {
    name: String,
    kind: OpKind,
    target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    replica: Option<String>,
    poll_path: String,
    status: String,
    /// RFC 3339, wall clock: with `duration_ms`, when the operation is due.
    start_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end_time: Option<String>,
    duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<SavedError>,
    /// The outcome a fault decided (the create ends Failed with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure: Option<SavedError>,
}

fn saved_error(e: &Option<(String, String)>) -> Option<SavedError> {
    e.as_ref().map(|(code, message)| SavedError { code: code.clone(), message: message.clone() })
}

fn error_pair(e: Option<SavedError>) -> Option<(String, String)> {
    e.map(|e| (e.code, e.message))
}

impl SavedOperation {
    fn from_op(o: &Operation) -> Self {
        Self {
            name: o.name.clone(),
            kind: o.kind,
            target: o.target.clone(),
            replica: o.replica.clone(),
            poll_path: o.poll_path.clone(),
            status: o.status.clone(),
            start_time: o.start_time.clone(),
            end_time: o.end_time.clone(),
            duration_ms: u64::try_from(o.duration.as_millis()).unwrap_or(u64::MAX),
            error: saved_error(&o.error),
            failure: saved_error(&o.failure),
        }
    }

    /// Back on this process's clock: due after what is left of its duration.
    fn into_op(self, now_wall: OffsetDateTime, now: Instant) -> Result<Operation, String> {
        let started_at = OffsetDateTime::parse(&self.start_time, &Rfc3339)
            .map_err(|e| format!("operation {}: bad startTime '{}': {e}", self.name, self.start_time))?;
        let duration = Duration::from_millis(self.duration_ms);
        let left = (started_at + duration - now_wall).max(time::Duration::ZERO);
        let left = Duration::try_from(left).unwrap_or_default();
        Ok(Operation {
            name: self.name,
            kind: self.kind,
            target: self.target,
            replica: self.replica,
            poll_path: self.poll_path,
            status: self.status,
            start_time: self.start_time,
            end_time: self.end_time,
            started_at,
            duration,
            due: now + left,
            error: error_pair(self.error),
            failure: error_pair(self.failure),
        })
    }
}

fn state(doc: &Value) -> &str {
    doc.pointer("/properties/provisioningState").and_then(Value::as_str).unwrap_or("")
}

/// The store and key as the pretty-printed text of a state file.
pub(crate) fn to_text(store: &Store, key: &SigningKey) -> String {
    let file = StateFile {
        version: VERSION,
        signing_key: Some(key.to_base64()),
        subscriptions: store.subscriptions.clone(),
        resource_groups: store
            .resource_groups
            .iter()
            .map(|g| SavedGroup {
                subscription_id: g.sub.clone(),
                resource_group: g.doc.clone(),
                active_operation: g.active_op.clone(),
            })
            .collect(),
        registries: store
            .registries
            .iter()
            .map(|r| SavedRegistry {
                subscription_id: r.sub.clone(),
                resource_group: r.rg.clone(),
                registry: r.doc.clone(),
                replications: r.replicas.iter().map(|x| x.doc.clone()).collect(),
                active_operation: r.active_op.clone(),
                replica_operations: r
                    .replicas
                    .iter()
                    .filter_map(|x| Some((docs::str_field(&x.doc, "name").to_owned(), x.active_op.clone()?)))
                    .collect(),
            })
            .collect(),
        operations: store.operations.iter().map(SavedOperation::from_op).collect(),
        resources: store.resources.clone(),
        role_assignments: store.role_assignments.clone(),
    };
    serde_json::to_string_pretty(&file).unwrap_or_default()
}

/// What a state file holds.
pub(crate) struct Loaded {
    pub store: Store,
    /// `None` in files of emulators that did not save one.
    pub key: Option<SigningKey>,
}

/// Parses a state file. Operations whose time has passed are due at once: the
/// store's first tick finishes them.
pub(crate) fn from_text(text: &str) -> Result<Loaded, String> {
    let file: StateFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if file.version != VERSION {
        return Err(format!("state file version {} is not {VERSION}; delete it to start from the seed", file.version));
    }
    let key = match &file.signing_key {
        Some(k) => Some(SigningKey::from_base64(k).ok_or("signingKey is not a base64 key")?),
        None => None,
    };
    let (now_wall, now) = (OffsetDateTime::now_utc(), Instant::now());
    let operations =
        file.operations.into_iter().map(|o| o.into_op(now_wall, now)).collect::<Result<Vec<Operation>, String>>()?;
    let running: HashSet<String> = operations.iter().filter(|o| o.is_running()).map(|o| o.name.clone()).collect();
    // Only an owner whose operation still runs keeps a resource in flight.
    let live = |op: Option<String>| op.filter(|o| running.contains(o));
    let at = docs::now();
    let mut store = Store {
        subscriptions: file.subscriptions,
        resources: file.resources,
        role_assignments: file.role_assignments,
        ..Store::default()
    };
    let mut gone_groups = Vec::new();
    for g in file.resource_groups {
        let active_op = live(g.active_operation);
        if active_op.is_none() && state(&g.resource_group) == "Deleting" {
            gone_groups.push((g.subscription_id, docs::str_field(&g.resource_group, "name").to_owned()));
            continue;
        }
        store.resource_groups.push(RgEntry { sub: g.subscription_id, doc: g.resource_group, active_op });
    }
    for r in file.registries {
        let in_gone_group = gone_groups
            .iter()
            .any(|(s, g)| crate::store::eq(s, &r.subscription_id) && crate::store::eq(g, &r.resource_group));
        let active_op = live(r.active_operation);
        if in_gone_group || (active_op.is_none() && state(&r.registry) == "Deleting") {
            continue;
        }
        let mut owners = r.replica_operations;
        let replicas = r
            .replications
            .into_iter()
            .filter_map(|mut doc| {
                let active_op = live(owners.remove(docs::str_field(&doc, "name")));
                if active_op.is_none() {
                    match state(&doc) {
                        "Deleting" => return None,
                        "Creating" | "Updating" => docs::set_state(&mut doc, "Succeeded", None, &at),
                        _ => {}
                    }
                }
                Some(ReplicaEntry { doc, active_op })
            })
            .collect();
        store.registries.push(RegistryEntry {
            sub: r.subscription_id,
            rg: r.resource_group,
            doc: r.registry,
            replicas,
            active_op,
        });
    }
    for (sub, rg) in &gone_groups {
        store.drop_group_contents(sub, rg);
    }
    store.operations = operations;
    Ok(Loaded { store, key })
}

/// Loads `path` if it exists (`Ok(None)` when it does not).
pub(crate) fn load(path: &Path) -> std::io::Result<Option<Loaded>> {
    match std::fs::read_to_string(path) {
        Ok(text) => from_text(&text).map(Some).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes durably: temporary file beside `path` (same file system, so the rename is
/// atomic), fsync, rename, fsync of the directory (which makes the rename itself
/// durable). The file holds the token key, so it is readable by its owner only.
pub(crate) fn save(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "state".into());
    // The pid keeps a second emulator on the same file (a restart overlapping the old
    // process) from writing into this one's temporary file.
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::OpRequest;
    use crate::seed::{Seed, SeedRegistry, SeedReplica};

    fn round_trip(store: &Store, key: &SigningKey) -> Store {
        from_text(&to_text(store, key)).unwrap().store
    }

    #[test]
    fn round_trip_settles_what_no_operation_owns() {
        let seed = Seed::docs_example().with_registry(
            SeedRegistry::premium(crate::seed::DEMO_SUBSCRIPTION_ID, "rg2", "other0001", "westus")
                .with_replica(SeedReplica::user("japaneast", "japaneast").with_state("Creating"))
                .with_replica(SeedReplica::user("westeurope", "westeurope").with_state("Deleting")),
        );
        let store = Store::from_seed(&seed);
        let key = SigningKey::generate();
        let loaded = from_text(&to_text(&store, &key)).unwrap();
        assert_eq!(loaded.key.map(|k| k.to_base64()), Some(key.to_base64()), "the key is kept");
        let back = loaded.store;
        assert_eq!(back.subscriptions.len(), 1);
        assert_eq!(back.resource_groups.len(), 2 + 6, "two registry groups and the demo workloads' six");
        assert_eq!(back.resources, store.resources, "workloads are kept");
        assert_eq!(back.role_assignments, store.role_assignments);
        assert!(!back.resources.is_empty());
        let other = &back.registries[1];
        let names: Vec<&str> = other.replicas.iter().map(|r| docs::str_field(&r.doc, "name")).collect();
        assert_eq!(names, ["westus", "japaneast"]);
        assert_eq!(state(&other.replicas[1].doc), "Succeeded");
        assert!(from_text(r#"{"version":9,"subscriptions":[],"resourceGroups":[],"registries":[]}"#).is_err());
        // Files of older emulators (no key, no operations) still load.
        let old = from_text(r#"{"version":1,"subscriptions":[],"resourceGroups":[],"registries":[]}"#).unwrap();
        assert!(old.key.is_none());
    }

    #[test]
    fn operations_in_flight_keep_running_for_what_is_left() {
        let mut store = Store::from_seed(&Seed::docs_example());
        let reg_id = store.registries[0].id().to_owned();
        let op = store.start_op(OpRequest {
            kind: OpKind::CreateReplica,
            target: reg_id,
            replica: Some("eastus".into()),
            name: None,
            poll_path: Box::new(|op| format!("/x/operationStatuses/{op}")),
            delay: Duration::from_secs(3600),
            failure: Some(("Code".into(), "Message".into())),
        });
        store.registries[0].replicas[0].active_op = Some(op.clone());
        docs::set_state(&mut store.registries[0].replicas[0].doc, "Creating", None, &docs::now());

        let mut back = round_trip(&store, &SigningKey::generate());
        let saved = back.operation(&op).unwrap();
        assert!(saved.is_running());
        assert_eq!(saved.poll_path, format!("/x/operationStatuses/{op}"));
        let left = saved.due.saturating_duration_since(Instant::now());
        assert!(left > Duration::from_secs(3590) && left <= Duration::from_secs(3600), "{left:?}");
        assert_eq!(state(&back.registries[0].replicas[0].doc), "Creating", "still in flight");
        // Its time comes: it ends with the outcome the fault decided before the restart.
        back.tick(Instant::now() + Duration::from_secs(3601));
        assert_eq!(back.operation(&op).unwrap().status, "Failed");
        assert_eq!(state(&back.registries[0].replicas[0].doc), "Failed");
    }

    #[test]
    fn saves_leave_no_temporary_file_and_owner_only_access() {
        let dir = std::env::temp_dir().join(format!("replimap-persist-{}", uuid::Uuid::new_v4()));
        let path = dir.join("state.json");
        save(&path, "one").unwrap();
        save(&path, "two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let names: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["state.json"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
