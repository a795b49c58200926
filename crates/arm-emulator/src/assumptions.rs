//! Every behaviour the emulator *chose* because the real ARM / ACR resource
//! provider was not observed doing it (see `shared/docs/arm-facts.md`).
//!
//! Keep them here, in one place, so that when real traffic shows otherwise the
//! fix is a one-line change. Each constant names the section of arm-facts.md
//! that discusses the gap.
//!
//! Behaviour choices that are not a single value:
//! * §2.3 home replica: the RP creates it ~4 s after the first geo-replica PUT;
//!   the emulator creates it at once, already Succeeded/Ready.
//! * §2.1 PUT on an existing replica: 200 with the resource when nothing
//!   changes (the spec's idempotent case); 201 `Updating` + Azure-AsyncOperation
//!   when tags or regionEndpointEnabled change (same path as PATCH).
//! * PATCH accepts only `tags` (replaces the whole map) and
//!   `properties.regionEndpointEnabled`; a different `location` or
//!   `properties.zoneRedundancy` is rejected like on PUT, other keys are ignored.
//!   PATCH always answers 201 + Azure-AsyncOperation.
//! * Replication calls on a non-Premium registry: only PUT is rejected; GET and
//!   list answer normally (an empty list).
//! * Registry PUT/PATCH answer 200 synchronously (§2.2, recording).
//! * Authentication (`auth.rs`): every ARM request needs a bearer token the
//!   emulator signed (HS256 under its own key) that has not expired; refusals are
//!   ARM's 401 codes and wording (`AuthenticationFailed`, `InvalidAuthenticationToken`,
//!   `ExpiredAuthenticationToken`, the latter's times in .NET's en-US format as in
//!   user reports, e.g. microsoft/foundry-dev-tools#461). Not modelled: audience,
//!   tenant and `nbf` checks, and ARM's clock-skew allowance (the emulator is its
//!   own issuer, and tests must see a token expire on time). The challenge's
//!   `authorization_uri` is the emulator itself (its cloud's login endpoint, as
//!   real ARM names the public cloud's). The token endpoint (`identity.rs`)
//!   accepts any tenant, client id and secret, and two grants: client
//!   credentials (service principals) and on-behalf-of, whose user assertion is
//!   decoded **without checking its signature** (the emulator cannot know the
//!   foreign provider's keys); it must be unexpired, for the calling application
//!   (`aud` = client id or `api://{client id}[/…]`) and name a user.
//! * `systemData` names the caller of the write, as ARM does: a user token's
//!   `upn` with `User`, an application token's `appid` with `Application`; the
//!   home replica the RP adds is `ContainerRegistry`/`Application`. Managed
//!   identities (`ManagedIdentity`) and `Key` callers are not modelled.
//! * Resource group DELETE (`group_delete.rs`): the group takes the provisioning
//!   delay; its registries (with their replicas) go `Deleting` at once and are
//!   gone half-way through; nothing fails. A repeated DELETE while one runs gets
//!   the same monitor URL.
//! * Throttling (`throttle.rs`, off unless asked for): one token bucket per
//!   subscription and kind (read/write/delete) with ARM's per-principal limits;
//!   ARM's extra per-principal and 15× global buckets are not modelled.
//! * `/metadata/endpoints` answers the public cloud's shape with the resource
//!   manager and login endpoints pointing at the emulator, whatever api-version.

/// §6 "Duplicate": a second replica with a *different name* in a location that
/// already has one. No evidence; the portal lists one replica per region.
pub const DUPLICATE_LOCATION_CODE: &str = "Conflict";

/// §6 "Non-Premium registry": the server-side error for a direct PUT was not
/// found; the CLI's own client-side text is reused as the message.
pub const NOT_PREMIUM_CODE: &str = "RegistrySkuNotSupported";
pub const NOT_PREMIUM_MESSAGE: &str = "Replications are only supported for managed registries in Premium SKU.";

/// §6 "Invalid / unknown location": ARM's generic answer for a region the
/// resource type is not offered in. Canary (`*euap`) and staging (`*stg`)
/// regions are treated as unknown (§10: ordinary subscriptions cannot use them).
pub const UNKNOWN_LOCATION_CODE: &str = "LocationNotAvailableForResourceType";

/// §6 "Deleting the home-region replica": reported in 2019 (Azure/acr#294);
/// the emulator refuses only while other replicas still exist.
pub const HOME_REPLICA_DELETE_CODE: &str = "HomeReplicationCannotBeDeleted";

/// §2.1: `location` is `x-ms-mutability: read, create`. Code and 400 status are
/// ARM's generic answer for "same name, other location" (not verified for ACR).
pub const LOCATION_IMMUTABLE_CODE: &str = "InvalidResourceLocation";

/// §2.1: zoneRedundancy cannot change after creation (#18934 says the RP
/// rejects it); the real code is unknown.
pub const ZONE_REDUNDANCY_IMMUTABLE_CODE: &str = "ZoneRedundancyUpdateNotSupported";

/// §2.1 name rules are from the spec; the code ARM/RP returns is not recorded.
pub const INVALID_NAME_CODE: &str = "InvalidResourceName";

/// Registry names are global (they become `{name}.azurecr.io`); the code for a
/// clash across resource groups was not observed.
pub const REGISTRY_NAME_IN_USE_CODE: &str = "AlreadyInUse";

/// A PUT/PATCH/DELETE while another long-running operation on the same
/// replica is still running. Not observed; this is ARM's usual wording.
pub const OPERATION_IN_PROGRESS_CODE: &str = "AnotherOperationInProgress";

/// Re-creating a replica right after deleting it (fault `recreateConflictMs`).
/// Users report the RP refusing this for a short while; no recording of the
/// code exists, so ARM's generic 409 code is used. No `Retry-After` header:
/// azure-core would retry on it, while users report seeing the error
/// (Terraform added an explicit wait, shared/docs/anchors.md §1.4).
pub const RECREATE_CONFLICT_CODE: &str = "Conflict";

/// A write into a resource group that is being deleted. ARM's code for it, not
/// recorded for ACR; the message is ARM's usual wording.
pub const GROUP_BEING_DELETED_CODE: &str = "ResourceGroupBeingDeleted";

/// Polling an operation id the emulator never issued.
pub const OPERATION_NOT_FOUND_CODE: &str = "OperationNotFound";

/// A `$skipToken` the emulator did not issue.
pub const INVALID_SKIP_TOKEN_CODE: &str = "InvalidSkipToken";

/// §2.1: while Creating the real RP returned `status: {timestamp}` with **no**
/// displayStatus/message (the spec examples show "Provisioning"). The emulator
/// follows the recording (and does the same while Deleting, unobserved).
/// Flip this to mimic the spec examples instead.
pub const CREATING_STATUS_HAS_DISPLAY_STATUS: bool = false;
/// Used only when [`CREATING_STATUS_HAS_DISPLAY_STATUS`] is true, and for Updating.
pub const PROVISIONING_DISPLAY_STATUS: &str = "Provisioning";
pub const PROVISIONING_MESSAGE: &str = "The replication is provisioning.";

/// §2.1: the recording shows `{displayStatus:"Ready", timestamp}`; the spec
/// examples add this message. The brief asks for a message, so it is sent.
pub const READY_DISPLAY_STATUS: &str = "Ready";
pub const READY_MESSAGE: &str = "The replication is ready.";

/// A replica that ends Failed: no displayStatus value was ever observed for it
/// (§2.1 says treat unknown values as degraded).
pub const FAILED_DISPLAY_STATUS: &str = "Failed";

/// Defaults for an injected replica failure (`failReplicaIn` without code).
pub const DEFAULT_INJECTED_FAILURE_CODE: &str = "ReplicationProvisioningFailed";
pub const DEFAULT_INJECTED_FAILURE_MESSAGE: &str = "The replication could not be provisioned in the requested region.";

/// §2.1: who the RP says created the home replica, and who "the user" of seeded
/// resources is (writes name their caller instead, `auth.rs` `Principal`).
pub const APPLICATION_PRINCIPAL: &str = "ContainerRegistry";
pub const USER_PRINCIPAL: &str = "user@replimap.example";

/// The `actor` named in throttling messages when the caller's token carries
/// no object id (or there is no token).
pub const DEFAULT_ACTOR: &str = "00000000-0000-0000-0000-000000000001";

/// §1: what the live RP advertised in `api-supported-versions` (abridged).
pub const API_SUPPORTED_VERSIONS: &str = "2019-05-01, 2021-09-01, 2022-12-01, 2023-07-01, \
2024-11-01, 2025-03-01-preview, 2025-04-01, 2025-11-01, 2026-09-01-preview, 2026-11-01";
