//! Where a registry's images run: workloads found by discovery, what each region's coverage
//! is, what replicas cost and the plan that fills the gaps.
//!
//! The map reads [`Coverage`] from the page data and the event stream and derives each
//! region's [`CoverageStatus`] itself from the replicas it already has (with
//! [`Coverage::status`], the one rule, also used by the server), so a replica turning Ready
//! moves the coverage figure at once, without a new discovery.

use serde::{Deserialize, Serialize};

use crate::{RegionName, ReplicaPhase, Replication, ZoneRedundancy};

/// The kinds of compute whose images come from a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WorkloadKind {
    /// `Microsoft.ContainerService/managedClusters`.
    Aks,
    /// `Microsoft.App/containerApps`.
    ContainerApp,
    /// `Microsoft.App/jobs`.
    ContainerAppJob,
    /// `Microsoft.ContainerInstance/containerGroups`.
    ContainerInstance,
    /// `Microsoft.Web/sites` running a container (web apps and function apps).
    AppService,
    /// `Microsoft.MachineLearningServices/workspaces`.
    MachineLearning,
    /// `Microsoft.Batch/batchAccounts`.
    Batch,
    /// Any other resource tagged `replimap.io/pulls-from` (VMs, scale sets, …).
    Tagged,
}

impl WorkloadKind {
    /// Every kind, in the order the map lists them.
    pub const ALL: [Self; 8] = [
        Self::Aks,
        Self::ContainerApp,
        Self::ContainerAppJob,
        Self::ContainerInstance,
        Self::AppService,
        Self::MachineLearning,
        Self::Batch,
        Self::Tagged,
    ];

    /// The ARM resource type, as ARM spells it (`None` for tagged resources of any type).
    pub fn arm_type(self) -> Option<&'static str> {
        Some(match self {
            Self::Aks => "Microsoft.ContainerService/managedClusters",
            Self::ContainerApp => "Microsoft.App/containerApps",
            Self::ContainerAppJob => "Microsoft.App/jobs",
            Self::ContainerInstance => "Microsoft.ContainerInstance/containerGroups",
            Self::AppService => "Microsoft.Web/sites",
            Self::MachineLearning => "Microsoft.MachineLearningServices/workspaces",
            Self::Batch => "Microsoft.Batch/batchAccounts",
            Self::Tagged => return None,
        })
    }

    /// The kind of an ARM resource type (compared without regard to case).
    pub fn of_arm_type(arm_type: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.arm_type().is_some_and(|t| t.eq_ignore_ascii_case(arm_type)))
    }

    /// Short name for people, singular and plural (`AKS cluster`, `AKS clusters`).
    pub fn label(self, count: usize) -> &'static str {
        let (one, many) = match self {
            Self::Aks => ("AKS cluster", "AKS clusters"),
            Self::ContainerApp => ("container app", "container apps"),
            Self::ContainerAppJob => ("container app job", "container app jobs"),
            Self::ContainerInstance => ("container group", "container groups"),
            Self::AppService => ("App Service app", "App Service apps"),
            Self::MachineLearning => ("ML workspace", "ML workspaces"),
            Self::Batch => ("Batch account", "Batch accounts"),
            Self::Tagged => ("tagged resource", "tagged resources"),
        };
        if count == 1 {
            one
        } else {
            many
        }
    }
}

/// The tag that opts any resource in as a workload of a registry: its value is the
/// registry's login server or name (`myacr.azurecr.io`, `myacr`).
pub const PULLS_FROM_TAG: &str = "replimap.io/pulls-from";

/// The built-in `AcrPull` role's definition id (the GUID at the end of
/// `/providers/Microsoft.Authorization/roleDefinitions/…`).
pub const ACR_PULL_ROLE: &str = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

/// How discovery knows that a workload pulls from a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EvidenceKind {
    /// An image reference names the registry's login server (the detail is the image).
    Image,
    /// The workload holds pull credentials for the registry (`configuration.registries`,
    /// `imageRegistryCredentials`, a Batch pool's `containerRegistries`; the detail is the server).
    Credential,
    /// An Azure ML workspace's `containerRegistry` is the registry (the detail is its id).
    Workspace,
    /// The cluster's kubelet identity has `AcrPull` at the registry, its group or its
    /// subscription (the detail is the assignment's scope).
    AcrPull,
    /// The resource's `replimap.io/pulls-from` tag names the registry.
    Tag,
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// What kind.
    pub kind: EvidenceKind,
    /// The image, server, id or scope that shows it.
    pub detail: String,
}

impl Evidence {
    /// One line for people: `image myacr.azurecr.io/web:1.4`, `AcrPull at /subscriptions/…`.
    pub fn describe(&self) -> String {
        let what = match self.kind {
            EvidenceKind::Image => "image",
            EvidenceKind::Credential => "pull credentials for",
            EvidenceKind::Workspace => "workspace registry",
            EvidenceKind::AcrPull => "kubelet identity has AcrPull at",
            EvidenceKind::Tag => "tagged pulls-from",
        };
        format!("{what} {}", self.detail)
    }
}

/// A workload in a region, with the evidence that ties it to the registry it is listed
/// under. No evidence means the workload's registry is unknown (an AKS cluster pulling with
/// image pull secrets, say): it is shown as unattributed in its region, never dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    /// ARM resource id.
    pub id: String,
    /// Resource name.
    pub name: String,
    /// What it is.
    pub kind: WorkloadKind,
    /// The region it runs in.
    pub location: RegionName,
    /// Why it is listed under this registry; empty when unattributed.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

impl Workload {
    /// Whether anything ties it to the registry.
    pub fn attributed(&self) -> bool {
        !self.evidence.is_empty()
    }

    /// The resource in the Azure Portal.
    pub fn portal_url(&self) -> String {
        format!("https://portal.azure.com/#@/resource{}", self.id)
    }
}

/// What a region is for one registry, from its workloads and its replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CoverageStatus {
    /// The registry's images run here and a provisioned replica serves them locally.
    Served,
    /// The registry's images run here but there is no replica (or it is still being
    /// created, or failed): pulls cross regions.
    Gap,
    /// A replica (not the home one) where nothing known pulls from the registry.
    Idle,
    /// Only workloads with no evidence run here, and there is no replica.
    Unattributed,
}

impl CoverageStatus {
    /// Lower-case word for CSS classes and accessible names.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Served => "served",
            Self::Gap => "gap",
            Self::Idle => "idle",
            Self::Unattributed => "unattributed",
        }
    }
}

/// Where one registry's images run, as discovery last read it. Lives in
/// [`crate::RegistryState::coverage`] and arrives on the stream as
/// [`crate::StatusEvent::CoverageChanged`] when discovery sees a change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    /// When discovery finished reading (RFC 3339).
    pub discovered_at: String,
    /// The workloads that pull from the registry, and the unattributed ones, by region;
    /// sorted by region, then name.
    pub workloads: Vec<Workload>,
    /// Why discovery is incomplete (a subscription it could not read), for people.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// The coverage figure: "`served` of `regions` workload regions served locally".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoverageFigure {
    /// Regions where attributed workloads run and a replica serves them.
    pub served: usize,
    /// Regions where attributed workloads run.
    pub regions: usize,
}

impl CoverageFigure {
    /// Whole percent, 100 when there is nothing to serve.
    pub fn percent(self) -> usize {
        (self.served * 100).checked_div(self.regions).unwrap_or(100)
    }
}

impl Coverage {
    /// The workloads in one region.
    pub fn in_region<'a>(&'a self, region: &'a RegionName) -> impl Iterator<Item = &'a Workload> + 'a {
        self.workloads.iter().filter(move |w| &w.location == region)
    }

    /// The one rule for a region: `replica` is the registry's replica there, if any. `None`
    /// when the region has neither workloads nor a replica, or only the home replica and no
    /// workloads (the home region is the registry itself, never idle).
    pub fn status(&self, region: &RegionName, replica: Option<&Replication>) -> Option<CoverageStatus> {
        let (mut attributed, mut unattributed) = (false, false);
        for w in self.in_region(region) {
            if w.attributed() {
                attributed = true;
            } else {
                unattributed = true;
            }
        }
        // A replica serves once ARM has provisioned it: Syncing copies content already and
        // serves pulls of what it has; Creating, Deleting and Failed do not.
        let serving = replica
            .is_some_and(|r| matches!(r.phase(), ReplicaPhase::Ready | ReplicaPhase::Syncing | ReplicaPhase::Updating));
        match (attributed, serving) {
            (true, true) => Some(CoverageStatus::Served),
            (true, false) => Some(CoverageStatus::Gap),
            (false, _) if replica.is_some_and(|r| r.is_home) => None,
            (false, _) if replica.is_some() => Some(CoverageStatus::Idle),
            (false, _) if unattributed => Some(CoverageStatus::Unattributed),
            _ => None,
        }
    }

    /// Regions where attributed workloads run, in the workloads' order (by region), each once.
    /// Vectors rather than maps here and below: the page runs these, and a `BTreeMap` cost
    /// its WASM 2 KB.
    pub fn workload_regions(&self) -> Vec<&RegionName> {
        let mut regions: Vec<&RegionName> = Vec::new();
        for w in self.workloads.iter().filter(|w| w.attributed()) {
            if !regions.contains(&&w.location) {
                regions.push(&w.location);
            }
        }
        regions
    }

    /// The workload regions with the given status for a registry with these replicas.
    pub fn regions_with(&self, replications: &[Replication], status: CoverageStatus) -> Vec<&RegionName> {
        self.workload_regions()
            .into_iter()
            .filter(|r| {
                let replica = replications.iter().find(|x| &x.location == *r);
                self.status(r, replica) == Some(status)
            })
            .collect()
    }

    /// The figure for a registry with these replicas.
    pub fn figure(&self, replications: &[Replication]) -> CoverageFigure {
        CoverageFigure {
            served: self.regions_with(replications, CoverageStatus::Served).len(),
            regions: self.workload_regions().len(),
        }
    }

    /// "2 AKS clusters · 1 container app": the count by kind of the workloads in a region.
    pub fn summary(&self, region: &RegionName) -> String {
        let mut counts = [0usize; WorkloadKind::ALL.len()];
        for w in self.in_region(region) {
            if let Some(i) = WorkloadKind::ALL.iter().position(|k| *k == w.kind) {
                counts[i] += 1;
            }
        }
        let mut out = String::new();
        for (kind, n) in WorkloadKind::ALL.iter().zip(counts).filter(|(_, n)| *n > 0) {
            if !out.is_empty() {
                out.push_str(" · ");
            }
            out.push_str(&n.to_string());
            out.push(' ');
            out.push_str(kind.label(n));
        }
        out
    }
}

/// Where prices come from, shown beside every figure: costs are estimates, never a quote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceBasis {
    /// ISO 4217 code, e.g. `USD`.
    pub currency: String,
    /// The date the prices were read (`2026-10-01`).
    pub as_of: String,
    /// `bundled snapshot` or `Azure Retail Prices API`.
    pub source: String,
    /// What the figures assume, for people.
    pub assumptions: Vec<String>,
}

/// The user's editable guess of what crosses regions today for one region's workloads.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferEstimate {
    /// Image pulls per month by the region's workloads.
    pub pulls_per_month: f64,
    /// Gigabytes per pull (layers not cached on the node).
    pub gb_per_pull: f64,
}

impl Default for TransferEstimate {
    fn default() -> Self {
        Self { pulls_per_month: 3_000.0, gb_per_pull: 0.3 }
    }
}

/// What one replica costs a month and what it saves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaCost {
    /// The replica's region.
    pub region: RegionName,
    /// The Premium registry unit in that region for a month.
    pub registry_monthly: f64,
    /// Its copy of the registry's storage above what the unit includes.
    pub storage_monthly: f64,
    /// The two together.
    pub monthly: f64,
    /// Price of a gigabyte from the home region to this one (inter-region transfer).
    pub transfer_per_gb: f64,
    /// Cross-region transfer a month the replica avoids, from the estimate.
    pub transfer_saved_monthly: f64,
    /// Gigabytes a month of cross-region pulls at which the replica pays for itself.
    pub break_even_gb: f64,
}

/// The cost part of the coverage report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostReport {
    /// Where the prices come from.
    pub basis: PriceBasis,
    /// The estimate the savings use.
    pub estimate: TransferEstimate,
    /// The registry's storage the figures assume, in GB.
    pub storage_gb: f64,
    /// Each replica the registry has (the home one included: it is billed the same way).
    pub replicas: Vec<ReplicaCost>,
    /// Each replica the gaps call for.
    pub proposed: Vec<ReplicaCost>,
    /// Sum of `replicas`.
    pub monthly: f64,
    /// Sum of `proposed`.
    pub proposed_monthly: f64,
}

/// One region's line of the coverage report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionCoverage {
    /// The region.
    pub region: RegionName,
    /// Its status.
    pub status: CoverageStatus,
    /// The replica's phase, when there is one.
    #[serde(default)]
    pub replica: Option<ReplicaPhase>,
    /// Count by kind, for people.
    pub summary: String,
    /// The workloads, with evidence.
    pub workloads: Vec<Workload>,
}

/// `GET /api/v1/registries/{sub}/{rg}/{registry}/coverage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoverageReport {
    /// The figure.
    pub figure: CoverageFigure,
    /// Every region with workloads or a replica.
    pub regions: Vec<RegionCoverage>,
    /// Regions with attributed workloads and no serving replica.
    pub gaps: Vec<RegionName>,
    /// Replicas where nothing pulls.
    pub idle: Vec<RegionName>,
    /// Regions with only unattributed workloads.
    pub unattributed: Vec<RegionName>,
    /// When discovery last read the workloads (`None`: not yet).
    #[serde(default)]
    pub discovered_at: Option<String>,
    /// Whether the last discovery used Resource Graph or fell back to listing.
    #[serde(default)]
    pub source: Option<String>,
    /// Why discovery is incomplete.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// What the replicas cost.
    pub cost: CostReport,
}

/// One replica the fill-the-gaps plan would create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedReplica {
    /// Its region.
    pub region: RegionName,
    /// Zone redundant where the region has zones.
    pub zone_redundancy: ZoneRedundancy,
    /// Routing, ARM's default (on).
    pub region_endpoint_enabled: bool,
    /// The equivalent command.
    pub az: String,
    /// What it costs.
    pub cost: ReplicaCost,
}

/// A gap the plan leaves alone, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedGap {
    /// The region.
    pub region: RegionName,
    /// Why, for people.
    pub reason: String,
}

/// `GET …/coverage/plan`: the replicas that would fill every gap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FillPlan {
    /// The replicas to create.
    pub replicas: Vec<PlannedReplica>,
    /// Gaps it cannot fill.
    pub skipped: Vec<SkippedGap>,
    /// Monthly cost of the plan.
    pub monthly: f64,
    /// Where the prices come from.
    pub basis: PriceBasis,
}

/// `POST …/coverage/fill`: the regions the user confirmed (a subset of the plan).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FillGaps {
    /// Region names.
    pub regions: Vec<String>,
}

/// What happened to one region of a fill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FillItem {
    /// The region.
    pub region: RegionName,
    /// `accepted` (the create is under way), `exists` (nothing to do) or `failed`.
    pub outcome: String,
    /// The operation that tracks the create.
    #[serde(default)]
    pub operation_id: Option<String>,
    /// What went wrong, for people.
    #[serde(default)]
    pub error: Option<String>,
}

/// The answer to a fill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FillResult {
    /// One per confirmed region, in the order given.
    pub items: Vec<FillItem>,
}

/// One registry on the fleet page and `GET /api/v1/fleet`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetRow {
    /// The registry.
    pub registry: crate::RegistrySummary,
    /// Replicas, the home one included.
    pub replicas: usize,
    /// The coverage figure (`None` before discovery has read the workloads).
    #[serde(default)]
    pub figure: Option<CoverageFigure>,
    /// Gap regions.
    pub gaps: Vec<RegionName>,
    /// Idle replicas.
    pub idle: Vec<RegionName>,
    /// Failed replicas.
    pub failed: Vec<RegionName>,
    /// Replicas in flight for longer than the stuck threshold.
    pub stuck: Vec<RegionName>,
    /// What its replicas cost a month (Premium registries only).
    #[serde(default)]
    pub monthly: Option<f64>,
    /// Why polling it fails, if it does.
    #[serde(default)]
    pub error: Option<String>,
}

/// `GET /api/v1/fleet`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fleet {
    /// One row per registry the caller may read.
    pub registries: Vec<FleetRow>,
    /// Where the prices come from.
    pub basis: PriceBasis,
    /// When discovery last read the workloads.
    #[serde(default)]
    pub discovered_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ProvisioningState, ReplicaStatus, ReplicationName};

    fn region(s: &str) -> RegionName {
        s.parse().unwrap()
    }

    fn workload(name: &str, at: &str, evidence: bool) -> Workload {
        Workload {
            id: format!("/subscriptions/s/resourceGroups/g/providers/Microsoft.App/containerApps/{name}"),
            name: name.into(),
            kind: WorkloadKind::ContainerApp,
            location: region(at),
            evidence: if evidence {
                vec![Evidence { kind: EvidenceKind::Image, detail: "r.azurecr.io/web:1".into() }]
            } else {
                vec![]
            },
        }
    }

    fn replica(at: &str, state: ProvisioningState, ready: bool, home: bool) -> Replication {
        Replication {
            name: ReplicationName::default_for(&region(at)).unwrap(),
            location: region(at),
            provisioning_state: state,
            status: ReplicaStatus { display_status: ready.then(|| "Ready".into()), ..Default::default() },
            region_endpoint_enabled: true,
            zone_redundancy: ZoneRedundancy::Disabled,
            tags: Default::default(),
            is_home: home,
            phase_since: None,
        }
    }

    #[test]
    fn a_region_is_served_a_gap_idle_or_unattributed() {
        let c = Coverage {
            discovered_at: "2026-12-02T00:00:00Z".into(),
            workloads: vec![
                workload("a", "westeurope", true),
                workload("b", "eastus", true),
                workload("c", "japaneast", false),
                workload("d", "brazilsouth", true),
            ],
            warnings: vec![],
        };
        let home = replica("westeurope", ProvisioningState::Succeeded, true, true);
        let creating = replica("eastus", ProvisioningState::Creating, false, false);
        let idle = replica("uksouth", ProvisioningState::Succeeded, true, false);
        let failed = replica("brazilsouth", ProvisioningState::Failed, false, false);
        assert_eq!(c.status(&region("westeurope"), Some(&home)), Some(CoverageStatus::Served));
        assert_eq!(c.status(&region("eastus"), Some(&creating)), Some(CoverageStatus::Gap));
        assert_eq!(c.status(&region("eastus"), None), Some(CoverageStatus::Gap));
        assert_eq!(c.status(&region("brazilsouth"), Some(&failed)), Some(CoverageStatus::Gap));
        assert_eq!(c.status(&region("uksouth"), Some(&idle)), Some(CoverageStatus::Idle));
        assert_eq!(c.status(&region("japaneast"), None), Some(CoverageStatus::Unattributed));
        assert_eq!(c.status(&region("australiaeast"), None), None);
        let home_alone = replica("uksouth", ProvisioningState::Succeeded, true, true);
        assert_eq!(c.status(&region("uksouth"), Some(&home_alone)), None, "the home region is never idle");

        let figure = c.figure(&[home.clone(), creating, idle]);
        assert_eq!(figure, CoverageFigure { served: 1, regions: 3 });
        assert_eq!(figure.percent(), 33);
        let ready = replica("eastus", ProvisioningState::Succeeded, true, false);
        let br = replica("brazilsouth", ProvisioningState::Succeeded, false, false);
        assert_eq!(c.figure(&[home, ready, br]).percent(), 100);
    }

    #[test]
    fn summaries_count_by_kind() {
        let mut c = Coverage {
            workloads: vec![workload("a", "eastus", true), workload("b", "eastus", false)],
            ..Default::default()
        };
        c.workloads[1].kind = WorkloadKind::Aks;
        assert_eq!(c.summary(&region("eastus")), "1 AKS cluster · 1 container app");
        assert_eq!(WorkloadKind::of_arm_type("microsoft.app/JOBS"), Some(WorkloadKind::ContainerAppJob));
    }
}
