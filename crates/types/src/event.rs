//! Events on `GET /api/v1/events` (server-sent events, JSON in `data:`).

use serde::{Deserialize, Serialize};

use crate::{AuditRecord, Coverage, RegistryKey, RegistrySummary, Replication, ReplicationName};

/// Everything known about one watched registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryState {
    /// The registry.
    pub registry: RegistrySummary,
    /// Its replications, sorted by name.
    pub replications: Vec<Replication>,
    /// Why the last poll failed, if it did (the data above is then the last good one).
    #[serde(default)]
    pub error: Option<String>,
    /// Where its images run, once workload discovery has read it (`None` before, or with
    /// discovery off).
    #[serde(default)]
    pub coverage: Option<Coverage>,
}

/// One message of the status stream. The first message on every connection is a
/// `snapshot`; the rest are deltas against it. On the wire an object with its variant in `type`
/// (serde's internally tagged form) and the variant's fields beside it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
// An event is built once and serialised once for every client (the hub shares the frame), so
// the size of the largest variant costs nothing per client; boxing it would only add a hop.
#[allow(clippy::large_enum_variant)]
pub enum StatusEvent {
    /// The full state of every watched registry.
    Snapshot {
        /// One entry per registry.
        registries: Vec<RegistryState>,
    },
    /// A replication appeared or changed.
    ReplicationUpserted {
        /// Its registry.
        registry: RegistryKey,
        /// Its new state.
        replication: Replication,
    },
    /// A replication is gone.
    ReplicationRemoved {
        /// Its registry.
        registry: RegistryKey,
        /// Its name.
        name: ReplicationName,
    },
    /// A write the portal started ended in error; the message is for people.
    OperationFailed {
        /// Its registry.
        registry: RegistryKey,
        /// The replication the write was for.
        name: ReplicationName,
        /// What ARM said.
        message: String,
    },
    /// Polling a registry started or stopped failing.
    RegistryError {
        /// The registry.
        registry: RegistryKey,
        /// The error, or `None` once polling works again.
        error: Option<String>,
    },
    /// Workload discovery saw the registry's workloads change.
    CoverageChanged {
        /// The registry.
        registry: RegistryKey,
        /// Its coverage now.
        coverage: Coverage,
    },
    /// An audit record was written or moved on (the activity page lists it live).
    Activity {
        /// The record as it stands now.
        record: AuditRecord,
    },
}

/// What [`RegistryState::apply`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// A replication appeared (`before: None`) or changed; `after` is its new state.
    Upserted {
        /// Its state before the event, if it was known.
        before: Option<Replication>,
        /// Its state now.
        after: Replication,
    },
    /// A replication is gone; this was its last state.
    Removed(Replication),
    /// The registry's poll error was set or cleared.
    Error,
    /// The registry's coverage was replaced.
    Coverage,
    /// Nothing changed (a snapshot, a failed write, another registry's event, an unknown name).
    Nothing,
}

impl StatusEvent {
    /// The registry a delta is about (`None` for a snapshot, which is about all of them).
    pub fn registry(&self) -> Option<&RegistryKey> {
        match self {
            Self::Snapshot { .. } => None,
            Self::ReplicationUpserted { registry, .. }
            | Self::ReplicationRemoved { registry, .. }
            | Self::OperationFailed { registry, .. }
            | Self::RegistryError { registry, .. }
            | Self::CoverageChanged { registry, .. } => Some(registry),
            Self::Activity { record } => record.registry.as_ref(),
        }
    }
}

impl RegistryState {
    /// Applies one delta of the stream to this registry: the one reducer, used by the hub for
    /// the state it hands new clients and by the page for what it shows, so both read the
    /// stream the same way. Replications stay sorted by name; an upsert without `isHome` (a
    /// delta may omit it) is the home replica when it is in the registry's home region.
    pub fn apply(&mut self, event: &StatusEvent) -> Applied {
        if event.registry() != Some(&self.registry.key) {
            return Applied::Nothing;
        }
        match event {
            StatusEvent::ReplicationUpserted { replication, .. } => {
                let mut after = replication.clone();
                after.is_home |= after.location == self.registry.location;
                let before = match self.replications.iter_mut().find(|r| r.name == after.name) {
                    Some(r) => Some(std::mem::replace(r, after.clone())),
                    None => {
                        self.replications.push(after.clone());
                        self.replications.sort_by(|a, b| a.name.cmp(&b.name));
                        None
                    }
                };
                Applied::Upserted { before, after }
            }
            StatusEvent::ReplicationRemoved { name, .. } => {
                match self.replications.iter().position(|r| &r.name == name) {
                    Some(i) => Applied::Removed(self.replications.remove(i)),
                    None => Applied::Nothing,
                }
            }
            StatusEvent::RegistryError { error, .. } => {
                self.error = error.clone();
                Applied::Error
            }
            StatusEvent::CoverageChanged { coverage, .. } => {
                self.coverage = Some(coverage.clone());
                Applied::Coverage
            }
            StatusEvent::Snapshot { .. } | StatusEvent::OperationFailed { .. } | StatusEvent::Activity { .. } => {
                Applied::Nothing
            }
        }
    }
}

/// Reads the internally tagged form without serde's buffering of the whole object (its
/// `Content` machinery was a twentieth of the browser's WASM): every variant's fields are read
/// in one pass into one flat record, then `type` picks the variant and its required fields.
impl<'de> Deserialize<'de> for StatusEvent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;

        #[derive(Deserialize)]
        struct Wire {
            #[serde(rename = "type")]
            kind: String,
            registries: Option<Vec<RegistryState>>,
            registry: Option<RegistryKey>,
            replication: Option<Replication>,
            name: Option<ReplicationName>,
            message: Option<String>,
            // `null` once polling works again; the same when absent.
            #[serde(default)]
            error: Option<String>,
            record: Option<AuditRecord>,
            coverage: Option<Coverage>,
        }
        const VARIANTS: &[&str] = &[
            "snapshot",
            "replication_upserted",
            "replication_removed",
            "operation_failed",
            "registry_error",
            "coverage_changed",
            "activity",
        ];
        fn need<T, E: Error>(field: Option<T>, name: &'static str) -> Result<T, E> {
            field.ok_or_else(|| E::missing_field(name))
        }

        let w = Wire::deserialize(d)?;
        Ok(match w.kind.as_str() {
            "snapshot" => Self::Snapshot { registries: need(w.registries, "registries")? },
            "replication_upserted" => Self::ReplicationUpserted {
                registry: need(w.registry, "registry")?,
                replication: need(w.replication, "replication")?,
            },
            "replication_removed" => {
                Self::ReplicationRemoved { registry: need(w.registry, "registry")?, name: need(w.name, "name")? }
            }
            "operation_failed" => Self::OperationFailed {
                registry: need(w.registry, "registry")?,
                name: need(w.name, "name")?,
                message: need(w.message, "message")?,
            },
            "registry_error" => Self::RegistryError { registry: need(w.registry, "registry")?, error: w.error },
            "coverage_changed" => Self::CoverageChanged {
                registry: need(w.registry, "registry")?,
                coverage: need(w.coverage, "coverage")?,
            },
            "activity" => Self::Activity { record: need(w.record, "record")? },
            other => return Err(D::Error::unknown_variant(other, VARIANTS)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key() -> serde_json::Value {
        json!({"subscriptionId": "00000000-0000-0000-0000-000000000000", "resourceGroup": "rg", "name": "myACR0007"})
    }

    fn replication() -> serde_json::Value {
        json!({"name": "westeurope", "location": "westeurope", "provisioningState": "Succeeded", "regionEndpointEnabled": true})
    }

    #[test]
    fn every_variant_reads_back_what_the_server_writes() {
        let events = [
            json!({"type": "snapshot", "registries": []}),
            json!({"type": "replication_upserted", "registry": key(), "replication": replication()}),
            json!({"type": "replication_removed", "registry": key(), "name": "westeurope"}),
            json!({"type": "operation_failed", "registry": key(), "name": "westeurope", "message": "Quota"}),
            json!({"type": "registry_error", "registry": key(), "error": "denied"}),
            json!({"type": "registry_error", "registry": key(), "error": null}),
        ];
        for wire in events {
            let event: StatusEvent = serde_json::from_value(wire.clone()).unwrap();
            let back: StatusEvent = serde_json::from_value(serde_json::to_value(&event).unwrap()).unwrap();
            assert_eq!(back, event, "{wire}");
            assert_eq!(serde_json::to_value(&event).unwrap()["type"], wire["type"]);
        }
        // The tag may come anywhere in the object (JSON objects are unordered).
        let late = json!({"registry": key(), "name": "westeurope", "type": "replication_removed"});
        assert!(matches!(serde_json::from_value(late).unwrap(), StatusEvent::ReplicationRemoved { .. }));
    }

    #[test]
    fn the_reducer_applies_deltas_to_their_registry_only() {
        let mut state: RegistryState = serde_json::from_value(json!({
            "registry": {"key": key(), "location": "eastus", "sku": "Premium", "replicable": true},
            "replications": [],
        }))
        .unwrap();
        let event = |v: serde_json::Value| -> StatusEvent { serde_json::from_value(v).unwrap() };
        let up = event(json!({"type": "replication_upserted", "registry": key(), "replication": replication()}));
        assert!(matches!(state.apply(&up), Applied::Upserted { before: None, .. }));
        let mut home = replication();
        home["name"] = "eastus".into();
        home["location"] = "eastus".into();
        let home = event(json!({"type": "replication_upserted", "registry": key(), "replication": home}));
        assert!(matches!(state.apply(&home), Applied::Upserted { after, .. } if after.is_home), "home by region");
        let names: Vec<&str> = state.replications.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["eastus", "westeurope"], "sorted by name");
        assert!(matches!(state.apply(&up), Applied::Upserted { before: Some(_), .. }));
        let mut other_key = key();
        other_key["name"] = "otherreg1".into();
        let elsewhere = event(json!({"type": "replication_removed", "registry": other_key, "name": "westeurope"}));
        assert_eq!(state.apply(&elsewhere), Applied::Nothing, "another registry's event");
        let gone = event(json!({"type": "replication_removed", "registry": key(), "name": "WestEurope"}));
        assert!(matches!(state.apply(&gone), Applied::Removed(r) if r.name.as_str() == "westeurope"));
        assert_eq!(state.apply(&gone), Applied::Nothing, "already gone");
        let failing = event(json!({"type": "registry_error", "registry": key(), "error": "denied"}));
        assert_eq!(state.apply(&failing), Applied::Error);
        assert_eq!(state.error.as_deref(), Some("denied"));
    }

    #[test]
    fn a_wrong_event_says_what_is_wrong() {
        let err = serde_json::from_value::<StatusEvent>(json!({"type": "exploded"})).unwrap_err().to_string();
        assert!(err.contains("unknown variant `exploded`"), "{err}");
        let err = serde_json::from_value::<StatusEvent>(
            json!({"type": "operation_failed", "registry": key(), "name": "westus"}),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("missing field `message`"), "{err}");
        assert!(serde_json::from_value::<StatusEvent>(json!({"registries": []})).is_err(), "no type");
    }
}
