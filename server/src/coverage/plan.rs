//! Filling the gaps: the plan (one replica per gap region, zone redundant where the region
//! has zones, routing on as ARM defaults, the home region never) and the fill that creates
//! them, a few at a time, each through the same audited create as the API's.

use futures::StreamExt;
use replimap_store::{Claim, StoredResponse};
use replimap_types::{
    ErrorCode, FillGaps, FillItem, FillPlan, FillResult, PlannedReplica, RegionName, RegistryKey, RegistryState,
    ReplicaPhase, SkippedGap, TransferEstimate, ZoneRedundancy,
};

use super::report::{self, DEFAULT_STORAGE_GB};
use crate::auth::authz::{self, Action};
use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::routes::replications::create_replica;
use crate::state::AppState;

/// Most regions one fill takes (there are about sixty).
const MAX_REGIONS: usize = 64;
/// How long a region's claim in a fill is remembered (as the API's Idempotency-Key).
const KEEP_MS: i64 = 24 * 3600 * 1000;

/// `GET …/coverage/plan`.
pub fn plan(state: &AppState, caller: &Caller, key: &RegistryKey, estimate: TransferEstimate) -> AppResult<FillPlan> {
    authz::require(caller, Action::Read, key)?;
    let reg = report::registry(state, key)?;
    Ok(plan_for(state, &reg, estimate))
}

fn plan_for(state: &AppState, reg: &RegistryState, estimate: TransferEstimate) -> FillPlan {
    let report = report::build(state, reg, estimate, DEFAULT_STORAGE_GB);
    let prices = &state.coverage.prices;
    let home = &reg.registry.location;
    let (mut replicas, mut skipped) = (Vec::new(), Vec::new());
    for region in report.gaps {
        match proposal(state, reg, &region) {
            Ok(zone_redundancy) => {
                let zoned = zone_redundancy == ZoneRedundancy::Enabled;
                replicas.push(PlannedReplica {
                    az: replimap_app::model::cli::create(
                        reg.registry.key.name.as_str(),
                        region.as_str(),
                        zoned,
                        true,
                        &Default::default(),
                    ),
                    cost: prices.replica_cost(home, &region, DEFAULT_STORAGE_GB, estimate),
                    region,
                    zone_redundancy,
                    region_endpoint_enabled: true,
                });
            }
            Err(reason) => skipped.push(SkippedGap { region, reason }),
        }
    }
    let monthly = (replicas.iter().map(|r| r.cost.monthly).sum::<f64>() * 100.0).round() / 100.0;
    FillPlan { replicas, skipped, monthly, basis: prices.basis() }
}

/// The zone redundancy a replica in this gap region gets, or why the plan leaves it alone.
fn proposal(state: &AppState, reg: &RegistryState, region: &RegionName) -> Result<ZoneRedundancy, String> {
    if !reg.registry.replicable {
        return Err(reg
            .registry
            .not_replicable_reason
            .clone()
            .unwrap_or_else(|| "Geo-replication needs the Premium SKU (az acr update --sku Premium).".to_owned()));
    }
    let Some(meta) = state.regions.get(region) else {
        return Err("The portal does not know this region.".to_owned());
    };
    if !meta.accepts_replicas {
        return Err(format!("{} does not accept replicas.", meta.display_name));
    }
    if let Some(r) = reg.replications.iter().find(|r| &r.location == region) {
        return Err(match r.phase() {
            ReplicaPhase::Creating => "A replica is being created here.".to_owned(),
            ReplicaPhase::Deleting => "A replica is being deleted here; fill again once it is gone.".to_owned(),
            ReplicaPhase::Failed => {
                format!("The replica '{}' here failed; delete it, then fill again.", r.name)
            }
            _ => "A replica is here already.".to_owned(),
        });
    }
    // Zone redundancy is free and can only be chosen at creation: take it wherever the
    // region has zones.
    Ok(if meta.availability_zones.is_empty() { ZoneRedundancy::Disabled } else { ZoneRedundancy::Enabled })
}

/// `POST …/coverage/fill`: creates a replica in each confirmed gap region, a few at a time,
/// each audited and tracked as its own operation. `idempotency` (the request's
/// Idempotency-Key, if any) keys each region's create so a repeated fill creates nothing twice.
pub async fn fill(
    state: &AppState,
    caller: &Caller,
    key: &RegistryKey,
    request: FillGaps,
    idempotency: Option<String>,
) -> AppResult<FillResult> {
    let regions = confirmed(state, &request)?;
    if let Err(refused) = authz::require(caller, Action::Write, key) {
        // Each create the caller asked for is recorded as refused (no ARM call is made).
        for region in &regions {
            let raw = serde_json::json!({ "location": region.as_str() });
            let _ = create_replica(state, caller, Ok(key.clone()), None, raw.clone(), Ok(raw)).await;
        }
        return Err(refused);
    }
    let reg = report::registry(state, key)?;
    let plan = plan_for(state, &reg, TransferEstimate::default());
    let reg = &reg;
    let work = regions.into_iter().map(|region| {
        let planned = plan.replicas.iter().find(|p| p.region == region).cloned();
        let skipped = plan.skipped.iter().find(|s| s.region == region).map(|s| s.reason.clone());
        let idempotency = idempotency.clone();
        async move {
            let Some(planned) = planned else {
                let exists = reg.replications.iter().any(|r| r.location == region);
                return FillItem {
                    outcome: if exists { "exists" } else { "skipped" }.to_owned(),
                    error: Some(skipped.unwrap_or_else(|| "This region is not a gap of the registry.".to_owned())),
                    operation_id: None,
                    region,
                };
            };
            one(state, caller, &reg.registry.key, planned, idempotency.as_deref()).await
        }
    });
    let items = futures::stream::iter(work).buffered(state.coverage.settings.fill_parallelism.max(1)).collect().await;
    Ok(FillResult { items })
}

/// The regions of the request, checked: known names, no repeats, not too many.
fn confirmed(state: &AppState, request: &FillGaps) -> AppResult<Vec<RegionName>> {
    let bad = |m: String| AppError::new(ErrorCode::BadRequest, m);
    if request.regions.is_empty() {
        return Err(bad("Choose at least one region to fill.".to_owned()));
    }
    if request.regions.len() > MAX_REGIONS {
        return Err(bad(format!("A fill takes at most {MAX_REGIONS} regions.")));
    }
    let mut out: Vec<RegionName> = Vec::with_capacity(request.regions.len());
    for name in &request.regions {
        let region = name
            .trim()
            .to_ascii_lowercase()
            .parse::<RegionName>()
            .ok()
            .filter(|r| state.regions.get(r).is_some())
            .ok_or_else(|| bad(format!("'{name}' is not a region name the portal knows (GET /api/v1/locations).")))?;
        if out.contains(&region) {
            return Err(bad(format!("'{name}' is listed twice.")));
        }
        out.push(region);
    }
    Ok(out)
}

/// One region's create, claimed under the fill's key first so a repeated fill (a double
/// submit, a retry after a lost answer, another instance) answers what the first did.
async fn one(
    state: &AppState,
    caller: &Caller,
    key: &RegistryKey,
    planned: PlannedReplica,
    idempotency: Option<&str>,
) -> FillItem {
    let region = planned.region.clone();
    let claim_key = idempotency.map(|k| format!("{}\n{}\nfill:{k}:{key}:{region}", caller.source(), caller.actor()));
    if let Some(claim_key) = &claim_key {
        let now = crate::audit::now_ms();
        match state.store.idempotency_claim(claim_key, region.as_str(), now, now + KEEP_MS).await {
            Ok(Claim::New) => {}
            Ok(Claim::Done(stored)) => {
                return serde_json::from_slice(&stored.body)
                    .unwrap_or_else(|_| failed(region, "The first answer is unreadable."));
            }
            Ok(Claim::InProgress) => {
                return FillItem {
                    region,
                    outcome: "in_progress".to_owned(),
                    operation_id: None,
                    error: Some("The same fill is creating this replica right now.".to_owned()),
                }
            }
            Ok(Claim::Mismatch) => return failed(region, "This fill's key was used for another request."),
            Err(e) => {
                tracing::error!(error = %e, "fill: idempotency keys cannot be checked");
                return failed(region, "The portal cannot record the fill right now, so nothing was sent to Azure.");
            }
        }
    }
    let raw = serde_json::json!({
        "location": region.as_str(),
        "zoneRedundancy": planned.zone_redundancy,
        "regionEndpointEnabled": planned.region_endpoint_enabled,
    });
    let item = match create_replica(state, caller, Ok(key.clone()), None, raw.clone(), Ok(raw)).await {
        Ok((op, _)) => FillItem { region, outcome: "accepted".to_owned(), operation_id: Some(op.id), error: None },
        Err(e) => FillItem { region, outcome: "failed".to_owned(), operation_id: None, error: Some(e.to_string()) },
    };
    if let Some(claim_key) = &claim_key {
        // A failure on the portal's side (5xx-like: ARM unreachable) releases the claim so a
        // retry is sent again; an answer is kept.
        let kept = match (&item.outcome[..], serde_json::to_vec(&item)) {
            ("accepted", Ok(body)) => {
                state
                    .store
                    .idempotency_complete(claim_key, &StoredResponse { status: 202, headers: Vec::new(), body })
                    .await
            }
            _ => state.store.idempotency_release(claim_key).await,
        };
        if let Err(e) = kept {
            tracing::warn!(error = %e, "fill: could not keep a region's answer");
        }
    }
    item
}

fn failed(region: RegionName, why: &str) -> FillItem {
    FillItem { region, outcome: "failed".to_owned(), operation_id: None, error: Some(why.to_owned()) }
}
