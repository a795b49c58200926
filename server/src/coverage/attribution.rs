//! Tying workloads to registries: pure functions over what discovery read.
//!
//! A workload is tied to a registry by evidence ARM shows: an image or pull credentials
//! naming the registry's login server, an ML workspace's `containerRegistry`, a Batch pool's
//! `registryServer`, an AcrPull assignment of an AKS cluster's kubelet identity at the
//! registry (or its group or subscription), or the `replimap.io/pulls-from` tag. A workload
//! that shows no registry reference at all (an AKS cluster pulling with image pull secrets)
//! is unattributed and listed under every registry with no evidence; one whose references
//! all name registries the portal does not watch (`mcr.microsoft.com`) is left out.

use std::collections::{BTreeMap, HashSet};

use replimap_types::{
    registry_arm_id, Coverage, Evidence, EvidenceKind, RegionName, RegistryKey, RegistrySummary, Workload,
    WorkloadKind, PULLS_FROM_TAG,
};
use serde_json::Value;

use super::discovery::{AcrPull, Inventory, Resource};

/// An image reference: the registry host (lower case, without a port) and the reference
/// as written (without a `DOCKER|` prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// `myacr.azurecr.io`; `docker.io` for references without a host (`nginx:1`).
    pub host: String,
    /// `myacr.azurecr.io/team/web:1.2`.
    pub reference: String,
}

/// Parses an image reference, or a site's `LinuxFxVersion`/`WindowsFxVersion` (only the
/// `DOCKER|…` form names an image; `NODE|20-lts`, `SITECONTAINERS` and `COMPOSE|…` do not).
pub fn parse_image(text: &str) -> Option<ImageRef> {
    let text = text.trim();
    let reference = match text.split_once('|') {
        Some((prefix, rest)) if prefix.eq_ignore_ascii_case("DOCKER") => rest.trim(),
        Some(_) => return None,
        None => text,
    };
    if reference.is_empty() || reference.contains(char::is_whitespace) {
        return None;
    }
    // Docker's rule: the first component is a host when it has a dot or a port, or is localhost.
    let host = match reference.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first.eq_ignore_ascii_case("localhost") => first,
        _ => "docker.io",
    };
    Some(ImageRef { host: normalize_host(host), reference: reference.to_owned() })
}

/// A site's `LinuxFxVersion`/`WindowsFxVersion`: an image only in the `DOCKER|…` form.
pub fn parse_fx(fx: &str) -> Option<ImageRef> {
    let (prefix, _) = fx.trim().split_once('|')?;
    if prefix.eq_ignore_ascii_case("DOCKER") {
        parse_image(fx)
    } else {
        None
    }
}

/// A registry server as written in credentials or a tag (`myacr.azurecr.io`,
/// `https://myacr.azurecr.io/`, `MyAcr.azurecr.io:443`) to the bare host, lower case.
pub fn normalize_host(server: &str) -> String {
    let s = server.trim();
    let s = s.split_once("://").map_or(s, |(_, rest)| rest);
    let s = s.split('/').next().unwrap_or_default();
    let s = s.split(':').next().unwrap_or_default();
    s.to_ascii_lowercase()
}

/// Whether an assignment at `scope` applies to the resource `id`: the same id, or an
/// ancestor ending at a segment boundary (`/subscriptions/s/resourcegroups/g` covers
/// `…/resourcegroups/g/providers/…`, not `…/resourcegroups/g2/…`). Case-insensitive.
pub fn scope_covers(scope: &str, id: &str) -> bool {
    let scope = scope.trim();
    if scope.is_empty() {
        return false;
    }
    let scope = scope.trim_end_matches('/').to_ascii_lowercase();
    let id = id.trim_end_matches('/').to_ascii_lowercase();
    // `/` is the root scope: every resource is below it.
    scope.is_empty() || id == scope || id.strip_prefix(&scope).is_some_and(|rest| rest.starts_with('/'))
}

/// A registry as attribution compares it.
struct Target<'a> {
    key: &'a RegistryKey,
    id: String,
    login_server: String,
    name: String,
}

impl<'a> Target<'a> {
    fn new(r: &'a RegistrySummary) -> Self {
        let name = r.key.name.as_str().to_ascii_lowercase();
        let login_server = match r.login_server.as_deref().map(normalize_host) {
            Some(s) if !s.is_empty() => s,
            _ => format!("{name}.azurecr.io"),
        };
        Self { key: &r.key, id: registry_arm_id(&r.key), login_server, name }
    }

    /// Whether a pulls-from tag value names it (login server or name; several values may be
    /// given, separated by commas, semicolons or spaces).
    fn named_by_tag(&self, value: &str) -> bool {
        value.split([',', ';', ' ']).map(normalize_host).any(|v| v == self.login_server || v == self.name)
    }
}

/// What a workload says about the registries it pulls from.
#[derive(Debug, Default)]
struct Refs {
    images: Vec<ImageRef>,
    servers: Vec<String>,
    registries: Vec<String>,
    pulls: Vec<String>,
    tags: Vec<String>,
}

impl Refs {
    fn is_empty(&self) -> bool {
        self.images.is_empty()
            && self.servers.is_empty()
            && self.registries.is_empty()
            && self.pulls.is_empty()
            && self.tags.is_empty()
    }
}

/// A resource discovery read that is a workload, with its references.
#[derive(Debug)]
pub struct Candidate<'a> {
    /// The resource.
    pub resource: &'a Resource,
    /// What kind of workload.
    pub kind: WorkloadKind,
    /// Its region.
    pub location: RegionName,
    refs: Refs,
}

fn strings<'v>(v: &'v Value, pointer: &str) -> impl Iterator<Item = &'v str> {
    v.pointer(pointer).and_then(Value::as_str).into_iter().filter(|s| !s.is_empty())
}

fn each<'v>(v: &'v Value, pointer: &str) -> impl Iterator<Item = &'v Value> {
    v.pointer(pointer).and_then(Value::as_array).into_iter().flatten()
}

fn tag<'r>(r: &'r Resource, name: &str) -> Option<&'r str> {
    // ARM tag names compare without case.
    r.tags.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
}

/// The AKS node resource groups (lower case): their scale sets are the clusters' nodes.
fn node_groups(inv: &Inventory) -> HashSet<String> {
    inv.resources
        .iter()
        .filter(|r| r.workload_kind() == Some(WorkloadKind::Aks))
        .flat_map(|r| strings(&r.properties, "/nodeResourceGroup"))
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Which kind of workload a resource is, if any.
fn classify(r: &Resource, node_groups: &HashSet<String>) -> Option<WorkloadKind> {
    match r.workload_kind() {
        Some(WorkloadKind::AppService) if !r.is_container_site() => None,
        Some(kind) => Some(kind),
        None => {
            // An AKS node pool's scale set is the cluster itself, already counted.
            let aks_managed = node_groups.contains(&r.resource_group.to_ascii_lowercase())
                || r.tags.keys().any(|k| k.to_ascii_lowercase().starts_with("aks-managed-"));
            (!aks_managed && tag(r, PULLS_FROM_TAG).is_some()).then_some(WorkloadKind::Tagged)
        }
    }
}

fn refs(r: &Resource, kind: WorkloadKind, acr_pull: &[AcrPull]) -> Refs {
    let p = &r.properties;
    let mut refs = Refs::default();
    let mut images: Vec<&str> = Vec::new();
    match kind {
        WorkloadKind::Aks => {
            let kubelet: Vec<&str> = strings(p, "/identityProfile/kubeletidentity/objectId").collect();
            refs.pulls = acr_pull
                .iter()
                .filter(|a| kubelet.iter().any(|k| k.eq_ignore_ascii_case(&a.principal_id)))
                .map(|a| a.scope.clone())
                .collect();
        }
        WorkloadKind::ContainerApp | WorkloadKind::ContainerAppJob => {
            for list in ["/template/containers", "/template/initContainers"] {
                images.extend(each(p, list).flat_map(|c| strings(c, "/image")));
            }
            refs.servers
                .extend(each(p, "/configuration/registries").flat_map(|c| strings(c, "/server")).map(str::to_owned));
        }
        WorkloadKind::ContainerInstance => {
            for list in ["/containers", "/initContainers"] {
                images.extend(each(p, list).flat_map(|c| strings(c, "/properties/image")));
            }
            refs.servers
                .extend(each(p, "/imageRegistryCredentials").flat_map(|c| strings(c, "/server")).map(str::to_owned));
        }
        WorkloadKind::AppService => {
            refs.images.extend(r.fx_versions().iter().filter_map(|fx| parse_fx(fx)));
        }
        WorkloadKind::MachineLearning => {
            refs.registries.extend(strings(p, "/containerRegistry").map(str::to_owned));
        }
        WorkloadKind::Batch => {
            for pool in &r.pools {
                let config = "/properties/deploymentConfiguration/virtualMachineConfiguration/containerConfiguration";
                let config = pool.pointer(config).unwrap_or(&Value::Null);
                refs.servers.extend(
                    each(config, "/containerRegistries").flat_map(|c| strings(c, "/registryServer")).map(str::to_owned),
                );
                images.extend(each(config, "/containerImageNames").filter_map(Value::as_str));
            }
        }
        WorkloadKind::Tagged => {}
    }
    refs.images.extend(images.into_iter().filter_map(parse_image));
    refs.tags.extend(tag(r, PULLS_FROM_TAG).map(str::to_owned));
    refs
}

/// The workloads among what discovery read (sites without a container and AKS node
/// scale sets are not).
pub fn workloads(inv: &Inventory) -> Vec<Candidate<'_>> {
    let groups = node_groups(inv);
    inv.resources
        .iter()
        .filter_map(|r| {
            let kind = classify(r, &groups)?;
            let Ok(location) = r.location.parse::<RegionName>() else {
                tracing::debug!(resource = %r.id, location = %r.location, "skipping a workload without a region");
                return None;
            };
            Some(Candidate { resource: r, kind, location, refs: refs(r, kind, &inv.acr_pull) })
        })
        .collect()
}

fn evidence(c: &Candidate<'_>, t: &Target<'_>) -> Vec<Evidence> {
    let mut out = Vec::new();
    let mut add = |kind, detail: &str| out.push(Evidence { kind, detail: detail.to_owned() });
    for i in c.refs.images.iter().filter(|i| i.host == t.login_server) {
        add(EvidenceKind::Image, &i.reference);
    }
    for s in c.refs.servers.iter().filter(|s| normalize_host(s) == t.login_server) {
        add(EvidenceKind::Credential, s);
    }
    for id in c.refs.registries.iter().filter(|id| id.trim_end_matches('/').eq_ignore_ascii_case(&t.id)) {
        add(EvidenceKind::Workspace, id);
    }
    for scope in c.refs.pulls.iter().filter(|s| scope_covers(s, &t.id)) {
        add(EvidenceKind::AcrPull, scope);
    }
    for v in c.refs.tags.iter().filter(|v| t.named_by_tag(v)) {
        add(EvidenceKind::Tag, v);
    }
    out.sort();
    out.dedup();
    out
}

fn workload(c: &Candidate<'_>, evidence: Vec<Evidence>) -> Workload {
    Workload {
        id: c.resource.id.clone(),
        name: c.resource.name.clone(),
        kind: c.kind,
        location: c.location.clone(),
        evidence,
    }
}

/// Each registry's coverage: the workloads with evidence for it, and every unattributed
/// workload (no evidence), sorted by region, then name. A workload naming two registries is
/// listed under both.
pub fn attribute(
    inv: &Inventory,
    registries: &[RegistrySummary],
    discovered_at: &str,
) -> BTreeMap<RegistryKey, Coverage> {
    let targets: Vec<Target<'_>> = registries.iter().map(Target::new).collect();
    let mut out: BTreeMap<RegistryKey, Coverage> = targets
        .iter()
        .map(|t| {
            let c = Coverage {
                discovered_at: discovered_at.to_owned(),
                workloads: Vec::new(),
                warnings: inv.warnings.clone(),
            };
            (t.key.clone(), c)
        })
        .collect();
    let mut unattributed = Vec::new();
    for c in workloads(inv) {
        let mut any = false;
        for t in &targets {
            let ev = evidence(&c, t);
            if !ev.is_empty() {
                any = true;
                if let Some(cov) = out.get_mut(t.key) {
                    cov.workloads.push(workload(&c, ev));
                }
            }
        }
        if !any && c.refs.is_empty() {
            unattributed.push(workload(&c, Vec::new()));
        }
    }
    for cov in out.values_mut() {
        cov.workloads.extend(unattributed.iter().cloned());
        cov.workloads.sort_by(|a, b| {
            (a.location.as_str(), a.name.to_ascii_lowercase(), a.id.to_ascii_lowercase()).cmp(&(
                b.location.as_str(),
                b.name.to_ascii_lowercase(),
                b.id.to_ascii_lowercase(),
            ))
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::coverage::discovery::{self, Source};

    const A: &str = "00000000-0000-0000-0000-000000000000";

    fn answer(json: &str) -> Vec<Value> {
        let v: Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["resultTruncated"], "false", "a recorded answer of one page");
        v["data"].as_array().unwrap().clone()
    }

    /// What a Resource Graph run over the recorded answers reads.
    fn inventory(with_children: bool) -> Inventory {
        let rows = answer(include_str!("fixtures/arg_workloads.json"))
            .into_iter()
            .chain(answer(include_str!("fixtures/arg_tagged.json")));
        let mut resources = discovery::merge(rows);
        if with_children {
            let pools: Value = serde_json::from_str(include_str!("fixtures/batch_pools.json")).unwrap();
            let config: Value = serde_json::from_str(include_str!("fixtures/site_config_web.json")).unwrap();
            for r in &mut resources {
                match r.name.as_str() {
                    "batchacct" => r.pools = pools["value"].as_array().unwrap().clone(),
                    "func-nocfg" => r.site_config = Some(config["properties"].clone()),
                    _ => {}
                }
            }
        }
        let acr_pull = answer(include_str!("fixtures/arg_acrpull.json"))
            .into_iter()
            .map(|v| serde_json::from_value(v).unwrap())
            .collect();
        Inventory {
            resources,
            acr_pull,
            source: Source::ResourceGraph,
            graph_calls: 3,
            arm_calls: 2,
            duration: Duration::ZERO,
            warnings: vec!["Subscription x could not be read".into()],
        }
    }

    fn registry(rg: &str, name: &str, login_server: Option<&str>) -> RegistrySummary {
        RegistrySummary {
            key: RegistryKey {
                subscription_id: A.parse().unwrap(),
                resource_group: rg.parse().unwrap(),
                name: name.parse().unwrap(),
            },
            location: "westeurope".parse().unwrap(),
            sku: "Premium".into(),
            login_server: login_server.map(str::to_owned),
            replicable: true,
            not_replicable_reason: None,
        }
    }

    fn registries() -> Vec<RegistrySummary> {
        // ARM gave no login server for the second: `<name>.azurecr.io` stands in.
        vec![
            registry("myResourceGroup", "myACR0007", Some("myacr0007.azurecr.io")),
            registry("shared", "otheracr", None),
        ]
    }

    type Row = (&'static str, &'static str, Vec<(EvidenceKind, String)>);
    /// Region, name, evidence.
    type Owned = (String, String, Vec<(EvidenceKind, String)>);

    fn rows(c: &Coverage) -> Vec<Owned> {
        c.workloads
            .iter()
            .map(|w| {
                let ev = w.evidence.iter().map(|e| (e.kind, e.detail.clone())).collect();
                (w.location.as_str().to_owned(), w.name.clone(), ev)
            })
            .collect()
    }

    fn expect(rows: Vec<Row>) -> Vec<Owned> {
        rows.into_iter().map(|(l, n, e)| (l.to_owned(), n.to_owned(), e)).collect()
    }

    fn e(kind: EvidenceKind, detail: &str) -> (EvidenceKind, String) {
        (kind, detail.to_owned())
    }

    #[test]
    fn recorded_answers_attribute_each_workload_with_its_evidence() {
        use EvidenceKind::*;
        let inv = inventory(true);
        let regs = registries();
        let out = attribute(&inv, &regs, "2026-12-02T05:00:00Z");
        assert_eq!(out.len(), 2);
        let mine = &out[&regs[0].key];
        let rg = format!("/subscriptions/{A}/resourcegroups/myresourcegroup");
        let digest =
            "MyACR0007.AzureCR.io/init@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945";
        let ws = format!("/subscriptions/{A}/resourceGroups/MyResourceGroup/providers/Microsoft.ContainerRegistry/registries/MYACR0007");
        assert_eq!(
            rows(mine),
            expect(vec![
                ("brazilsouth", "aks-brs", vec![]),
                ("canadacentral", "vm-tagged", vec![e(Tag, "myacr0007")]),
                ("eastus", "aks-eus", vec![e(AcrPull, &format!("/subscriptions/{A}"))]),
                ("eastus", "func-nocfg", vec![e(Image, "myacr0007.azurecr.io/func:7")]),
                ("eastus2", "ml-ws", vec![e(Workspace, &ws)]),
                ("northeurope", "mixed", vec![e(Image, "myacr0007.azurecr.io/a:1")]),
                (
                    "uksouth",
                    "tools",
                    vec![e(Image, "myacr0007.azurecr.io:443/tools/run:3"), e(Credential, "myacr0007.azurecr.io")]
                ),
                ("westeurope", "aks-weu", vec![e(AcrPull, &rg)]),
                (
                    "westeurope",
                    "web",
                    vec![
                        e(Image, digest),
                        e(Image, "myacr0007.azurecr.io/team/web:1.2"),
                        e(Credential, "myacr0007.azurecr.io"),
                        e(Tag, "myacr0007.azurecr.io"),
                    ]
                ),
                ("westeurope", "web-linux", vec![e(Image, "myacr0007.azurecr.io/site:1")]),
            ])
        );
        assert_eq!(mine.discovered_at, "2026-12-02T05:00:00Z");
        assert_eq!(mine.warnings, inv.warnings);

        let other = &out[&regs[1].key];
        let other_id = format!(
            "/subscriptions/{A}/resourcegroups/shared/providers/microsoft.containerregistry/registries/otheracr"
        );
        assert_eq!(
            rows(other),
            expect(vec![
                (
                    "australiaeast",
                    "batchacct",
                    vec![e(Image, "otheracr.azurecr.io/jobs/render:5"), e(Credential, "otheracr.azurecr.io")]
                ),
                ("brazilsouth", "aks-brs", vec![]),
                ("eastus", "aks-eus", vec![e(AcrPull, &format!("/subscriptions/{A}"))]),
                ("japaneast", "aks-jpe", vec![e(AcrPull, &other_id)]),
                (
                    "northeurope",
                    "mixed",
                    vec![e(Image, "otheracr.azurecr.io/b:2"), e(Credential, "otheracr.azurecr.io")]
                ),
                ("westus", "web-win", vec![e(Image, "otheracr.azurecr.io/win/iis:ltsc2022")]),
            ])
        );
        let kinds: Vec<_> = other.workloads.iter().map(|w| w.kind).collect();
        assert_eq!(
            kinds,
            [
                WorkloadKind::Batch,
                WorkloadKind::Aks,
                WorkloadKind::Aks,
                WorkloadKind::Aks,
                WorkloadKind::ContainerApp,
                WorkloadKind::AppService
            ]
        );
    }

    #[test]
    fn node_pools_sites_without_containers_and_foreign_images_are_no_workloads_of_ours() {
        let inv = inventory(true);
        let names: Vec<&str> = workloads(&inv).iter().map(|c| c.resource.name.as_str()).collect();
        for absent in ["plain-app", "aks-nodepool1-12345678-vmss", "aks-pool2-87654321-vmss"] {
            assert!(!names.contains(&absent), "{absent} is not a workload: {names:?}");
        }
        assert_eq!(names.iter().filter(|n| **n == "web").count(), 1, "one workload from two queries");
        // The job pulls from mcr.microsoft.com and the storage account names another registry:
        // workloads, but of nobody we watch, and not unattributed either.
        assert!(names.contains(&"nightly") && names.contains(&"unrelated"));
        let out = attribute(&inv, &registries(), "t");
        for cov in out.values() {
            assert!(cov.workloads.iter().all(|w| w.name != "nightly" && w.name != "unrelated"));
        }
    }

    #[test]
    fn a_site_whose_image_is_unknown_is_unattributed() {
        let inv = inventory(false);
        let out = attribute(&inv, &registries(), "t");
        for cov in out.values() {
            let f = cov.workloads.iter().find(|w| w.name == "func-nocfg").unwrap();
            assert!(!f.attributed());
            // Without its pools the Batch account shows nothing either.
            assert!(!cov.workloads.iter().find(|w| w.name == "batchacct").unwrap().attributed());
        }
    }

    #[test]
    fn no_registries_no_coverage() {
        assert!(attribute(&inventory(true), &[], "t").is_empty());
    }

    #[test]
    fn image_references_parse_to_their_host() {
        let host = |s: &str| parse_image(s).map(|i| i.host);
        assert_eq!(host("myacr.azurecr.io/team/web:1.2").as_deref(), Some("myacr.azurecr.io"));
        assert_eq!(host("MyAcr.AzureCR.io/web@sha256:abc").as_deref(), Some("myacr.azurecr.io"));
        assert_eq!(host("myacr.azurecr.io:443/web").as_deref(), Some("myacr.azurecr.io"));
        assert_eq!(host("DOCKER|myacr.azurecr.io/web:1.2").as_deref(), Some("myacr.azurecr.io"));
        assert_eq!(host("docker|myacr.azurecr.io/web").as_deref(), Some("myacr.azurecr.io"));
        assert_eq!(host("mcr.microsoft.com/dotnet/aspnet:8.0").as_deref(), Some("mcr.microsoft.com"));
        assert_eq!(host("nginx:1.27").as_deref(), Some("docker.io"));
        assert_eq!(host("library/nginx").as_deref(), Some("docker.io"));
        assert_eq!(host("localhost/x").as_deref(), Some("localhost"));
        assert_eq!(host("NODE|20-lts"), None);
        assert_eq!(parse_fx("SITECONTAINERS"), None, "sidecar sites name their images elsewhere");
        assert_eq!(parse_fx("DOCKER|nginx").map(|i| i.host).as_deref(), Some("docker.io"));
        assert_eq!(host("COMPOSE|dmVyc2lvbjo="), None);
        assert_eq!(host(""), None);
        assert_eq!(host("DOCKER|"), None);
        assert_eq!(parse_image("DOCKER|myacr.azurecr.io/web:1.2").unwrap().reference, "myacr.azurecr.io/web:1.2");
    }

    #[test]
    fn servers_and_scopes_compare_as_arm_does() {
        assert_eq!(normalize_host("https://MyAcr.azurecr.io/"), "myacr.azurecr.io");
        assert_eq!(normalize_host(" myacr.azurecr.io:443 "), "myacr.azurecr.io");
        let id = "/subscriptions/S/resourceGroups/G/providers/Microsoft.ContainerRegistry/registries/R";
        assert!(scope_covers("/subscriptions/s", id));
        assert!(scope_covers("/subscriptions/s/resourcegroups/g", id));
        assert!(scope_covers(
            "/subscriptions/s/resourcegroups/g/providers/microsoft.containerregistry/registries/r",
            id
        ));
        assert!(scope_covers("/subscriptions/s/resourcegroups/g/", id));
        assert!(scope_covers("/", id));
        assert!(!scope_covers("/subscriptions/s/resourcegroups/g2", id));
        assert!(!scope_covers("/subscriptions/s/resourcegroups/gg", id));
        assert!(!scope_covers(
            "/subscriptions/s/resourcegroups/g/providers/microsoft.containerregistry/registries/r2",
            id
        ));
        assert!(!scope_covers("", id));
    }

    #[test]
    fn tags_name_a_registry_by_login_server_or_name() {
        let regs = registries();
        let t = Target::new(&regs[0]);
        assert!(t.named_by_tag("myacr0007"));
        assert!(t.named_by_tag("MYACR0007.azurecr.io"));
        assert!(t.named_by_tag("otheracr, myacr0007"));
        assert!(!t.named_by_tag("myacr00070"));
        assert_eq!(Target::new(&regs[1]).login_server, "otheracr.azurecr.io");
    }
}
