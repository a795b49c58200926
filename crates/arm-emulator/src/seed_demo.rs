//! The demo workloads of the docs example, around `myACR0007` (home `eastus`, no other
//! replica), so the zero-setup demo has gaps to fill:
//!
//! | region | workloads | for `myACR0007` |
//! | --- | --- | --- |
//! | eastus | container group `orders-api`, job `nightly-report` (App Service `status-page` is not a container) | served (home) |
//! | westeurope | AKS `aks-shop-weu` (AcrPull at the registry), container app `storefront`, its node-pool scale set tagged pulls-from | gap |
//! | japaneast | App Service `catalog-web` (`DOCKER|…`), container group `jp-worker` | gap |
//! | australiaeast | ML workspace `ml-research`, Batch account `batchshopaue` (pool `render`) | gap |
//! | brazilsouth | AKS `aks-legacy-brs`, kubelet with Reader only | unattributed |
//!
//! An AcrPull assignment of a CI principal at `myresourcegroup` is noise: no workload has
//! that principal.

use crate::seed::DEMO_SUBSCRIPTION_ID as SUB;
use crate::workload_shapes::{self as shape, At};
use crate::workloads::{SeedRoleAssignment, SeedWorkload};

const SERVER: &str = "myacr0007.azurecr.io";
/// The portal's opt-in tag (`replimap_types::PULLS_FROM_TAG`; the emulator shares no types).
pub(crate) const PULLS_FROM: &str = "replimap.io/pulls-from";
/// Object ids of the two clusters' kubelet identities.
const KUBELET_WEU: &str = "5b0c6f1e-2f0a-4c3e-9d59-0a1b2c3d4e01";
const KUBELET_BRS: &str = "5b0c6f1e-2f0a-4c3e-9d59-0a1b2c3d4e02";
const CI_PRINCIPAL: &str = "9e7d1c2b-0000-4000-8000-00000000c1c1";
const ACR_PULL: &str = "7f951dda-4ed3-4680-a7ca-43fe172d538d";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

fn registry_id() -> String {
    crate::docs::registry_id(SUB, "myresourcegroup", "myACR0007")
}

fn image(repo: &str) -> String {
    format!("{SERVER}/{repo}")
}

pub(crate) fn workloads() -> Vec<SeedWorkload> {
    let eus = At { sub: SUB, rg: "shop-eastus", location: "eastus" };
    let weu = At { sub: SUB, rg: "shop-westeurope", location: "westeurope" };
    let jpe = At { sub: SUB, rg: "shop-japaneast", location: "japaneast" };
    let aue = At { sub: SUB, rg: "ml-australiaeast", location: "australiaeast" };
    let brs = At { sub: SUB, rg: "legacy-brazilsouth", location: "brazilsouth" };
    let batch = shape::batch_account(aue, "batchshopaue");
    let pool = shape::batch_pool(&batch, "render", &image("render:5.2"), SERVER);
    vec![
        shape::container_group(eus, "orders-api", &image("orders:1.4"), SERVER, false),
        shape::container_app_job(eus, "nightly-report", &image("report:2026.1"), SERVER),
        shape::site(eus, "status-page", "app", ""),
        shape::aks(weu, "aks-shop-weu", KUBELET_WEU),
        shape::aks_node_pool_vmss(weu, "aks-shop-weu", &[(PULLS_FROM, SERVER)]),
        shape::container_app(weu, "storefront", &image("storefront:2.1"), SERVER),
        shape::site(jpe, "catalog-web", "app,linux,container", &format!("DOCKER|{}", image("catalog:3.0"))),
        shape::container_group(jpe, "jp-worker", &image("worker:0.9"), SERVER, true),
        shape::ml_workspace(aue, "ml-research", &registry_id()),
        batch,
        pool,
        shape::aks(brs, "aks-legacy-brs", KUBELET_BRS),
    ]
}

fn assignment(principal: &str, scope: String, role: &str) -> SeedRoleAssignment {
    SeedRoleAssignment {
        id: None,
        principal_id: principal.into(),
        scope,
        role_definition_id: role.into(),
        principal_type: "ServicePrincipal".into(),
    }
}

pub(crate) fn role_assignments() -> Vec<SeedRoleAssignment> {
    vec![
        assignment(KUBELET_WEU, registry_id(), ACR_PULL),
        assignment(KUBELET_BRS, format!("/subscriptions/{SUB}"), READER),
        assignment(CI_PRINCIPAL, format!("/subscriptions/{SUB}/resourceGroups/myresourcegroup"), ACR_PULL),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn every_demo_document_is_valid() {
        let store = Store::from_seed(&crate::seed::Seed::docs_example());
        assert_eq!(store.resources.len(), workloads().len(), "no seed workload was skipped");
        assert_eq!(store.role_assignments.len(), 3);
        assert_eq!(store.registries.len(), 1, "the registry and its replicas stay as they were");
        assert_eq!(store.registries[0].replicas.len(), 1);
        let vmss = store.resources.iter().find(|d| d["type"] == shape::VMSS).unwrap();
        assert!(vmss["id"].as_str().unwrap().contains("/resourceGroups/MC_shop-westeurope_aks-shop-weu_westeurope/"));
    }
}
