//! Embedded Azure Resource Manager emulator for the parts of ARM replimap
//! uses: subscriptions, locations, generic resources, resource groups, and
//! Microsoft.ContainerRegistry registries and geo-replications, with ARM's
//! long-running-operation protocol, paging, error envelope and headers.
//!
//! It deliberately shares no types with `replimap-arm`: state is kept as JSON
//! documents in ARM's wire shape, so a wrong client model cannot hide behind a
//! shared one. Choices made where real ARM behaviour is unknown are collected
//! in [`assumptions`]. The out-of-band admin API lives under `/_emulator/`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let handle = replimap_arm_emulator::spawn(Default::default()).await?;
//! println!("ARM endpoint: {}", handle.base_url());
//! handle.shutdown().await;
//! # Ok(()) }
//! ```

mod admin;
pub mod assumptions;
mod config;
mod ctx;
mod dispatch;
mod docs;
mod emulator;
mod envelope;
mod error;
mod faults;
mod handlers;
mod ops;
mod paging;
mod regions;
mod requests;
mod route;
mod seed;
mod server;
mod store;
mod validate;

pub use config::EmulatorConfig;
pub use emulator::Emulator;
pub use faults::FaultRule;
pub use requests::{RequestRecord, RequestStats};
pub use seed::{
    Seed, SeedRegistry, SeedReplica, SeedResourceGroup, SeedSubscription, DEMO_SUBSCRIPTION_ID,
    DEMO_TENANT_ID,
};
pub use server::{router, serve, spawn, spawn_on, EmulatorHandle};
