//! The ARM entry point: checks `api-version`, parses the path and hands the
//! request to the resource handler for that route and method.

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};

use crate::ctx::{base_url, Ctx};
use crate::emulator::Emulator;
use crate::error::{ArmError, ArmResult};
use crate::handlers::container_registry::{operations, registries, registry_write, replication_write, replications};
use crate::handlers::{locations, resource_graph, resource_groups, resources, subscriptions, workloads};
use crate::identity;
use crate::route::{self, Route};

/// Bodies larger than this are refused; ARM's own limit is 4 MB.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// Everything that is not the admin API: the identity endpoints (see
/// `identity.rs`), then ARM.
pub(crate) async fn handle(State(emu): State<Emulator>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => return ArmError::invalid_content(e).into_response(),
    };
    let base = base_url(&parts.headers, &parts.extensions);
    if let Some(route) = identity::route(parts.uri.path()) {
        return identity::handle(&emu, route, &parts.method, &base, &body);
    }
    let query: Vec<(String, String)> =
        parts.uri.query().map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    // Set by `envelope.rs` once the token checked out; ARM routes are not served without it.
    let caller =
        parts.extensions.get::<crate::auth::Principal>().cloned().unwrap_or_else(crate::auth::Principal::seed_user);
    let ctx = Ctx {
        emu,
        method: parts.method,
        base,
        path: parts.uri.path().to_owned(),
        api_version: String::new(),
        query,
        body,
        caller,
    };
    dispatch(ctx).unwrap_or_else(IntoResponse::into_response)
}

/// `YYYY-MM-DD` or `YYYY-MM-DD-preview` (arm-facts §1: accept any such value).
fn valid_api_version(v: &str) -> bool {
    let date = v.strip_suffix("-preview").unwrap_or(v);
    let b = date.as_bytes();
    b.len() == 10 && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
}

fn dispatch(mut ctx: Ctx) -> ArmResult<Response> {
    let version = ctx.query_param("api-version").map(str::to_owned).ok_or_else(ArmError::missing_api_version)?;
    if !valid_api_version(&version) {
        return Err(ArmError::invalid_api_version(&version));
    }
    ctx.api_version = version;
    let route = route::parse(&ctx.path)?;
    let m = ctx.method.clone();
    match (route, m) {
        (Route::Subscriptions, Method::GET) => subscriptions::list(&ctx),
        (Route::Subscription { sub }, Method::GET) => subscriptions::get(&ctx, &sub),
        (Route::Locations { sub }, Method::GET) => locations::list(&ctx, &sub),
        (Route::Resources { sub }, Method::GET) => resources::list(&ctx, &sub),
        (Route::ResourceGroups { sub }, Method::GET) => resource_groups::list(&ctx, &sub),
        (Route::ResourceGroup { sub, rg }, Method::GET) => resource_groups::get(&ctx, &sub, &rg),
        (Route::ResourceGroup { sub, rg }, Method::PUT) => resource_groups::put(&ctx, &sub, &rg),
        (Route::ResourceGroup { sub, rg }, Method::HEAD) => resource_groups::head(&ctx, &sub, &rg),
        (Route::ResourceGroup { sub, rg }, Method::DELETE) => resource_groups::delete(&ctx, &sub, &rg),
        (Route::RegistriesBySubscription { sub }, Method::GET) => registries::list(&ctx, &sub, None),
        (Route::RegistriesByGroup { sub, rg }, Method::GET) => registries::list(&ctx, &sub, Some(&rg)),
        (Route::Registry { sub, rg, reg }, Method::GET) => registries::get(&ctx, &sub, &rg, &reg),
        (Route::Registry { sub, rg, reg }, Method::PUT) => registry_write::put(&ctx, &sub, &rg, &reg),
        (Route::Registry { sub, rg, reg }, Method::PATCH) => registry_write::patch(&ctx, &sub, &rg, &reg),
        (Route::Registry { sub, rg, reg }, Method::DELETE) => registries::delete(&ctx, &sub, &rg, &reg),
        (Route::Replications { sub, rg, reg }, Method::GET) => replications::list(&ctx, &sub, &rg, &reg),
        (Route::Replication { sub, rg, reg, rep }, Method::GET) => replications::get(&ctx, &sub, &rg, &reg, &rep),
        (Route::Replication { sub, rg, reg, rep }, Method::PUT) => replication_write::put(&ctx, &sub, &rg, &reg, &rep),
        (Route::Replication { sub, rg, reg, rep }, Method::PATCH) => {
            replication_write::patch(&ctx, &sub, &rg, &reg, &rep)
        }
        (Route::Replication { sub, rg, reg, rep }, Method::DELETE) => replications::delete(&ctx, &sub, &rg, &reg, &rep),
        (Route::OperationStatus { op }, Method::GET) => operations::status(&ctx, &op),
        (Route::OperationResult { op }, Method::GET) => operations::result(&ctx, &op),
        (Route::ResourceGraph, Method::POST) => Ok(resource_graph::query(&ctx)),
        (Route::RoleAssignments { sub }, Method::GET) => workloads::role_assignments(&ctx, &sub),
        (Route::Workload { path }, Method::GET) => workloads::get(&ctx, &path),
        (_, m) => Err(ArmError::method_not_allowed(m.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::valid_api_version;

    #[test]
    fn api_version_format() {
        for ok in ["2025-04-01", "2026-09-01-preview", "2022-12-01"] {
            assert!(valid_api_version(ok), "{ok}");
        }
        for bad in ["", "2025-4-01", "latest", "2025-04-01-beta", "2025/04/01"] {
            assert!(!valid_api_version(bad), "{bad}");
        }
    }
}
