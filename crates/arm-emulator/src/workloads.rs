//! Workloads: resources of any type kept as generic ARM documents (`id`, `name`, `type`,
//! `kind`, `location`, `tags`, `properties`, plus `identity`/`sku` when given), and role
//! assignments. They are what Resource Graph, `/resources` and the per-type GETs answer
//! from; nothing writes them through ARM (the admin API and the seed do).
//!
//! A child resource (a Batch pool, `Microsoft.Batch/batchAccounts/pools`) is a document
//! like any other whose id names its parent.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::docs;
use crate::store::{eq, Store};

/// The role-assignment resource type.
pub(crate) const ROLE_ASSIGNMENT_TYPE: &str = "Microsoft.Authorization/roleAssignments";

/// A workload resource as the seed and `PUT /_emulator/workloads` take it (camelCase JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedWorkload {
    /// Full ARM id: `/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{type}/{name}[/{child}/{name}]`.
    pub id: String,
    /// ARM type as ARM spells it, e.g. `Microsoft.App/containerApps`; must match the id.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Region; may be empty for child resources (Batch pools have none).
    #[serde(default)]
    pub location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub tags: Map<String, Value>,
    #[serde(default)]
    pub properties: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<Value>,
}

/// A role assignment as the seed and `PUT /_emulator/role-assignments` take it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedRoleAssignment {
    /// Full id; derived from the scope and a name made from the other fields when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub principal_id: String,
    /// An ARM id (subscription, group or resource) the role is granted at.
    pub scope: String,
    /// The role definition's GUID or its full id.
    pub role_definition_id: String,
    #[serde(default = "service_principal")]
    pub principal_type: String,
}

fn service_principal() -> String {
    "ServicePrincipal".into()
}

/// What an id says: subscription, group, and the type segments after `providers`.
pub(crate) struct ParsedId<'a> {
    pub sub: &'a str,
    pub rg: &'a str,
    /// `Microsoft.App/containerApps` or `Microsoft.Batch/batchAccounts/pools`.
    pub resource_type: String,
    pub name: &'a str,
}

/// Splits a resource id; `None` unless it is group-level with a provider and a name.
pub(crate) fn parse_id(id: &str) -> Option<ParsedId<'_>> {
    let segs: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        [s, sub, g, rg, p, ns, rest @ ..]
            if eq(s, "subscriptions") && eq(g, "resourceGroups") && eq(p, "providers") && rest.len() >= 2 =>
        {
            if rest.len() % 2 != 0 {
                return None;
            }
            let types: Vec<&str> = rest.iter().step_by(2).copied().collect();
            Some(ParsedId { sub, rg, resource_type: format!("{ns}/{}", types.join("/")), name: rest[rest.len() - 1] })
        }
        _ => None,
    }
}

/// The subscription an id (or scope) lies in.
pub(crate) fn subscription_of(id: &str) -> Option<&str> {
    let mut segs = id.split('/').filter(|s| !s.is_empty());
    match (segs.next(), segs.next()) {
        (Some(s), Some(sub)) if eq(s, "subscriptions") => Some(sub),
        _ => None,
    }
}

/// Whether a document is a top-level resource (what `/resources` lists).
pub(crate) fn is_top_level(doc: &Value) -> bool {
    docs::str_field(doc, "type").matches('/').count() == 1
}

impl SeedWorkload {
    /// The stored document, or why the body is wrong.
    pub(crate) fn to_doc(&self) -> Result<Value, String> {
        let parsed = parse_id(&self.id).ok_or_else(|| {
            format!(
                "id '{}' is not a resource id (/subscriptions/{{sub}}/resourceGroups/{{rg}}/providers/{{ns}}/{{type}}/{{name}})",
                self.id
            )
        })?;
        if !eq(&parsed.resource_type, &self.resource_type) {
            return Err(format!(
                "type '{}' does not match the id's type '{}'",
                self.resource_type, parsed.resource_type
            ));
        }
        if self.location.is_empty() && !self.resource_type.contains('/') {
            return Err("location is required".into());
        }
        if !self.properties.is_object() && !self.properties.is_null() {
            return Err("properties must be an object".into());
        }
        let mut doc = json!({ "id": self.id, "name": parsed.name, "type": self.resource_type });
        if !self.location.is_empty() {
            doc["location"] = crate::regions::normalize(&self.location).into();
        }
        if let Some(kind) = &self.kind {
            doc["kind"] = kind.as_str().into();
        }
        if !self.tags.is_empty() {
            doc["tags"] = Value::Object(self.tags.clone());
        }
        for (key, v) in [("identity", &self.identity), ("sku", &self.sku)] {
            if let Some(v) = v {
                doc[key] = v.clone();
            }
        }
        doc["properties"] = if self.properties.is_null() { json!({}) } else { self.properties.clone() };
        Ok(doc)
    }
}

/// `/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}` from a
/// GUID or a full id.
fn role_definition_id(sub: &str, given: &str) -> String {
    if given.contains('/') {
        given.to_owned()
    } else {
        format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{given}")
    }
}

/// A stable GUID-shaped name from text (FNV-1a, twice), so seeds and the generator make
/// the same ids every run.
pub(crate) fn stable_guid(text: &str) -> String {
    let a = fnv1a(text.as_bytes(), 0xcbf2_9ce4_8422_2325);
    let b = fnv1a(text.as_bytes(), 0x8422_2325_cbf2_9ce4);
    let hex = format!("{a:016x}{b:016x}");
    format!("{}-{}-4{}-8{}-{}", &hex[0..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..32])
}

pub(crate) fn fnv1a(bytes: &[u8], seed: u64) -> u64 {
    bytes.iter().fold(seed, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

impl SeedRoleAssignment {
    pub(crate) fn to_doc(&self) -> Result<Value, String> {
        let sub = subscription_of(&self.scope)
            .ok_or_else(|| format!("scope '{}' is not within a subscription", self.scope))?
            .to_owned();
        if self.principal_id.is_empty() {
            return Err("principalId is required".into());
        }
        let role = role_definition_id(&sub, &self.role_definition_id);
        let id = match &self.id {
            Some(id) => id.clone(),
            None => {
                let name = stable_guid(&format!("{}|{}|{}", self.scope, self.principal_id, role).to_ascii_lowercase());
                format!("{}/providers/{ROLE_ASSIGNMENT_TYPE}/{name}", self.scope.trim_end_matches('/'))
            }
        };
        let name = id.rsplit('/').next().unwrap_or_default().to_owned();
        Ok(json!({
            "id": id,
            "name": name,
            "type": ROLE_ASSIGNMENT_TYPE,
            "properties": {
                "roleDefinitionId": role,
                "principalId": self.principal_id,
                "principalType": self.principal_type,
                "scope": self.scope,
                "condition": null,
                "conditionVersion": null,
                "createdOn": "2026-01-05T09:00:00.0000000Z",
                "updatedOn": "2026-01-05T09:00:00.0000000Z",
                "createdBy": null,
                "updatedBy": null,
                "delegatedManagedIdentityResourceId": null,
                "description": null
            }
        }))
    }
}

impl Store {
    /// Adds or replaces a workload; creates its subscription and group if missing.
    pub fn put_workload(&mut self, w: &SeedWorkload) -> Result<Value, String> {
        let doc = w.to_doc()?;
        if let Some(p) = parse_id(&w.id) {
            let location = if w.location.is_empty() { "eastus" } else { &w.location };
            self.ensure_rg(p.sub, p.rg, &crate::regions::normalize(location));
        }
        match self.resources.iter_mut().find(|d| eq(docs::str_field(d, "id"), &w.id)) {
            Some(old) => *old = doc.clone(),
            None => self.resources.push(doc.clone()),
        }
        Ok(doc)
    }

    /// Removes a workload and its children; `false` when there was none.
    pub fn remove_workload(&mut self, id: &str) -> bool {
        let child_prefix = format!("{}/", id.trim_end_matches('/')).to_ascii_lowercase();
        let before = self.resources.len();
        self.resources.retain(|d| {
            let rid = docs::str_field(d, "id");
            !eq(rid, id) && !rid.to_ascii_lowercase().starts_with(&child_prefix)
        });
        self.resources.len() != before
    }

    pub fn workload(&self, id: &str) -> Option<&Value> {
        self.resources.iter().find(|d| eq(docs::str_field(d, "id"), id))
    }

    /// Adds or replaces a role assignment (same id); creates its subscription if missing.
    pub fn put_role_assignment(&mut self, a: &SeedRoleAssignment) -> Result<Value, String> {
        let doc = a.to_doc()?;
        if let Some(sub) = subscription_of(&a.scope) {
            self.ensure_subscription(sub);
        }
        let id = docs::str_field(&doc, "id").to_owned();
        match self.role_assignments.iter_mut().find(|d| eq(docs::str_field(d, "id"), &id)) {
            Some(old) => *old = doc.clone(),
            None => self.role_assignments.push(doc.clone()),
        }
        Ok(doc)
    }

    pub fn remove_role_assignment(&mut self, id: &str) -> bool {
        let before = self.role_assignments.len();
        self.role_assignments.retain(|d| !eq(docs::str_field(d, "id"), id));
        self.role_assignments.len() != before
    }

    /// A deleted group takes its workloads and the role assignments scoped in it along.
    pub(crate) fn drop_group_contents(&mut self, sub: &str, rg: &str) {
        let prefix = format!("/subscriptions/{sub}/resourceGroups/{rg}/").to_ascii_lowercase();
        let inside = |id: &str| format!("{}/", id.to_ascii_lowercase()).starts_with(&prefix);
        self.resources.retain(|d| !inside(docs::str_field(d, "id")));
        self.role_assignments.retain(|d| !inside(d.pointer("/properties/scope").and_then(Value::as_str).unwrap_or("")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> SeedWorkload {
        SeedWorkload {
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps/web".into(),
            resource_type: "Microsoft.App/containerApps".into(),
            location: "West Europe".into(),
            kind: None,
            tags: Map::new(),
            properties: json!({"template": {"containers": [{"image": "a.azurecr.io/web:1"}]}}),
            identity: None,
            sku: None,
        }
    }

    #[test]
    fn ids_types_and_children() {
        let p =
            parse_id("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Batch/batchAccounts/b/pools/p").unwrap();
        assert_eq!((p.sub, p.rg, p.name), ("s", "rg", "p"));
        assert_eq!(p.resource_type, "Microsoft.Batch/batchAccounts/pools");
        assert!(parse_id("/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps").is_none());
        let doc = app().to_doc().unwrap();
        assert_eq!(doc["location"], "westeurope");
        assert_eq!(doc["name"], "web");
        assert!(is_top_level(&doc));
        let wrong = SeedWorkload { resource_type: "Microsoft.App/jobs".into(), ..app() };
        assert!(wrong.to_doc().unwrap_err().contains("does not match"));
    }

    #[test]
    fn store_creates_groups_and_removes_children() {
        let mut store = Store::default();
        store.put_workload(&app()).unwrap();
        assert!(store.rg("s", "rg").is_some(), "the group is created");
        let pool = SeedWorkload {
            id: format!("{}/pools/p", app().id),
            resource_type: "Microsoft.App/containerApps/pools".into(),
            location: String::new(),
            ..app()
        };
        store.put_workload(&pool).unwrap();
        assert_eq!(store.resources.len(), 2);
        assert!(store.remove_workload(&app().id.to_uppercase()));
        assert!(store.resources.is_empty(), "children go with the parent");
    }

    #[test]
    fn role_assignment_ids_are_stable() {
        let a = SeedRoleAssignment {
            id: None,
            principal_id: "p".into(),
            scope: "/subscriptions/s/resourceGroups/rg".into(),
            role_definition_id: "7f951dda-4ed3-4680-a7ca-43fe172d538d".into(),
            principal_type: service_principal(),
        };
        let (x, y) = (a.to_doc().unwrap(), a.to_doc().unwrap());
        assert_eq!(x["id"], y["id"]);
        assert!(x["id"]
            .as_str()
            .unwrap()
            .starts_with("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/"));
        assert_eq!(
            x["properties"]["roleDefinitionId"],
            "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d"
        );
        assert_eq!(stable_guid("x").len(), 36);
    }
}
