//! Embedded Azure Resource Manager emulator for the parts of ARM replimap
//! uses: subscriptions, locations, generic resources, resource groups, and
//! Microsoft.ContainerRegistry registries and geo-replications, with ARM's
//! long-running-operation protocol, paging, error envelope and headers; and for
//! workload coverage, Resource Graph's named queries, workload resources at their
//! own paths, role assignments and a Retail Prices API stand-in.
//!
//! It deliberately shares no types with `replimap-arm`: state is kept as JSON
//! documents in ARM's wire shape, so a wrong client model cannot hide behind a
//! shared one. Choices made where real ARM behaviour is unknown are collected
//! in [`assumptions`]. The out-of-band admin API lives under `/_emulator/`.
//!
//! For the real `az` CLI and Python SDK it also serves HTTPS with a generated
//! certificate ([`TlsIdentity`], [`serve_tls`]), the cloud metadata document
//! and a token endpoint; see `docs/emulator.md` for the client setup. ARM
//! requests must carry a bearer token the emulator issued, from that endpoint
//! or, in process, from [`EmulatorHandle::credential`].
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let handle = replimap_arm_emulator::spawn(Default::default()).await?;
//! println!("ARM endpoint: {}", handle.base_url());
//! let credential = handle.credential(); // an azure_core TokenCredential
//! # drop(credential);
//! handle.shutdown().await;
//! # Ok(()) }
//! ```

mod admin;
mod admin_workloads;
pub mod assumptions;
mod auth;
mod config;
mod credential;
mod ctx;
mod dispatch;
mod docs;
mod emulator;
mod envelope;
mod error;
mod faults;
mod generate;
mod graph_query;
mod graph_quota;
mod group_delete;
mod handlers;
mod identity;
mod operation;
mod ops;
mod paging;
mod persist;
mod regions;
mod requests;
mod retail;
mod route;
mod seed;
mod seed_demo;
mod server;
mod store;
mod throttle;
mod tls;
mod validate;
mod workload_shapes;
mod workloads;

pub use config::EmulatorConfig;
pub use emulator::Emulator;
pub use faults::FaultRule;
pub use graph_quota::GraphQuota;
pub use requests::{RequestRecord, RequestStats};
pub use seed::{
    Seed, SeedRegistry, SeedReplica, SeedResourceGroup, SeedSubscription, DEMO_SUBSCRIPTION_ID, DEMO_TENANT_ID,
};
pub use server::{router, serve, serve_tls, spawn, spawn_on, spawn_tls_on, EmulatorHandle};
pub use throttle::{Rate, Throttling};
pub use tls::{TlsIdentity, TlsListener};
pub use workloads::{SeedRoleAssignment, SeedWorkload};
