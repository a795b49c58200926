//! The portal API, one module per resource.

mod events;
mod health;
mod locations;
mod metrics;
mod operations;
mod registries;
mod replications;
mod validate;

use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// `/api/v1/*` and the health endpoints.
pub fn api() -> Router<AppState> {
    let reps = "/api/v1/registries/{subscription_id}/{resource_group}/{registry}/replications";
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .route("/api/v1/openapi.json", get(health::openapi))
        .route("/api/v1/locations", get(locations::list))
        .route("/api/v1/registries", get(registries::list))
        .route(reps, get(replications::list).put(replications::create_default_name))
        .route(
            &format!("{reps}/{{name}}"),
            get(replications::get).put(replications::create).patch(replications::update).delete(replications::delete),
        )
        .route("/api/v1/events", get(events::stream))
        .route("/api/v1/operations", get(operations::list))
        .route("/api/v1/operations/{id}", get(operations::get))
}
