//! Shared state of all handlers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use replimap_arm::ArmClient;

use crate::hub::StatusHub;
use crate::middleware::AllowedHosts;
use crate::operations::Operations;
use crate::regions::Regions;

/// Cheap to clone: everything inside is shared.
#[derive(Clone)]
pub struct AppState {
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
    /// Writes started through the portal.
    pub operations: Operations,
    /// Host names the portal answers to.
    pub allowed_hosts: AllowedHosts,
    /// What the page needs from the configuration.
    pub ui: replimap_types::UiSettings,
    /// When ARM last answered a readiness check, so probes do not spend ARM's budget on every call.
    pub ready_at: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

/// Portal responses by status class.
#[derive(Debug, Default)]
pub struct HttpCounters {
    classes: [AtomicU64; 5],
}

impl HttpCounters {
    /// Counts one response.
    pub fn record(&self, status: u16) {
        let i = usize::from(status / 100).clamp(1, 5) - 1;
        self.classes[i].fetch_add(1, Ordering::Relaxed);
    }

    /// `("2xx", n)` pairs.
    pub fn by_class(&self) -> Vec<(String, u64)> {
        self.classes.iter().enumerate().map(|(i, c)| (format!("{}xx", i + 1), c.load(Ordering::Relaxed))).collect()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
