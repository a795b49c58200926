//! Reading the workloads of the configured subscriptions: three named Resource Graph
//! queries, or, where Resource Graph is refused (403), ARM listing per subscription plus a
//! GET of each workload (bounded concurrency). Either way Batch pools and, when a site's
//! `siteProperties` lack its image, the site's `config/web` are read as child resources.
//!
//! The result is an [`Inventory`] of raw resources and AcrPull assignments; deciding what
//! is a workload and whose it is belongs to `attribution`, which is pure.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use replimap_arm::{ArmClient, ArmError, GenericResource, GraphError, ResourceGraph};
use replimap_types::{SubscriptionId, WorkloadKind, ACR_PULL_ROLE, PULLS_FROM_TAG};
use serde::Deserialize;
use serde_json::Value;

/// Every workload type, in one query. `type` comes back lower case; `properties` in full.
pub const WORKLOADS: &str = "resources \
| where type in~ ('microsoft.containerservice/managedclusters', 'microsoft.app/containerapps', \
'microsoft.app/jobs', 'microsoft.containerinstance/containergroups', 'microsoft.web/sites', \
'microsoft.machinelearningservices/workspaces', 'microsoft.batch/batchaccounts') \
| project id, name, type, kind, location, subscriptionId, resourceGroup, tags, properties";

/// Every resource of any type that opts in with the pulls-from tag.
pub const TAGGED: &str = "resources \
| where isnotempty(tags['replimap.io/pulls-from']) \
| project id, name, type, kind, location, subscriptionId, resourceGroup, tags, properties";

/// Every AcrPull assignment (principal and scope).
pub const ACRPULL: &str = "authorizationresources \
| where type =~ 'microsoft.authorization/roleassignments' \
| extend roleDefinitionId = tolower(tostring(properties.roleDefinitionId)) \
| where roleDefinitionId endswith '7f951dda-4ed3-4680-a7ca-43fe172d538d' \
| project id, principalId = tostring(properties.principalId), scope = tolower(tostring(properties.scope))";

/// GETs (and child listings) in flight at once in one run: well inside ARM's read bucket,
/// which the hub's pollers share.
const CONCURRENCY: usize = 8;

/// The api-version of a type's own GET (and of its children).
fn api_version(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Aks => "2024-09-01",
        WorkloadKind::ContainerApp | WorkloadKind::ContainerAppJob => "2024-03-01",
        WorkloadKind::ContainerInstance => "2023-05-01",
        WorkloadKind::AppService => "2023-12-01",
        WorkloadKind::MachineLearning => "2024-04-01",
        WorkloadKind::Batch => "2024-07-01",
        WorkloadKind::Tagged => replimap_arm::RESOURCES_API_VERSION,
    }
}

/// Where the run read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The three named queries.
    ResourceGraph,
    /// Resources_List per subscription and a GET per workload.
    ArmListing,
}

impl Source {
    /// As the report and the log show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResourceGraph => "resource graph",
            Self::ArmListing => "arm listing",
        }
    }
}

/// A resource that may be a workload, in one shape whichever way it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// ARM id, as ARM spells it.
    pub id: String,
    /// Name.
    pub name: String,
    /// Type, lower case (as Resource Graph returns it).
    pub arm_type: String,
    /// `kind` (empty when none).
    pub kind: String,
    /// Region.
    pub location: String,
    /// Subscription, from the row or the id.
    pub subscription_id: String,
    /// Resource group, from the row or the id.
    pub resource_group: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// `properties` as the resource's own GET returns them (`Null` when not read).
    pub properties: Value,
    /// A Batch account's pools (their full JSON): child resources, read separately.
    pub pools: Vec<Value>,
    /// A site's `config/web` `properties`, read when `siteProperties` lack the image.
    pub site_config: Option<Value>,
}

/// An AcrPull assignment: who, and at which scope (lower case).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcrPull {
    /// The assignment's id.
    #[serde(default)]
    pub id: String,
    /// Object id of the identity.
    #[serde(default)]
    pub principal_id: String,
    /// The scope, lower case.
    #[serde(default)]
    pub scope: String,
}

/// What one run read.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// Workload candidates, each once, sorted by id.
    pub resources: Vec<Resource>,
    /// AcrPull assignments.
    pub acr_pull: Vec<AcrPull>,
    /// Where from.
    pub source: Source,
    /// Resource Graph queries sent (pages count one each; a refused one too).
    pub graph_calls: u64,
    /// Plain ARM reads sent (listing pages, GETs, child listings).
    pub arm_calls: u64,
    /// How long it took.
    pub duration: Duration,
    /// Why it is incomplete, for people.
    pub warnings: Vec<String>,
}

/// A run that read nothing usable.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The subscriptions to read could not be listed.
    #[error("could not list subscriptions: {0}")]
    Subscriptions(ArmError),
    /// Resource Graph failed for another reason than a refusal.
    #[error("Resource Graph query failed: {0}")]
    Graph(ArmError),
    /// Not one subscription could be listed.
    #[error("no subscription could be read: {0}")]
    Listing(ArmError),
}

impl Resource {
    /// From a Resource Graph row or a resource's own GET (the same fields; a GET has no
    /// `subscriptionId`/`resourceGroup`, which the id gives). `None` without an id.
    pub fn from_json(mut v: Value) -> Option<Self> {
        let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let id = text(&v, "id");
        if id.is_empty() {
            return None;
        }
        let (sub, rg) = id_parts(&id);
        let or = |s: String, d: &str| if s.is_empty() { d.to_owned() } else { s };
        Some(Self {
            name: text(&v, "name"),
            arm_type: text(&v, "type").to_ascii_lowercase(),
            kind: text(&v, "kind"),
            location: text(&v, "location"),
            subscription_id: or(text(&v, "subscriptionId"), sub),
            resource_group: or(text(&v, "resourceGroup"), rg),
            tags: tags(v.get("tags")),
            properties: v.get_mut("properties").map(Value::take).unwrap_or(Value::Null),
            pools: Vec::new(),
            site_config: None,
            id,
        })
    }

    /// From the generic envelope of a listing (no properties).
    fn from_generic(g: GenericResource) -> Self {
        let (sub, rg) = id_parts(&g.id);
        Self {
            name: g.name,
            arm_type: g.resource_type.to_ascii_lowercase(),
            kind: g.kind.unwrap_or_default(),
            location: g.location.unwrap_or_default(),
            subscription_id: sub.to_owned(),
            resource_group: rg.to_owned(),
            tags: g.tags.unwrap_or_default(),
            properties: Value::Null,
            pools: Vec::new(),
            site_config: None,
            id: g.id,
        }
    }

    /// The workload type it has, before the finer rules of `attribution`.
    pub fn workload_kind(&self) -> Option<WorkloadKind> {
        WorkloadKind::of_arm_type(&self.arm_type)
    }

    /// A site whose `kind` says it runs a container.
    pub fn is_container_site(&self) -> bool {
        self.kind.to_ascii_lowercase().contains("container")
    }

    /// The `LinuxFxVersion`/`WindowsFxVersion` values a site's GET carries (in
    /// `siteProperties.properties[]`, or in `siteConfig` when ARM filled it).
    pub fn fx_versions(&self) -> Vec<String> {
        let mut out = Vec::new();
        let named = self.properties.pointer("/siteProperties/properties").and_then(Value::as_array);
        for p in named.into_iter().flatten() {
            let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
            if name.eq_ignore_ascii_case("LinuxFxVersion") || name.eq_ignore_ascii_case("WindowsFxVersion") {
                out.extend(p.get("value").and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_owned));
            }
        }
        for config in [self.properties.get("siteConfig"), self.site_config.as_ref()].into_iter().flatten() {
            for key in ["linuxFxVersion", "windowsFxVersion"] {
                out.extend(config.get(key).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_owned));
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// Subscription and resource group of an ARM id (empty when the id has none).
fn id_parts(id: &str) -> (&str, &str) {
    let parts: Vec<&str> = id.split('/').collect();
    let after =
        |name: &str| parts.windows(2).find(|w| w[0].eq_ignore_ascii_case(name)).map(|w| w[1]).unwrap_or_default();
    (after("subscriptions"), after("resourceGroups"))
}

/// Tags as strings (Resource Graph types them `dynamic`: null, or an object).
fn tags(v: Option<&Value>) -> BTreeMap<String, String> {
    let Some(Value::Object(map)) = v else { return BTreeMap::new() };
    map.iter().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned))).collect()
}

/// Reads every workload candidate and AcrPull assignment of `subscriptions` (all the
/// credential can see, when empty): Resource Graph first, ARM listing where it is refused.
pub async fn read(graph: &ResourceGraph, subscriptions: &[SubscriptionId]) -> Result<Inventory, DiscoveryError> {
    let started = Instant::now();
    let graph_before = graph.queries_sent();
    let arm = graph.arm();
    let arm_calls = AtomicU64::new(0);
    let subs = if subscriptions.is_empty() {
        arm_calls.fetch_add(1, Ordering::Relaxed);
        arm.list_subscriptions().await.map_err(DiscoveryError::Subscriptions)?
    } else {
        subscriptions.to_vec()
    };
    let mut warnings = Vec::new();
    let (source, mut resources, acr_pull) = match via_graph(graph, &subs).await {
        Ok((resources, acr_pull)) => (Source::ResourceGraph, resources, acr_pull),
        Err(GraphError::Forbidden(e)) => {
            tracing::info!(error = %e, "Resource Graph refused; reading workloads by ARM listing");
            let (resources, acr_pull) = via_listing(arm, &subs, &arm_calls, &mut warnings).await?;
            (Source::ArmListing, resources, acr_pull)
        }
        Err(GraphError::Arm(e)) => return Err(DiscoveryError::Graph(e)),
    };
    read_children(arm, &mut resources, &arm_calls, &mut warnings).await;
    resources.sort_by_cached_key(|r| r.id.to_ascii_lowercase());
    Ok(Inventory {
        resources,
        acr_pull,
        source,
        graph_calls: graph.queries_sent() - graph_before,
        arm_calls: arm_calls.load(Ordering::Relaxed),
        duration: started.elapsed(),
        warnings,
    })
}

/// Resources from Resource Graph rows, each id once (a workload may also be tagged, and ARM
/// ids compare without case); rows without an id are dropped.
pub fn merge(rows: impl IntoIterator<Item = Value>) -> Vec<Resource> {
    let mut by_id = HashMap::new();
    for r in rows.into_iter().filter_map(Resource::from_json) {
        by_id.entry(r.id.to_ascii_lowercase()).or_insert(r);
    }
    by_id.into_values().collect()
}

async fn via_graph(
    graph: &ResourceGraph,
    subs: &[SubscriptionId],
) -> Result<(Vec<Resource>, Vec<AcrPull>), GraphError> {
    let mut rows: Vec<Value> = graph.query(WORKLOADS, subs).await?;
    rows.extend(graph.query::<Value>(TAGGED, subs).await?);
    let acr_pull: Vec<AcrPull> = graph.query(ACRPULL, subs).await?;
    Ok((merge(rows), acr_pull))
}

/// The `$filter` of the workload types (Resources_List compares types without case).
fn types_filter() -> String {
    WorkloadKind::ALL
        .iter()
        .filter_map(|k| k.arm_type())
        .map(|t| format!("resourceType eq '{t}'"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// One subscription's listing: its workload-type and tagged resources, and its AcrPull
/// assignments (their own result: without them only the clusters' evidence is missing).
async fn list_subscription(
    arm: &ArmClient,
    sub: &SubscriptionId,
    calls: &AtomicU64,
) -> Result<(Vec<GenericResource>, Result<Vec<AcrPull>, ArmError>), ArmError> {
    let typed = arm.list_resources(sub, &types_filter()).await?;
    calls.fetch_add(typed.pages, Ordering::Relaxed);
    let tagged = arm.list_resources(sub, &format!("tagName eq '{PULLS_FROM_TAG}'")).await?;
    calls.fetch_add(tagged.pages, Ordering::Relaxed);
    let acr_pull = arm.list_role_assignments(sub).await.map(|roles| {
        calls.fetch_add(roles.pages, Ordering::Relaxed);
        roles
            .items
            .into_iter()
            .filter(|a| a.is_role(ACR_PULL_ROLE))
            .map(|a| AcrPull {
                id: a.id,
                principal_id: a.properties.principal_id,
                scope: a.properties.scope.to_ascii_lowercase(),
            })
            .collect()
    });
    Ok((typed.items.into_iter().chain(tagged.items).collect(), acr_pull))
}

async fn via_listing(
    arm: &ArmClient,
    subs: &[SubscriptionId],
    calls: &AtomicU64,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Resource>, Vec<AcrPull>), DiscoveryError> {
    // The futures are made before they are streamed: a stream of closures borrowing these
    // arguments would make the run's future not `Send` for every lifetime (tokio::spawn).
    let tasks: Vec<_> = subs.iter().map(|sub| async move { (sub, list_subscription(arm, sub, calls).await) }).collect();
    let listed: Vec<_> = futures::stream::iter(tasks).buffered(CONCURRENCY).collect().await;
    let mut generic = HashMap::new();
    let mut acr_pull = Vec::new();
    let (mut failed, mut last_err) = (0, None);
    for (sub, result) in listed {
        match result {
            Ok((resources, pulls)) => {
                for g in resources {
                    generic.entry(g.id.to_ascii_lowercase()).or_insert(g);
                }
                match pulls {
                    Ok(pulls) => acr_pull.extend(pulls),
                    Err(e) => {
                        // A failed call still cost one read.
                        calls.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(subscription = %sub, error = %e, "could not list the role assignments of a subscription");
                        warnings.push(format!(
                            "The role assignments of subscription {sub} could not be read (AKS clusters there show no AcrPull): {}",
                            e.public_message()
                        ));
                    }
                }
            }
            Err(e) => {
                tracing::warn!(subscription = %sub, error = %e, "could not list the workloads of a subscription");
                warnings.push(format!("Subscription {sub} could not be read: {}", e.public_message()));
                failed += 1;
                last_err = Some(e);
            }
        }
    }
    if let Some(e) = last_err.filter(|_| failed == subs.len()) {
        return Err(DiscoveryError::Listing(e));
    }
    // Only workload types need their properties; a site without a container never will be
    // one, and a tagged resource of another type is read from its tags alone.
    let (to_get, plain): (Vec<_>, Vec<_>) = generic
        .into_values()
        .map(Resource::from_generic)
        .partition(|r| r.workload_kind().is_some_and(|k| k != WorkloadKind::AppService || r.is_container_site()));
    let mut resources: Vec<Resource> = plain.into_iter().filter(|r| r.workload_kind().is_none()).collect();
    let tasks: Vec<_> = to_get
        .into_iter()
        .map(|r| async move {
            let version = r.workload_kind().map_or(replimap_arm::RESOURCES_API_VERSION, api_version);
            calls.fetch_add(1, Ordering::Relaxed);
            let answer = arm.get_resource(&r.id, version).await;
            (r, answer)
        })
        .collect();
    let got: Vec<_> = futures::stream::iter(tasks).buffer_unordered(CONCURRENCY).collect().await;
    for (listed, answer) in got {
        match answer.map(Resource::from_json) {
            Ok(Some(mut full)) => {
                // The GET's envelope wins; fill what it lacked from the listing.
                if full.kind.is_empty() {
                    full.kind = listed.kind;
                }
                if full.location.is_empty() {
                    full.location = listed.location;
                }
                resources.push(full);
            }
            Ok(None) => warnings.push(format!("{} came back without an id", listed.id)),
            // Deleted between the listing and the GET: simply gone.
            Err(e) if e.is_not_found() => {}
            Err(e) => {
                tracing::warn!(resource = %listed.id, error = %e, "could not read a workload");
                warnings.push(format!("{} could not be read: {}", listed.name, e.public_message()));
            }
        }
    }
    Ok((resources, acr_pull))
}

/// What a resource still needs read beside itself.
enum Child {
    Pools,
    SiteConfig,
}

/// Batch pools of every account and `config/web` of container sites whose GET lacks the
/// image; a failure is a warning, the resource stays (then without that evidence).
async fn read_children(arm: &ArmClient, resources: &mut [Resource], calls: &AtomicU64, warnings: &mut Vec<String>) {
    let wanted: Vec<(usize, Child)> = resources
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r.workload_kind() {
            Some(WorkloadKind::Batch) => Some((i, Child::Pools)),
            Some(WorkloadKind::AppService) if r.is_container_site() && r.fx_versions().is_empty() => {
                Some((i, Child::SiteConfig))
            }
            _ => None,
        })
        .collect();
    let tasks: Vec<_> = wanted
        .into_iter()
        .map(|(i, child)| {
            let id = resources[i].id.clone();
            async move {
                let answer = match child {
                    Child::Pools => {
                        arm.list_at::<Value>(&format!("{id}/pools"), api_version(WorkloadKind::Batch)).await.map(|l| {
                            calls.fetch_add(l.pages, Ordering::Relaxed);
                            (Some(l.items), None)
                        })
                    }
                    Child::SiteConfig => {
                        calls.fetch_add(1, Ordering::Relaxed);
                        arm.get_resource(&format!("{id}/config/web"), api_version(WorkloadKind::AppService))
                            .await
                            .map(|mut v| (None, v.get_mut("properties").map(Value::take)))
                    }
                };
                (i, answer)
            }
        })
        .collect();
    let answers: Vec<_> = futures::stream::iter(tasks).buffer_unordered(CONCURRENCY).collect().await;
    for (i, answer) in answers {
        let r = &mut resources[i];
        match answer {
            Ok((pools, config)) => {
                r.pools = pools.unwrap_or_default();
                r.site_config = config;
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => {
                tracing::warn!(resource = %r.id, error = %e, "could not read a workload's configuration");
                warnings.push(format!("The configuration of {} could not be read: {}", r.name, e.public_message()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workloads_query_names_every_workload_type_in_lower_case() {
        assert!(WORKLOADS.starts_with("resources"));
        for t in WorkloadKind::ALL.iter().filter_map(|k| k.arm_type()) {
            assert!(WORKLOADS.contains(&format!("'{}'", t.to_ascii_lowercase())), "{t}");
        }
        for q in [WORKLOADS, TAGGED, ACRPULL] {
            assert!(q.contains("| project id"), "{q}");
            assert!(!q.contains("  "), "one space between words: {q}");
        }
        assert!(WORKLOADS.contains("| where type in~ ("));
        assert!(WORKLOADS
            .ends_with("| project id, name, type, kind, location, subscriptionId, resourceGroup, tags, properties"));
        assert!(TAGGED.contains(PULLS_FROM_TAG));
        assert!(ACRPULL.contains(ACR_PULL_ROLE));
    }

    #[test]
    fn a_get_and_a_graph_row_give_the_same_resource() {
        let id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/Apps/providers/Microsoft.App/containerApps/web";
        let get = serde_json::json!({"id": id, "name": "web", "type": "Microsoft.App/containerApps",
            "location": "westeurope", "tags": {"team": "a"}, "properties": {"x": 1}});
        let row = serde_json::json!({"id": id, "name": "web", "type": "microsoft.app/containerapps", "kind": "",
            "location": "westeurope", "subscriptionId": "11111111-1111-1111-1111-111111111111",
            "resourceGroup": "apps", "tags": {"team": "a"}, "properties": {"x": 1}});
        let (a, b) = (Resource::from_json(get).unwrap(), Resource::from_json(row).unwrap());
        assert_eq!(a.arm_type, b.arm_type);
        assert_eq!(a.subscription_id, b.subscription_id);
        assert!(a.resource_group.eq_ignore_ascii_case(&b.resource_group));
        assert_eq!(a.properties, b.properties);
        assert_eq!(a.workload_kind(), Some(WorkloadKind::ContainerApp));
        assert!(Resource::from_json(serde_json::json!({"name": "no id"})).is_none());
        assert_eq!(tags(Some(&serde_json::json!(null))), BTreeMap::new());
    }

    #[test]
    fn sites_read_their_image_from_site_properties_or_config() {
        let mut site = Resource::from_json(serde_json::json!({
            "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/w", "type": "Microsoft.Web/sites",
            "kind": "app,linux,container", "properties": {"siteConfig": null, "siteProperties": {"properties": [
                {"name": "LinuxFxVersion", "value": "DOCKER|myacr.azurecr.io/web:1.2"},
                {"name": "WindowsFxVersion", "value": null}]}}}))
        .unwrap();
        assert_eq!(site.fx_versions(), ["DOCKER|myacr.azurecr.io/web:1.2"]);
        site.properties = Value::Null;
        assert!(site.fx_versions().is_empty());
        site.site_config = Some(serde_json::json!({"linuxFxVersion": "DOCKER|other.azurecr.io/x:1"}));
        assert_eq!(site.fx_versions(), ["DOCKER|other.azurecr.io/x:1"]);
    }

    #[test]
    fn the_listing_filter_names_every_type() {
        let f = types_filter();
        assert_eq!(f.matches(" or ").count(), 6);
        assert!(f.starts_with("resourceType eq 'Microsoft.ContainerService/managedClusters'"));
    }
}
