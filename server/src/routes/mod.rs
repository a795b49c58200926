//! The portal API, one module per resource.

mod audit;
pub mod coverage;
pub mod enroll;
mod events;
pub mod fill_form;
mod health;
mod locations;
pub mod me;
mod metrics;
mod operations;
mod registries;
pub(crate) mod replications;
mod tokens;
mod validate;

use axum::http::{Method, Uri};
use axum::routing::{get, MethodRouter};
use axum::Router;
use replimap_types::ErrorCode;

use crate::error::AppError;
use crate::state::AppState;

/// Every route the API serves, in one place: [`api`] is built from it, and the tests walk it
/// against `api/openapi.json`.
fn table() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/healthz", get(health::healthz)),
        ("/readyz", get(health::readyz)),
        ("/metrics", get(metrics::metrics)),
        ("/api/v1/openapi.json", get(health::openapi)),
        ("/api/v1/locations", get(locations::list)),
        ("/api/v1/registries", get(registries::list)),
        (
            "/api/v1/registries/{subscription_id}/{resource_group}/{registry}/replications",
            get(replications::list).put(replications::create_default_name),
        ),
        (
            "/api/v1/registries/{subscription_id}/{resource_group}/{registry}/replications/{name}",
            get(replications::get).put(replications::create).patch(replications::update).delete(replications::delete),
        ),
        ("/api/v1/registries/{subscription_id}/{resource_group}/{registry}/coverage", get(coverage::get)),
        ("/api/v1/registries/{subscription_id}/{resource_group}/{registry}/coverage/plan", get(coverage::get_plan)),
        (
            "/api/v1/registries/{subscription_id}/{resource_group}/{registry}/coverage/fill",
            axum::routing::post(coverage::fill),
        ),
        ("/api/v1/fleet", get(coverage::fleet)),
        ("/api/v1/coverage/refresh", axum::routing::post(coverage::refresh)),
        (events::PATH, get(events::stream)),
        ("/api/v1/operations", get(operations::list)),
        ("/api/v1/operations/{id}", get(operations::get)),
        ("/api/v1/audit", get(audit::list)),
        ("/api/v1/audit/export", get(audit::export)),
        ("/api/v1/me", get(me::get)),
        ("/api/v1/tokens", get(tokens::list).post(tokens::create)),
        ("/api/v1/tokens/{id}", axum::routing::delete(tokens::revoke)),
    ]
}

/// The paths of [`table`], as axum spells them (`{subscription_id}`).
pub fn paths() -> Vec<&'static str> {
    table().into_iter().map(|(path, _)| path).collect()
}

/// `/api/v1/*` and the health endpoints. A known path asked with another method answers a
/// 405 envelope (axum adds `Allow`).
pub fn api(state: &AppState) -> Router<AppState> {
    table()
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            // Writes go through the Idempotency-Key check first (it passes reads through).
            let methods = if path.contains("/replications") || path.ends_with("/coverage/fill") {
                methods.layer(axum::middleware::from_fn_with_state(state.clone(), crate::idempotency::layer))
            } else {
                methods
            };
            router.route(path, methods)
        })
        .method_not_allowed_fallback(method_not_allowed)
}

/// Whether a path belongs to the API, whose unknown paths answer the JSON 404 rather than
/// the page's HTML one.
pub fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Whether a path is a liveness or readiness probe, which answers whatever the `Host`.
pub fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz")
}

/// Whether a path is the event stream, which is meant to stay open (no request timeout).
pub fn is_event_stream(path: &str) -> bool {
    path == events::PATH
}

/// The 404 of an unknown API path.
pub fn unknown_path(method: &Method, uri: &Uri) -> AppError {
    AppError::new(
        ErrorCode::NotFound,
        format!("There is no API route {method} {}; /api/v1/openapi.json lists them.", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> AppError {
    AppError::new(
        ErrorCode::MethodNotAllowed,
        format!("{method} is not allowed on {}; the Allow header lists the methods that are.", uri.path()),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn api_paths_are_told_apart_from_pages() {
        assert!(super::is_api("/api/v1/nope"));
        assert!(super::is_api("/api/"));
        assert!(super::is_api("/api"));
        assert!(!super::is_api("/apiary"));
        assert!(!super::is_api("/"));
    }
}
