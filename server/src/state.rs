//! Shared state of all handlers.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use replimap_arm::ArmClient;

use crate::hub::StatusHub;
use crate::middleware::{AllowedHosts, HttpCounters};
use crate::regions::Regions;

/// Cheap to clone: one reference count. Every middleware and handler that takes
/// `State<AppState>` clones it per request, so a clone must not copy the fields (the Leptos
/// options, the host list and the page settings hold strings).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// The state around its fields.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What every handler shares.
pub struct Shared {
    /// Leptos site settings (SSR needs them).
    pub leptos_options: LeptosOptions,
    /// The front end's files, precompressed.
    pub assets: crate::assets::Assets,
    /// The only way to ARM.
    pub arm: ArmClient,
    /// Pollers and SSE fan-out.
    pub hub: StatusHub,
    /// Region metadata.
    pub regions: Arc<Regions>,
    /// Whether ARM is the embedded emulator (shown in the UI and logs).
    pub emulated: bool,
    /// Response counters for `/metrics`.
    pub http: Arc<HttpCounters>,
    /// The durable store: audit trail, operations, idempotency keys.
    pub store: replimap_store::Store,
    /// Audit counters for `/metrics`.
    pub audit_counters: Arc<crate::audit::AuditCounters>,
    /// Sign-in: the configuration, counters and token bookkeeping.
    pub auth: Arc<crate::auth::Authenticator>,
    /// Host names the portal answers to.
    pub allowed_hosts: AllowedHosts,
    /// What the page needs from the configuration.
    pub ui: replimap_types::UiSettings,
    /// When ARM last answered a readiness check, so probes do not spend ARM's budget on every call.
    pub ready_at: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
    /// The HTTP edge: limits, event-stream slots, security headers, the metrics token.
    pub edge: Arc<crate::edge::Edge>,
    /// Workload discovery, prices and the fill.
    pub coverage: Arc<crate::coverage::CoverageService>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
