//! Wire types of the replimap portal API (`/api/v1`).
//!
//! Shared by the server and the WASM front end, so this crate depends on serde
//! alone. Everything that crosses the HTTP boundary lives here: typed ids, the
//! portal's view of regions, registries and replications, the SSE event stream
//! and the one error envelope.
#![warn(missing_docs)]

mod audit;
mod auth;
mod backoff;
mod coverage;
mod error;
mod event;
mod http;
mod ids;
mod operation;
mod page;
mod region;
mod registry;
mod replication;
mod tags;

pub use audit::{AuditAction, AuditOutcome, AuditPage, AuditRecord};
pub use auth::{
    pattern_matches, registry_arm_id, role_on, ApiToken, ApiTokenState, AuthMode, CreatedApiToken, Enrollment, Grant,
    Me, NewApiToken, Role,
};
pub use backoff::backoff;
pub use coverage::{
    CostReport, Coverage, CoverageFigure, CoverageReport, CoverageStatus, Evidence, EvidenceKind, FillGaps, FillItem,
    FillPlan, FillResult, Fleet, FleetRow, PlannedReplica, PriceBasis, RegionCoverage, ReplicaCost, SkippedGap,
    TransferEstimate, Workload, WorkloadKind, ACR_PULL_ROLE, PULLS_FROM_TAG,
};
pub use error::{ApiError, ErrorCode};
pub use event::{Applied, RegistryState, StatusEvent};
pub use http::CSRF_HEADER;
pub use ids::{IdError, RegionName, RegistryName, ReplicationName, ResourceGroupName, SubscriptionId};
pub use operation::{Operation, OperationKind, OperationState};
pub use page::{page_data_json, rfc3339_ms, PageData, UiSettings, PAGE_DATA_ID};
pub use region::Region;
pub use registry::{RegistryKey, RegistrySummary};
pub use replication::{
    CreateReplication, ProvisioningState, ReplicaPhase, ReplicaStatus, Replication, UpdateReplication, ZoneRedundancy,
};
pub use tags::{check_tag, check_tags, TagError, MAX_TAGS, MAX_TAG_NAME, MAX_TAG_VALUE};
