//! Cross-cutting layers: request ids, the error envelope, CSRF protection.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use replimap_types::{ApiError, ErrorCode};

use crate::error::AppError;

pub use replimap_types::CSRF_HEADER;

/// Request id header, set by tower-http's `SetRequestIdLayer`.
pub const REQUEST_ID: &str = "x-request-id";

/// The `Host` values (host:port) the portal answers to. A DNS-rebinding page reaches the
/// portal under its own name, so checking `Origin` against `Host` alone would let it through;
/// the host must be one the operator expects.
///
/// With `http.public_url` the portal also knows the origin its pages come from, and the CSRF
/// check compares `Origin` with that rather than with the `Host` the request claims.
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    hosts: Vec<String>,
    any: bool,
    /// `https://replimap.example.com` (scheme, host and port as browsers send `Origin`).
    public_origin: Option<String>,
}

impl AllowedHosts {
    /// `extra` may hold `*` (accept any host, e.g. behind a proxy that checks it) or host[:port]
    /// names; `public_url`'s host (with its port, unless the scheme's default) is allowed too.
    pub fn new(listen: std::net::SocketAddr, extra: &[String], public_url: Option<&url::Url>) -> Self {
        let port = listen.port();
        let mut hosts = vec![format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("[::1]:{port}")];
        if !listen.ip().is_unspecified() {
            hosts.push(listen.to_string());
        }
        let any = extra.iter().any(|h| h == "*");
        hosts.extend(extra.iter().filter(|h| *h != "*").map(|h| h.to_ascii_lowercase()));
        if let Some(host) = public_url.and_then(|u| u.host_str()) {
            hosts.push(match public_url.and_then(url::Url::port) {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            });
        }
        Self { hosts, any, public_origin: public_url.map(|u| u.origin().ascii_serialization()) }
    }

    fn allows(&self, host: &str) -> bool {
        self.any || self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }
}

/// Rejects requests for a `Host` the portal does not serve (DNS rebinding), and state-changing
/// `/api/` requests without the CSRF header or from another origin. The probes answer whatever
/// the `Host`: Kubernetes sends the pod's IP, and they return nothing a rebinding page could use.
pub async fn guard(
    axum::extract::State(allowed): axum::extract::State<std::sync::Arc<AllowedHosts>>,
    req: Request,
    next: Next,
) -> Response {
    if crate::routes::is_probe(req.uri().path()) {
        return next.run(req).await;
    }
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !allowed.allows(host) {
        return AppError::new(
            ErrorCode::CsrfRejected,
            format!("Host '{host}' is not one this portal serves; add it to http.allowed_hosts."),
        )
        .into_response();
    }
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe {
        return next.run(req).await;
    }
    // The sign-in forms (/auth/enroll, /auth/logout) cannot send a header, so they are held to
    // the Origin check alone, which browsers apply to every cross-site form post.
    if crate::routes::is_api(req.uri().path()) && req.headers().get(CSRF_HEADER).is_none() {
        return AppError::new(
            ErrorCode::CsrfRejected,
            format!("State-changing requests must carry the '{CSRF_HEADER}' header."),
        )
        .into_response();
    }
    if let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        // Exact match on scheme, host and port; `null` (sandboxed frames, file://) is never ours.
        let ours = match &allowed.public_origin {
            Some(public) => origin.eq_ignore_ascii_case(public),
            None => origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                .is_some_and(|o| o.eq_ignore_ascii_case(host)),
        };
        if !ours {
            return AppError::new(
                ErrorCode::CsrfRejected,
                format!("Requests from origin '{origin}' are not accepted."),
            )
            .into_response();
        }
    }
    next.run(req).await
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

/// Counts every response by status class.
pub async fn count(
    axum::extract::State(counters): axum::extract::State<std::sync::Arc<HttpCounters>>,
    req: Request,
    next: Next,
) -> Response {
    let resp = next.run(req).await;
    counters.record(resp.status().as_u16());
    resp
}

/// Turns an [`ApiError`] extension into the JSON body, with the request id, and logs
/// server-side failures once.
pub async fn envelope(req: Request, next: Next) -> Response {
    let request_id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let mut resp = next.run(req).await;
    let Some(mut err) = resp.extensions_mut().remove::<ApiError>() else { return resp };
    let detail = resp.extensions_mut().remove::<crate::error::ErrorDetail>().map(|d| d.0);
    err.request_id = request_id;
    if resp.status().is_server_error() {
        tracing::error!(http.method = %method, http.path = %path, http.status = resp.status().as_u16(), request_id = err.request_id.as_deref().unwrap_or(""), error = %err.message, detail = detail.as_deref().unwrap_or(""), "request failed");
    } else {
        tracing::info!(http.method = %method, http.path = %path, http.status = resp.status().as_u16(), code = ?err.code, error = %err.message, "request rejected");
    }
    let body = serde_json::to_vec(&err).unwrap_or_default();
    let (mut parts, _) = resp.into_parts();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}
