//! Per-request context for ARM handlers (base URL, api-version, query, body)
//! and the response shapes ARM uses: JSON, 201 + Azure-AsyncOperation,
//! 202 + Location, empty 200/204.

use axum::body::{Body, Bytes};
use axum::http::{Extensions, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::emulator::Emulator;
use crate::error::{ArmError, ArmResult};

pub(crate) struct Ctx {
    pub emu: Emulator,
    pub method: Method,
    /// `http://host:port` as the client addressed us; used in every URL we emit.
    pub base: String,
    pub path: String,
    pub api_version: String,
    pub query: Vec<(String, String)>,
    pub body: Bytes,
    /// Who is asking (from the bearer token), for `systemData`.
    pub caller: crate::auth::Principal,
}

/// Request extension set by the HTTPS listener, so URLs we emit say `https`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServedOverTls;

/// The URL prefix the client used. Taken from `Host` (and `X-Forwarded-Proto`)
/// so `Azure-AsyncOperation`, `Location` and `nextLink` work behind any address.
pub(crate) fn base_url(headers: &HeaderMap, extensions: &Extensions) -> String {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let own = if extensions.get::<ServedOverTls>().is_some() { "https" } else { "http" };
    let scheme = get("x-forwarded-proto").unwrap_or(own);
    let host = get("x-forwarded-host").or_else(|| get("host")).unwrap_or("localhost");
    format!("{scheme}://{host}")
}

impl Ctx {
    /// A query parameter by name; ARM treats names case-insensitively.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Absolute URL on the emulator for `path`, carrying the caller's api-version.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}?api-version={}", self.base, path, self.api_version)
    }

    /// The JSON object body. An empty body counts as `{}` so the handler can
    /// report the missing field (e.g. `LocationRequired`) like ARM does.
    pub fn json_body(&self) -> ArmResult<Map<String, Value>> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Map::new());
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(ArmError::invalid_content("the body must be a JSON object")),
            Err(e) => Err(ArmError::invalid_content(e)),
        }
    }

    pub fn retry_after(&self) -> u64 {
        self.emu.timings().retry_after_secs
    }
}

pub(crate) fn json(status: StatusCode, body: &Value) -> Response {
    (status, axum::Json(body)).into_response()
}

pub(crate) fn ok(body: &Value) -> Response {
    json(StatusCode::OK, body)
}

pub(crate) fn empty(status: StatusCode) -> Response {
    (status, Body::empty()).into_response()
}

fn header(url: &str) -> HeaderValue {
    HeaderValue::from_str(url).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// 201 (or 200) with the resource, `Azure-AsyncOperation` and `Retry-After`.
pub(crate) fn with_async_operation(status: StatusCode, body: &Value, async_url: &str, retry: u64) -> Response {
    let mut resp = json(status, body);
    resp.headers_mut().insert("azure-asyncoperation", header(async_url));
    resp.headers_mut().insert("retry-after", HeaderValue::from(retry));
    resp
}

/// 202 with an empty body, `Location` and `Retry-After` (delete LRO).
pub(crate) fn accepted(location_url: &str, retry: u64) -> Response {
    let mut resp = empty(StatusCode::ACCEPTED);
    resp.headers_mut().insert("location", header(location_url));
    resp.headers_mut().insert("retry-after", HeaderValue::from(retry));
    resp
}
