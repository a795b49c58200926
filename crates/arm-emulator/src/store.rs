//! In-memory state: subscriptions, resource groups, registries with their
//! replicas, and long-running operations. Documents are `serde_json::Value`s in
//! ARM's wire shape; names are matched case-insensitively, as ARM does.

use std::time::Instant;

use serde_json::{Map, Value};

use crate::docs::{self, NewRegistry, NewReplica};
use crate::error::{ArmError, ArmResult};
use crate::operation::Operation;
use crate::seed::{Seed, SeedRegistry};

pub(crate) struct RgEntry {
    pub sub: String,
    pub doc: Value,
    /// The running deletion of the group, if any (`group_delete.rs`).
    pub active_op: Option<String>,
}

pub(crate) struct ReplicaEntry {
    pub doc: Value,
    /// The running operation that owns this replica's state, if any. A finishing
    /// operation only touches the replica when it is still the owner.
    pub active_op: Option<String>,
}

pub(crate) struct RegistryEntry {
    pub sub: String,
    pub rg: String,
    pub doc: Value,
    /// In creation order, so lists show the home replica first.
    pub replicas: Vec<ReplicaEntry>,
    pub active_op: Option<String>,
}

impl RegistryEntry {
    pub fn name(&self) -> &str {
        docs::str_field(&self.doc, "name")
    }
    pub fn id(&self) -> &str {
        docs::str_field(&self.doc, "id")
    }
    /// Home region (the registry's `location`).
    pub fn location(&self) -> &str {
        docs::str_field(&self.doc, "location")
    }
    pub fn sku(&self) -> &str {
        self.doc.pointer("/sku/name").and_then(Value::as_str).unwrap_or("")
    }
    pub fn replica(&self, name: &str) -> Option<&ReplicaEntry> {
        self.replicas.iter().find(|r| eq(docs::str_field(&r.doc, "name"), name))
    }
    pub fn replica_mut(&mut self, name: &str) -> Option<&mut ReplicaEntry> {
        self.replicas.iter_mut().find(|r| eq(docs::str_field(&r.doc, "name"), name))
    }
}

/// A replica deleted while a `recreateConflictMs` fault was armed: re-creating
/// it (same name or location) between `from` and `until` answers 409.
pub(crate) struct Tombstone {
    pub registry_id: String,
    pub name: String,
    pub location: String,
    /// When the delete finishes; before that the replica still exists.
    pub from: Instant,
    pub until: Instant,
    pub code: String,
    pub message: Option<String>,
}

#[derive(Default)]
pub(crate) struct Store {
    pub subscriptions: Vec<Value>,
    pub resource_groups: Vec<RgEntry>,
    pub registries: Vec<RegistryEntry>,
    pub operations: Vec<Operation>,
    pub tombstones: Vec<Tombstone>,
    /// Workload documents of any type (`workloads.rs`), in the order they were added.
    pub resources: Vec<Value>,
    /// `Microsoft.Authorization/roleAssignments` documents.
    pub role_assignments: Vec<Value>,
}

pub(crate) fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl Store {
    pub fn from_seed(seed: &Seed) -> Self {
        let mut store = Self::default();
        let at = docs::now();
        for s in &seed.subscriptions {
            store.add_subscription(&s.id, &s.display_name, &s.tenant_id);
        }
        for rg in &seed.resource_groups {
            store.ensure_rg(&rg.subscription_id, &rg.name, &rg.location);
        }
        for reg in &seed.registries {
            store.add_seed_registry(reg, &at);
        }
        // A seed entry that does not make a document is skipped with a note: the seed
        // is checked by its own tests, and one bad entry should not stop the emulator.
        for w in &seed.workloads {
            if let Err(e) = store.put_workload(w) {
                eprintln!("replimap emulator: seed workload skipped: {e}");
            }
        }
        for a in &seed.role_assignments {
            if let Err(e) = store.put_role_assignment(a) {
                eprintln!("replimap emulator: seed role assignment skipped: {e}");
            }
        }
        store
    }

    /// Creates a placeholder subscription if missing (workloads may name any).
    pub(crate) fn ensure_subscription(&mut self, sub: &str) {
        let display = format!("Subscription {sub}");
        self.add_subscription(sub, &display, crate::seed::DEMO_TENANT_ID);
    }

    fn add_subscription(&mut self, id: &str, name: &str, tenant: &str) {
        if self.subscription(id).is_none() {
            self.subscriptions.push(docs::subscription(id, name, tenant));
        }
    }

    /// Creates the resource group (and a placeholder subscription) if missing.
    pub(crate) fn ensure_rg(&mut self, sub: &str, rg: &str, location: &str) {
        self.ensure_subscription(sub);
        if self.rg(sub, rg).is_none() {
            self.put_rg(sub, rg, location, Map::new());
        }
    }

    pub fn put_rg(&mut self, sub: &str, rg: &str, location: &str, tags: Map<String, Value>) {
        let doc = docs::resource_group(sub, rg, location, tags);
        match self.resource_groups.iter_mut().find(|e| eq(&e.sub, sub) && eq(docs::str_field(&e.doc, "name"), rg)) {
            Some(e) => e.doc = doc,
            None => self.resource_groups.push(RgEntry { sub: sub.into(), doc, active_op: None }),
        }
    }

    /// Adds (or replaces) a registry described by a seed.
    pub fn add_seed_registry(&mut self, reg: &SeedRegistry, at: &str) {
        self.ensure_rg(&reg.subscription_id, &reg.resource_group, &reg.location);
        let id = docs::registry_id(&reg.subscription_id, &reg.resource_group, &reg.name);
        let tags = reg.tags.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect();
        let location = crate::regions::normalize(&reg.location);
        let seed_user = crate::auth::Principal::seed_user();
        let new =
            NewRegistry { id: &id, name: &reg.name, location: &location, sku: &reg.sku, tags, created_by: &seed_user };
        let doc = docs::registry(new, at);
        let replicas = reg
            .replicas
            .iter()
            .map(|r| {
                let tags = r.tags.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect();
                let created_by = crate::auth::Principal::from_seed(&r.created_by_type);
                let new = NewReplica {
                    registry_id: &id,
                    name: &r.name,
                    location: &crate::regions::normalize(&r.location),
                    tags,
                    region_endpoint_enabled: r.region_endpoint_enabled,
                    zone_redundancy: &r.zone_redundancy,
                    created_by: &created_by,
                    provisioning_state: &r.provisioning_state,
                };
                ReplicaEntry { doc: docs::replica(new, at), active_op: None }
            })
            .collect();
        self.registries.retain(|e| !eq(e.id(), &id));
        self.registries.push(RegistryEntry {
            sub: reg.subscription_id.clone(),
            rg: reg.resource_group.clone(),
            doc,
            replicas,
            active_op: None,
        });
    }

    pub fn subscription(&self, sub: &str) -> Option<&Value> {
        self.subscriptions.iter().find(|s| eq(docs::str_field(s, "subscriptionId"), sub))
    }

    pub fn rg(&self, sub: &str, rg: &str) -> Option<&RgEntry> {
        self.resource_groups.iter().find(|e| eq(&e.sub, sub) && eq(docs::str_field(&e.doc, "name"), rg))
    }

    pub fn rg_mut(&mut self, sub: &str, rg: &str) -> Option<&mut RgEntry> {
        self.resource_groups.iter_mut().find(|e| eq(&e.sub, sub) && eq(docs::str_field(&e.doc, "name"), rg))
    }

    pub fn require_sub(&self, sub: &str) -> ArmResult<()> {
        self.subscription(sub).map(|_| ()).ok_or_else(|| ArmError::subscription_not_found(sub))
    }

    /// Subscription, then resource group: the order ARM reports them in.
    pub fn require_rg(&self, sub: &str, rg: &str) -> ArmResult<()> {
        self.require_sub(sub)?;
        self.rg(sub, rg).map(|_| ()).ok_or_else(|| ArmError::resource_group_not_found(rg))
    }

    pub fn registry_index(&self, sub: &str, rg: &str, reg: &str) -> Option<usize> {
        self.registries.iter().position(|e| eq(&e.sub, sub) && eq(&e.rg, rg) && eq(e.name(), reg))
    }

    /// The registry for a child (replication) call: missing parent is
    /// `ParentResourceNotFound`.
    pub fn parent_registry_mut(&mut self, sub: &str, rg: &str, reg: &str) -> ArmResult<&mut RegistryEntry> {
        self.require_rg(sub, rg)?;
        let idx = self.registry_index(sub, rg, reg).ok_or_else(|| ArmError::parent_not_found(reg))?;
        self.registries.get_mut(idx).ok_or_else(|| ArmError::parent_not_found(reg))
    }

    /// Registry names are global (`{name}.azurecr.io`), so a name is enough.
    pub fn registry_by_name_mut(&mut self, name: &str) -> Option<&mut RegistryEntry> {
        self.registries.iter_mut().find(|e| eq(e.name(), name))
    }

    pub fn registry_by_id_mut(&mut self, id: &str) -> Option<&mut RegistryEntry> {
        self.registries.iter_mut().find(|e| eq(e.id(), id))
    }

    /// The tombstone that forbids re-creating `name` in `location` now, if any.
    pub fn recreate_blocked(
        &mut self,
        registry_id: &str,
        name: &str,
        location: &str,
        now: Instant,
    ) -> Option<&Tombstone> {
        self.tombstones.retain(|t| t.until > now);
        self.tombstones.iter().find(|t| {
            eq(&t.registry_id, registry_id) && t.from <= now && (eq(&t.name, name) || eq(&t.location, location))
        })
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| eq(&o.name, name))
    }
}
