//! `POST /_emulator/workloads/generate`: a deterministic bulk seed for the bench — N
//! workloads of every kind spread over S subscriptions and a list of regions, about a
//! fifth AKS clusters with AcrPull at the registry. The same request makes the same ids,
//! so running it twice replaces rather than doubles.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::docs;
use crate::store::{eq, Store};
use crate::workload_shapes::{self as shape, At};
use crate::workloads::{stable_guid, SeedRoleAssignment};

const DEFAULT_REGIONS: [&str; 8] =
    ["eastus", "westeurope", "japaneast", "australiaeast", "uksouth", "centralindia", "brazilsouth", "canadacentral"];

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Generate {
    pub subscriptions: usize,
    pub workloads: usize,
    /// Login server (`myacr.azurecr.io`), name, or ARM id of a registry the emulator has.
    pub registry: String,
    #[serde(default)]
    pub regions: Option<Vec<String>>,
}

/// `10000000-0000-4000-8000-{i}`: bench subscriptions, apart from the demo's.
pub(crate) fn subscription_id(i: usize) -> String {
    format!("10000000-0000-4000-8000-{i:012}")
}

fn registry<'s>(store: &'s Store, wanted: &str) -> Option<(&'s str, String)> {
    let name = wanted.trim_end_matches(".azurecr.io");
    store
        .registries
        .iter()
        .find(|r| eq(r.id(), wanted) || eq(r.name(), name))
        .map(|r| (r.id(), format!("{}.azurecr.io", r.name().to_ascii_lowercase())))
}

impl Store {
    /// Creates the workloads; answers what was made, or why nothing was.
    pub(crate) fn generate(&mut self, g: &Generate) -> Result<Value, String> {
        if g.subscriptions == 0 || g.subscriptions > 1000 || g.workloads > 100_000 {
            return Err("subscriptions must be 1..=1000 and workloads at most 100000".into());
        }
        let regions: Vec<String> = match &g.regions {
            Some(r) if !r.is_empty() => r.iter().map(|x| crate::regions::normalize(x)).collect(),
            _ => DEFAULT_REGIONS.iter().map(|r| (*r).to_owned()).collect(),
        };
        let (registry_id, server) = registry(self, &g.registry)
            .map(|(id, s)| (id.to_owned(), s))
            .ok_or_else(|| format!("registry '{}' does not exist in the emulator", g.registry))?;
        let subs: Vec<String> = (0..g.subscriptions).map(subscription_id).collect();
        for (i, sub) in subs.iter().enumerate() {
            if self.subscription(sub).is_none() {
                self.subscriptions.push(docs::subscription(sub, &format!("bench {i:03}"), crate::seed::DEMO_TENANT_ID));
            }
        }
        let (mut aks, mut assignments) = (0, 0);
        for i in 0..g.workloads {
            let sub = &subs[i % subs.len()];
            let location = &regions[(i / subs.len()) % regions.len()];
            let rg = format!("bench-{location}");
            let at = At { sub, rg: &rg, location };
            let image = format!("{server}/bench/app{:02}:1.{}", i % 37, i % 5);
            let name = format!("w{i:05}");
            let made = match i % 10 {
                0 | 5 => {
                    let kubelet = stable_guid(&format!("bench-kubelet-{i}"));
                    aks += 1;
                    // Four in five clusters have AcrPull at the registry; the rest are unattributed.
                    if aks % 5 != 0 {
                        self.put_role_assignment(&SeedRoleAssignment {
                            id: None,
                            principal_id: kubelet.clone(),
                            scope: registry_id.clone(),
                            role_definition_id: "7f951dda-4ed3-4680-a7ca-43fe172d538d".into(),
                            principal_type: "ServicePrincipal".into(),
                        })?;
                        assignments += 1;
                    }
                    vec![shape::aks(at, &format!("aks-{name}"), &kubelet)]
                }
                1 | 6 => vec![shape::container_app(at, &format!("app-{name}"), &image, &server)],
                2 => vec![shape::container_app_job(at, &format!("job-{name}"), &image, &server)],
                3 | 7 => vec![shape::container_group(at, &format!("aci-{name}"), &image, &server, i % 2 == 0)],
                4 => vec![shape::site(at, &format!("web-{name}"), "app,linux,container", &format!("DOCKER|{image}"))],
                8 => vec![shape::ml_workspace(at, &format!("ml-{name}"), &registry_id)],
                _ => {
                    let account = shape::batch_account(at, &format!("batch{name}"));
                    let pool = shape::batch_pool(&account, "pool1", &image, &server);
                    vec![account, pool]
                }
            };
            for w in made {
                self.put_workload(&w)?;
            }
        }
        Ok(json!({
            "subscriptions": subs,
            "workloads": g.workloads,
            "aksClusters": aks,
            "roleAssignments": assignments,
            "regions": regions,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_request_same_state() {
        let mut store = Store::from_seed(&crate::seed::Seed::registry_only());
        let g = Generate { subscriptions: 3, workloads: 50, registry: "myacr0007.azurecr.io".into(), regions: None };
        let first = store.generate(&g).unwrap();
        let (n, a) = (store.resources.len(), store.role_assignments.len());
        store.generate(&g).unwrap();
        assert_eq!((store.resources.len(), store.role_assignments.len()), (n, a), "replaced, not doubled");
        assert_eq!(first["aksClusters"], 10);
        assert_eq!(first["roleAssignments"], 8);
        // 50 workloads, 5 of them Batch accounts with a pool each.
        assert_eq!(n, 55);
        assert_eq!(store.subscriptions.len(), 4);
        let bad = Generate { registry: "nope".into(), ..g };
        assert!(store.generate(&bad).unwrap_err().contains("nope"));
    }
}
