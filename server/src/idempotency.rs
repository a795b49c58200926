//! `Idempotency-Key` on writes (IETF httpapi "The Idempotency-Key HTTP Header Field" draft):
//! the same key with the same request answers the first answer again, without a second ARM
//! call; the same key with another request is a 422; while the first is still being
//! processed, a 409. Keys are kept a day, per caller, in the store, so a retry after a
//! restart or on another instance sharing the database is still recognised.
//!
//! A first request that ends in a 5xx (ARM unreachable, the store down) gave the client
//! nothing to keep, so its key is released and a retry is sent again.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use replimap_store::{Claim, StoredResponse};
use replimap_types::{ApiError, ErrorCode};
use sha2::{Digest, Sha256};

use crate::audit::now_ms;
use crate::caller::Caller;
use crate::error::AppError;
use crate::state::AppState;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// Set on a replayed answer.
const REPLAYED: &str = "idempotent-replayed";
/// How long a key is remembered.
const KEEP: Duration = Duration::from_secs(24 * 3600);
/// Longest key accepted (the draft leaves it to the server; UUIDs are 36).
const MAX_KEY: usize = 255;
/// Write bodies are small; a larger one is refused before it is buffered.
const MAX_BODY: usize = 256 * 1024;
/// Response headers worth replaying (the rest belong to the first exchange).
const KEPT_HEADERS: [&str; 4] = ["content-type", "location", "operation-id", "x-request-id"];

/// The middleware, on the write routes.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER).cloned() else {
        return next.run(req).await;
    };
    let key = match check_key(&key) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    let (mut parts, body) = req.into_parts();
    let caller = match Caller::from_request_parts(&mut parts, &state).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return AppError::new(
                ErrorCode::BadRequest,
                format!("The request body is larger than {} KiB, or was cut off.", MAX_BODY / 1024),
            )
            .into_response()
        }
    };
    let fingerprint = fingerprint(&parts.method, parts.uri.path(), parts.uri.query(), &body);
    // Scoped by caller: one identity's key never answers another's request.
    let scoped = format!("{}\n{}\n{key}", caller.source(), caller.actor());
    let now = now_ms();
    let claim = state.store.idempotency_claim(&scoped, &fingerprint, now, now + KEEP.as_millis() as i64).await;
    match claim {
        Err(e) => {
            state.audit_counters.store_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::error!(error = %e, "idempotency keys cannot be checked; refusing the write");
            AppError::new(
                ErrorCode::StoreUnavailable,
                "The portal cannot check the Idempotency-Key right now, so the write was not sent to Azure; try again in a moment.",
            )
            .into_response()
        }
        Ok(Claim::Mismatch) => AppError::new(
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was used for another request; use a new key for a new request.",
        )
        .into_response(),
        Ok(Claim::InProgress) => {
            let mut resp = AppError::new(
                ErrorCode::IdempotencyKeyInUse,
                "The first request with this Idempotency-Key is still being processed; retry shortly.",
            )
            .into_response();
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, HeaderValue::from(1));
            resp
        }
        Ok(Claim::Done(stored)) => replay(stored),
        Ok(Claim::New) => {
            let resp = next.run(Request::from_parts(parts, Body::from(body))).await;
            remember(&state, &scoped, resp).await
        }
    }
}

fn check_key(v: &HeaderValue) -> Result<String, AppError> {
    let bad = || {
        AppError::new(
            ErrorCode::BadRequest,
            format!("Idempotency-Key must be 1 to {MAX_KEY} visible ASCII characters, e.g. a UUID."),
        )
    };
    let s = v.to_str().map_err(|_| bad())?;
    // The draft makes it a structured-field string: a quoted form is accepted too.
    let s = s.trim().trim_matches('"');
    if s.is_empty() || s.len() > MAX_KEY || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(s.to_owned())
}

/// What makes two requests "the same": method, path, query and body bytes.
fn fingerprint(method: &Method, path: &str, query: Option<&str>, body: &Bytes) -> String {
    let mut h = Sha256::new();
    for part in [method.as_str().as_bytes(), path.as_bytes(), query.unwrap_or("").as_bytes(), body] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    hex::encode(h.finalize())
}

/// Stores the first answer (or releases the key after a 5xx) and returns it.
async fn remember(state: &AppState, scoped: &str, resp: Response) -> Response {
    let (parts, body) = resp.into_parts();
    // Write answers are small. An error's body is written later, by the envelope middleware
    // from the `ApiError` extension, so the envelope is what is kept for it.
    let bytes = match parts.extensions.get::<ApiError>() {
        Some(err) => serde_json::to_vec(err).map(Bytes::from).map_err(|_| ()),
        None => axum::body::to_bytes(body, 1 << 20).await.map_err(|_| ()),
    };
    let Ok(bytes) = bytes else {
        let _ = state.store.idempotency_release(scoped).await;
        return AppError::new(ErrorCode::Internal, "The answer could not be kept for the Idempotency-Key.")
            .into_response();
    };
    let result = if parts.status.is_server_error() {
        state.store.idempotency_release(scoped).await
    } else {
        let stored = StoredResponse {
            status: parts.status.as_u16(),
            headers: kept_headers(&parts.headers),
            body: bytes.to_vec(),
        };
        state.store.idempotency_complete(scoped, &stored).await
    };
    if let Err(e) = result {
        // The write happened; only a retry's replay is at risk, and it would be refused as
        // in progress rather than sent twice.
        tracing::warn!(error = %e, "could not keep the answer for an Idempotency-Key");
    }
    if parts.extensions.get::<ApiError>().is_some() {
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn kept_headers(h: &HeaderMap) -> Vec<(String, String)> {
    KEPT_HEADERS.iter().filter_map(|name| Some(((*name).to_owned(), h.get(*name)?.to_str().ok()?.to_owned()))).collect()
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut resp = match serde_json::from_slice::<ApiError>(&stored.body) {
        // An error answer goes out through the envelope middleware again, with this request's id.
        Ok(err) if status.is_client_error() => {
            let mut r = status.into_response();
            r.extensions_mut().insert(err);
            r
        }
        _ => (status, stored.body).into_response(),
    };
    for (name, value) in stored.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            resp.headers_mut().insert(n, v);
        }
    }
    resp.headers_mut().insert(REPLAYED, HeaderValue::from_static("true"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_covers_method_path_query_and_body() {
        let f = |m: Method, p: &str, q: Option<&str>, b: &'static str| fingerprint(&m, p, q, &Bytes::from(b));
        let base = f(Method::PUT, "/a", None, "{}");
        assert_eq!(base, f(Method::PUT, "/a", None, "{}"));
        assert_ne!(base, f(Method::PATCH, "/a", None, "{}"));
        assert_ne!(base, f(Method::PUT, "/b", None, "{}"));
        assert_ne!(base, f(Method::PUT, "/a", Some("x=1"), "{}"));
        assert_ne!(base, f(Method::PUT, "/a", None, "{ }"));
        // Lengths are part of it: moving bytes between parts changes it.
        assert_ne!(f(Method::PUT, "/ab", None, ""), f(Method::PUT, "/a", None, "b"));
    }

    #[test]
    fn keys_are_checked() {
        let ok = |s: &str| check_key(&HeaderValue::from_str(s).unwrap()).is_ok();
        assert!(ok("8e3c1c7e-0f1a-4a8e-9d4e-1f2a3b4c5d6e"));
        assert!(ok("\"quoted\""));
        assert!(!ok(""));
        assert!(!ok("has space"));
        assert!(!ok(&"x".repeat(256)));
    }
}
