//! Middleware around every ARM request (not `/_emulator/`, not the identity
//! endpoints): checks the bearer token (`auth.rs`), applies injected faults,
//! adds the headers real ARM sends (arm-facts §4), and counts the request for
//! `GET /_emulator/requests`.

use axum::extract::{Request, State};
use std::time::Instant;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::assumptions as a;
use crate::emulator::Emulator;
use crate::error::ArmError;
use crate::faults::RequestFault;
use crate::requests::RequestRecord;
use crate::throttle::{Kind, Verdict};

pub(crate) const ADMIN_PREFIX: &str = "/_emulator";

pub(crate) async fn arm_envelope(State(emu): State<Emulator>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with(ADMIN_PREFIX) || crate::identity::route(path).is_some() || crate::retail::is_retail(path) {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let path_and_query = req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let correlation = header_or_new(req.headers(), "x-ms-correlation-request-id");
    let client_request_id = req.headers().get("x-ms-client-request-id").cloned();

    let mut remaining = None;
    let mut resp = match authenticate(&emu, &req) {
        Err(e) => e.into_response(),
        Ok(principal) => {
            // For the handlers' `systemData` (`dispatch.rs` puts it in the `Ctx`).
            req.extensions_mut().insert(principal);
            faulted_or_served(&emu, req, next, &mut remaining).await
        }
    };

    add_arm_headers(resp.headers_mut(), &method, correlation, client_request_id);
    if let Some(left) = remaining {
        resp.headers_mut().insert(remaining_header(&method), HeaderValue::from(left));
    }
    emu.record_request(RequestRecord {
        method: method.as_str().to_owned(),
        path: path_and_query,
        status: resp.status().as_u16(),
    });
    resp
}

/// ARM authenticates before anything else happens to a request (faults and
/// throttling included): a refused request costs no quota. Names the caller.
fn authenticate(emu: &Emulator, req: &Request) -> Result<crate::auth::Principal, ArmError> {
    crate::auth::check(req.headers(), emu.key(), time::OffsetDateTime::now_utc()).map_err(|refusal| {
        emu.record_auth_refused();
        let login = format!("{}/", crate::ctx::base_url(req.headers(), req.extensions()));
        refusal.into_error(&login)
    })
}

/// Injected faults first, then throttling, then the handler. `remaining` gets
/// the bucket's count when throttling is on.
async fn faulted_or_served(emu: &Emulator, req: Request, next: Next, remaining: &mut Option<u32>) -> Response {
    let method = req.method().clone();
    // The lock is released before sleeping: faults must not serialise requests.
    let fault = emu.faults_mut().for_request(method.as_str(), req.uri().path());
    match fault {
        Some(RequestFault { delay, error: Some(e) }) => {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            e.into_response()
        }
        other => {
            if let Some(d) = other.and_then(|f| f.delay) {
                tokio::time::sleep(d).await;
            }
            // Resource Graph has its own per-user quota (`graph_quota.rs`), not ARM's buckets.
            let throttled = if crate::requests::is_resource_graph(req.uri().path()) {
                Ok(None)
            } else {
                throttle(emu, &method, req.uri().path(), req.headers())
            };
            match throttled {
                Err(e) => e.into_response(),
                Ok(left) => {
                    *remaining = left;
                    next.run(req).await
                }
            }
        }
    }
}

/// The subscription a path belongs to; tenant-level paths (`/subscriptions`)
/// share one bucket.
fn subscription_of(path: &str) -> &str {
    path.split('/').skip_while(|s| !s.eq_ignore_ascii_case("subscriptions")).nth(1).unwrap_or("-")
}

/// Takes a token from the subscription's bucket: `Ok(Some(left))` when
/// throttling is on, `Ok(None)` when off, the 429 when the bucket is empty.
fn throttle(emu: &Emulator, method: &Method, path: &str, headers: &HeaderMap) -> Result<Option<u32>, ArmError> {
    let sub = subscription_of(path);
    let kind = Kind::of(method.as_str());
    match emu.throttler().take(sub, kind, Instant::now()) {
        None => Ok(None),
        Some(Verdict::Allowed(left)) => Ok(Some(left)),
        Some(Verdict::Throttled(secs)) => {
            let actor = crate::identity::caller(headers).unwrap_or_else(|| a::DEFAULT_ACTOR.to_owned());
            let mut err = ArmError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "SubscriptionRequestsThrottled",
                format!(
                    "Number of '{}' requests for subscription '{sub}' actor '{actor}' exceeded. \
                     Please try again after '{secs}' seconds after additional tokens are available. \
                     Refer to https://aka.ms/arm-throttling for additional information.",
                    kind.word()
                ),
            );
            err.retry_after = Some(secs);
            Err(err)
        }
    }
}

fn remaining_header(method: &Method) -> &'static str {
    match *method {
        Method::GET | Method::HEAD => "x-ms-ratelimit-remaining-subscription-reads",
        Method::DELETE => "x-ms-ratelimit-remaining-subscription-deletes",
        _ => "x-ms-ratelimit-remaining-subscription-writes",
    }
}

fn header_or_new(headers: &HeaderMap, name: &str) -> HeaderValue {
    headers.get(name).cloned().unwrap_or_else(new_id)
}

fn new_id() -> HeaderValue {
    HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

fn add_arm_headers(h: &mut HeaderMap, method: &Method, correlation: HeaderValue, client_id: Option<HeaderValue>) {
    let request_id = new_id();
    h.insert("content-type", HeaderValue::from_static("application/json; charset=utf-8"));
    h.insert("cache-control", HeaderValue::from_static("no-cache"));
    h.insert("pragma", HeaderValue::from_static("no-cache"));
    h.insert("expires", HeaderValue::from_static("-1"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("api-supported-versions", HeaderValue::from_static(a::API_SUPPORTED_VERSIONS));
    if let Ok(routing) = HeaderValue::from_str(&format!("EMULATOR:{}", request_id.to_str().unwrap_or_default())) {
        h.insert("x-ms-routing-request-id", routing);
    }
    h.insert("x-ms-request-id", request_id);
    h.insert("x-ms-correlation-request-id", correlation);
    if let Some(id) = client_id {
        h.insert("x-ms-client-request-id", id);
    }
    // Remaining-quota counters; values as in the recording (clients ignore them).
    let (local, global, local_v, global_v) = match *method {
        Method::GET | Method::HEAD => (
            "x-ms-ratelimit-remaining-subscription-reads",
            "x-ms-ratelimit-remaining-subscription-global-reads",
            "11999",
            "16499",
        ),
        Method::DELETE => (
            "x-ms-ratelimit-remaining-subscription-deletes",
            "x-ms-ratelimit-remaining-subscription-global-deletes",
            "799",
            "11999",
        ),
        _ => (
            "x-ms-ratelimit-remaining-subscription-writes",
            "x-ms-ratelimit-remaining-subscription-global-writes",
            "799",
            "11999",
        ),
    };
    h.insert(local, HeaderValue::from_static(local_v));
    h.insert(global, HeaderValue::from_static(global_v));
}
