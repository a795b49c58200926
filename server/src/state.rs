//! Shared state of all handlers.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use replimap_arm::ArmClient;

use crate::hub::StatusHub;
use crate::regions::Regions;

/// Cheap to clone: everything inside is shared.
#[derive(Clone)]
pub struct AppState {
    /// Leptos site settings (SSR needs them).
    pub leptos_options: LeptosOptions,
    /// The only way to ARM.
    pub arm: ArmClient,
    /// Pollers and SSE fan-out.
    pub hub: StatusHub,
    /// Region metadata.
    pub regions: Arc<Regions>,
    /// Whether ARM is the embedded emulator (shown in the UI and logs).
    pub emulated: bool,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
