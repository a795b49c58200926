//! Client for the parts of Azure Resource Manager that replimap uses:
//! `Microsoft.ContainerRegistry` registries and replications, and subscription locations.
//!
//! The portal server talks to ARM only through [`ArmClient`]. The same client runs
//! against real ARM (bearer tokens from an `azure_identity` credential) and against
//! the embedded emulator (a static token), so tests exercise the production code path.
#![warn(missing_docs)]

mod auth;
mod client;
mod error;
mod lro;
mod model;
mod registries;
mod replications;
mod retry;
mod throttle;
mod tls;

pub use auth::{Auth, AuthOptions, CredentialKind};
pub use client::{ArmClient, ArmOptions, ArmStats};
pub use error::{ArmError, ArmErrorBody};
pub use lro::{LroPoller, LroStatus, Monitor};
pub use model::{
    parse_registry_id, ArmRegistry, ArmReplication, ReplicationPatch, ReplicationPatchProperties, ReplicationPut,
    ReplicationPutProperties,
};
pub use retry::RetryPolicy;
pub use throttle::{BucketLimit, OpClass, ThrottleLimits};
pub use tls::{CaBundleError, TlsRoots};
