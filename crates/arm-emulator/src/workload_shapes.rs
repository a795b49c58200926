//! Workload documents in the shape real ARM returns them for each type (the fields
//! discovery reads, plus enough around them to look real), shared by the demo seed and
//! the bench generator. Sources: `docs/coverage.md` §A.3 (spec fields per type).

use serde_json::{json, Map, Value};

use crate::workloads::{stable_guid, SeedWorkload};

pub(crate) const AKS: &str = "Microsoft.ContainerService/managedClusters";
pub(crate) const CONTAINER_APP: &str = "Microsoft.App/containerApps";
pub(crate) const JOB: &str = "Microsoft.App/jobs";
pub(crate) const ACI: &str = "Microsoft.ContainerInstance/containerGroups";
pub(crate) const SITE: &str = "Microsoft.Web/sites";
pub(crate) const ML: &str = "Microsoft.MachineLearningServices/workspaces";
pub(crate) const BATCH: &str = "Microsoft.Batch/batchAccounts";
pub(crate) const BATCH_POOL: &str = "Microsoft.Batch/batchAccounts/pools";
pub(crate) const VMSS: &str = "Microsoft.Compute/virtualMachineScaleSets";

/// Where a workload lives.
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    pub sub: &'a str,
    pub rg: &'a str,
    pub location: &'a str,
}

impl At<'_> {
    pub fn id(&self, resource_type: &str, name: &str) -> String {
        let (ns, ty) = resource_type.split_once('/').unwrap_or((resource_type, ""));
        format!("/subscriptions/{}/resourceGroups/{}/providers/{ns}/{ty}/{name}", self.sub, self.rg)
    }

    fn workload(&self, resource_type: &str, name: &str, properties: Value) -> SeedWorkload {
        SeedWorkload {
            id: self.id(resource_type, name),
            resource_type: resource_type.into(),
            location: self.location.into(),
            kind: None,
            tags: Map::new(),
            properties,
            identity: None,
            sku: None,
        }
    }
}

/// A user-assigned identity id in the workload's group (what pulls use).
pub(crate) fn identity_id(at: At<'_>, name: &str) -> String {
    at.id("Microsoft.ManagedIdentity/userAssignedIdentities", name)
}

/// `MC_<rg>_<name>_<location>`, AKS's default node resource group.
pub(crate) fn node_resource_group(at: At<'_>, name: &str) -> String {
    format!("MC_{}_{}_{}", at.rg, name, at.location)
}

/// An AKS cluster whose kubelet identity has object id `kubelet`.
pub(crate) fn aks(at: At<'_>, name: &str, kubelet: &str) -> SeedWorkload {
    let node_rg = node_resource_group(at, name);
    let node_at = At { rg: &node_rg, ..at };
    let mut w = at.workload(
        AKS,
        name,
        json!({
            "provisioningState": "Succeeded",
            "powerState": {"code": "Running"},
            "kubernetesVersion": "1.30.6",
            "currentKubernetesVersion": "1.30.6",
            "dnsPrefix": name,
            "fqdn": format!("{name}-dns-{}.hcp.{}.azmk8s.io", &stable_guid(name)[..8], at.location),
            "agentPoolProfiles": [{
                "name": "nodepool1", "count": 3, "vmSize": "Standard_D4s_v5", "osDiskSizeGB": 128,
                "osType": "Linux", "mode": "System", "type": "VirtualMachineScaleSets",
                "availabilityZones": ["1", "2", "3"], "provisioningState": "Succeeded",
                "orchestratorVersion": "1.30.6"
            }],
            "nodeResourceGroup": node_rg,
            "enableRBAC": true,
            "identityProfile": {"kubeletidentity": {
                "resourceId": identity_id(node_at, &format!("{name}-agentpool")),
                "clientId": stable_guid(&format!("{kubelet}/client")),
                "objectId": kubelet
            }},
            "networkProfile": {"networkPlugin": "azure", "loadBalancerSku": "standard"}
        }),
    );
    w.identity = Some(json!({
        "type": "SystemAssigned",
        "principalId": stable_guid(&format!("{name}/control-plane")),
        "tenantId": crate::seed::DEMO_TENANT_ID
    }));
    w.sku = Some(json!({"name": "Base", "tier": "Standard"}));
    w
}

/// The scale set of an AKS node pool, in the cluster's node resource group, as AKS tags it.
pub(crate) fn aks_node_pool_vmss(cluster_at: At<'_>, cluster: &str, extra_tags: &[(&str, &str)]) -> SeedWorkload {
    let node_rg = node_resource_group(cluster_at, cluster);
    let at = At { rg: &node_rg, ..cluster_at };
    let suffix = &stable_guid(cluster).replace('-', "")[..8];
    let mut w = at.workload(
        VMSS,
        &format!("aks-nodepool1-{suffix}-vmss"),
        json!({"provisioningState": "Succeeded", "orchestrationMode": "Uniform", "singlePlacementGroup": false}),
    );
    w.tags.insert("aks-managed-poolName".into(), "nodepool1".into());
    w.tags.insert("aks-managed-createOperationID".into(), stable_guid(&format!("{cluster}/create")).into());
    w.tags.insert("aks-managed-orchestrator".into(), "Kubernetes:1.30.6".into());
    for (k, v) in extra_tags {
        w.tags.insert((*k).into(), (*v).into());
    }
    w.sku = Some(json!({"name": "Standard_D4s_v5", "tier": "Standard", "capacity": 3}));
    w
}

fn environment_id(at: At<'_>) -> String {
    at.id("Microsoft.App/managedEnvironments", &format!("env-{}", at.location))
}

/// A Container App running `image`, pulling from `server` with a user-assigned identity.
pub(crate) fn container_app(at: At<'_>, name: &str, image: &str, server: &str) -> SeedWorkload {
    let pull = identity_id(at, "pull");
    at.workload(
        CONTAINER_APP,
        name,
        json!({
            "provisioningState": "Succeeded",
            "runningStatus": "Running",
            "environmentId": environment_id(at),
            "managedEnvironmentId": environment_id(at),
            "workloadProfileName": "Consumption",
            "configuration": {
                "activeRevisionsMode": "Single",
                "ingress": {"external": true, "targetPort": 8080},
                "registries": [{"server": server, "identity": pull}]
            },
            "template": {
                "containers": [{"name": name, "image": image, "resources": {"cpu": 0.5, "memory": "1Gi"}}],
                "initContainers": null,
                "scale": {"minReplicas": 1, "maxReplicas": 10}
            }
        }),
    )
}

/// A scheduled Container Apps job.
pub(crate) fn container_app_job(at: At<'_>, name: &str, image: &str, server: &str) -> SeedWorkload {
    let pull = identity_id(at, "pull");
    at.workload(
        JOB,
        name,
        json!({
            "provisioningState": "Succeeded",
            "environmentId": environment_id(at),
            "workloadProfileName": "Consumption",
            "configuration": {
                "triggerType": "Schedule",
                "replicaTimeout": 1800,
                "scheduleTriggerConfig": {"cronExpression": "0 2 * * *", "parallelism": 1, "replicaCompletionCount": 1},
                "registries": [{"server": server, "identity": pull}]
            },
            "template": {"containers": [{"name": name, "image": image, "resources": {"cpu": 1.0, "memory": "2Gi"}}]}
        }),
    )
}

/// A container group; `username` pulls with admin credentials instead of an identity.
pub(crate) fn container_group(at: At<'_>, name: &str, image: &str, server: &str, username: bool) -> SeedWorkload {
    let credential = if username {
        json!({"server": server, "username": server.split('.').next().unwrap_or(server)})
    } else {
        json!({"server": server, "identity": identity_id(at, "pull")})
    };
    at.workload(
        ACI,
        name,
        json!({
            "provisioningState": "Succeeded",
            "sku": "Standard",
            "osType": "Linux",
            "restartPolicy": "Always",
            "containers": [{"name": name, "properties": {
                "image": image,
                "ports": [{"port": 80, "protocol": "TCP"}],
                "environmentVariables": [],
                "resources": {"requests": {"cpu": 1.0, "memoryInGB": 1.5}}
            }}],
            "imageRegistryCredentials": [credential],
            "instanceView": {"state": "Running"}
        }),
    )
}

/// An App Service app; `fx` is its `LinuxFxVersion` (`DOCKER|…` for a container).
pub(crate) fn site(at: At<'_>, name: &str, kind: &str, fx: &str) -> SeedWorkload {
    let mut w = at.workload(
        SITE,
        name,
        json!({
            "name": name,
            "state": "Running",
            "hostNames": [format!("{name}.azurewebsites.net")],
            "defaultHostName": format!("{name}.azurewebsites.net"),
            "serverFarmId": at.id("Microsoft.Web/serverfarms", &format!("plan-{}", at.location)),
            "reserved": kind.contains("linux"),
            "httpsOnly": true,
            "siteProperties": {"metadata": null, "properties": [
                {"name": "LinuxFxVersion", "value": fx},
                {"name": "WindowsFxVersion", "value": null}
            ], "appSettings": null},
            // Real ARM: the site GET leaves siteConfig mostly null (config/web has it).
            "siteConfig": {"numberOfWorkers": 1, "linuxFxVersion": null, "windowsFxVersion": null,
                           "acrUseManagedIdentityCreds": true},
            "provisioningState": null
        }),
    );
    w.kind = Some(kind.into());
    w
}

/// An Azure ML workspace whose registry is `registry_id`.
pub(crate) fn ml_workspace(at: At<'_>, name: &str, registry_id: &str) -> SeedWorkload {
    let mut w = at.workload(
        ML,
        name,
        json!({
            "friendlyName": name,
            "provisioningState": "Succeeded",
            "containerRegistry": registry_id,
            "storageAccount": at.id("Microsoft.Storage/storageAccounts", &format!("{}st", name.replace('-', ""))),
            "keyVault": at.id("Microsoft.KeyVault/vaults", &format!("{name}-kv")),
            "applicationInsights": at.id("Microsoft.Insights/components", &format!("{name}-ai")),
            "discoveryUrl": format!("https://{}.api.azureml.ms/discovery", at.location),
            "workspaceId": stable_guid(name),
            "publicNetworkAccess": "Enabled"
        }),
    );
    w.kind = Some("Default".into());
    w.sku = Some(json!({"name": "Basic", "tier": "Basic"}));
    w
}

/// A Batch account (its pools are [`batch_pool`] children).
pub(crate) fn batch_account(at: At<'_>, name: &str) -> SeedWorkload {
    at.workload(
        BATCH,
        name,
        json!({
            "accountEndpoint": format!("{name}.{}.batch.azure.com", at.location),
            "provisioningState": "Succeeded",
            "poolAllocationMode": "BatchService",
            "dedicatedCoreQuota": 500,
            "lowPriorityCoreQuota": 500,
            "poolQuota": 100,
            "publicNetworkAccess": "Enabled"
        }),
    )
}

/// A pool of `account` running `image` from `server` (pools have no location of their own).
pub(crate) fn batch_pool(account: &SeedWorkload, name: &str, image: &str, server: &str) -> SeedWorkload {
    let pull = account.id.rsplit_once("/providers/").map(|(g, _)| g).unwrap_or_default().to_owned()
        + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/pull";
    SeedWorkload {
        id: format!("{}/pools/{name}", account.id),
        resource_type: BATCH_POOL.into(),
        location: String::new(),
        kind: None,
        tags: Map::new(),
        properties: json!({
            "provisioningState": "Succeeded",
            "allocationState": "Steady",
            "vmSize": "STANDARD_D2S_V3",
            "deploymentConfiguration": {"virtualMachineConfiguration": {
                "imageReference": {"publisher": "microsoft-azure-batch", "offer": "ubuntu-server-container",
                                   "sku": "20-04-lts", "version": "latest"},
                "nodeAgentSkuId": "batch.node.ubuntu 20.04",
                "containerConfiguration": {
                    "type": "DockerCompatible",
                    "containerImageNames": [image],
                    "containerRegistries": [{"registryServer": server, "identityReference": {"resourceId": pull}}]
                }
            }},
            "scaleSettings": {"fixedScale": {"targetDedicatedNodes": 2}},
            "currentDedicatedNodes": 2
        }),
        identity: None,
        sku: None,
    }
}
