//! Client for the parts of Azure Resource Manager that replimap uses:
//! `Microsoft.ContainerRegistry` registries and replications, subscription locations, and
//! the reads of workload discovery (Resource Graph, generic resources, role assignments).
//!
//! The portal server talks to ARM only through [`ArmClient`]. The same client runs
//! against real ARM (bearer tokens from an `azure_identity` credential) and against
//! the embedded emulator (a static token), so tests exercise the production code path.
#![warn(missing_docs)]

mod auth;
mod client;
mod error;
mod graph;
mod lro;
mod model;
mod registries;
mod replications;
mod resources;
mod retry;
mod roles;
mod throttle;
mod tls;

pub use auth::{Auth, AuthOptions, CredentialKind};
pub use client::{ArmClient, ArmOptions, ArmStats};
pub use error::{ArmError, ArmErrorBody};
pub use graph::{GraphError, ResourceGraph, GRAPH_API_VERSION};
pub use lro::{LroPoller, LroStatus, Monitor};
pub use model::{
    parse_registry_id, ArmRegistry, ArmReplication, ReplicationPatch, ReplicationPatchProperties, ReplicationPut,
    ReplicationPutProperties,
};
pub use resources::{GenericResource, Listed, RESOURCES_API_VERSION};
pub use retry::RetryPolicy;
pub use roles::{RoleAssignment, RoleAssignmentProperties, ROLE_ASSIGNMENTS_API_VERSION};
pub use throttle::{BucketLimit, OpClass, ThrottleLimits};
pub use tls::{CaBundleError, TlsRoots};
