//! `AppError`: the one way handlers fail, and [`status`]: the one table from error code to
//! HTTP status. Nothing else decides the status of an API error.
//!
//! The response carries the [`ApiError`] envelope as an extension; the `envelope` middleware adds the
//! request id, writes the `{"code", "message", "requestId"}` body and logs server errors once.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use replimap_arm::ArmError;
use replimap_types::{ApiError, ErrorCode};

/// The one table from error code to HTTP status.
///
/// `upstream` is passed on as ARM's own status when ARM answered with a 4xx the user can act on
/// (`arm_status`; not 401/403, which are the portal's credentials); otherwise it is 502.
pub fn status(code: ErrorCode, arm_status: Option<u16>) -> StatusCode {
    use ErrorCode as E;
    match code {
        E::BadRequest | E::InvalidName | E::UnknownRegion | E::RegionNotAvailable | E::HomeRegion => {
            StatusCode::BAD_REQUEST
        }
        E::CsrfRejected | E::Forbidden => StatusCode::FORBIDDEN,
        E::Unauthenticated => StatusCode::UNAUTHORIZED,
        E::RegistryNotFound | E::NotFound => StatusCode::NOT_FOUND,
        E::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        E::AlreadyReplicated | E::NotReplicable | E::HomeReplica | E::IdempotencyKeyInUse => StatusCode::CONFLICT,
        E::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
        E::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        E::Throttled | E::LimitReached => StatusCode::TOO_MANY_REQUESTS,
        E::Internal | E::Unknown => StatusCode::INTERNAL_SERVER_ERROR,
        E::Upstream => arm_status
            .filter(|s| (400..500).contains(s) && *s != 401 && *s != 403)
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::BAD_GATEWAY),
        E::Unavailable | E::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        E::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
    }
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Refused or failed in the portal; [`status`] turns the code into the HTTP status.
    #[error("{message}")]
    Api {
        /// Machine-readable kind.
        code: ErrorCode,
        /// For people.
        message: String,
    },
    /// ARM said no, or could not be reached.
    #[error(transparent)]
    Upstream(#[from] ArmError),
}

/// Longest message an error carries, in bytes. Messages quote what the client sent (a path
/// segment, a Host, a field); capped here, a megabyte sent is never a megabyte echoed back,
/// logged or stored in the audit trail.
pub const MAX_MESSAGE: usize = 1024;

/// `message` cut to [`MAX_MESSAGE`] bytes at a character boundary, ending in `…` when cut.
fn capped(mut message: String) -> String {
    if message.len() > MAX_MESSAGE {
        const MORE: &str = "…";
        let mut end = MAX_MESSAGE - MORE.len();
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push_str(MORE);
    }
    message
}

impl AppError {
    /// An error with this code; the status follows from the code.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Api { code, message: capped(message.into()) }
    }

    /// The envelope's code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Api { code, .. } => *code,
            Self::Upstream(e) => upstream_code(e),
        }
    }

    /// The HTTP status, from the one table.
    pub fn status(&self) -> StatusCode {
        let arm_status = match self {
            Self::Upstream(e) => e.status(),
            Self::Api { .. } => None,
        };
        status(self.code(), arm_status)
    }

    fn message(&self) -> String {
        match self {
            Self::Api { message, .. } => message.clone(),
            // ARM's words for ARM's answers; a generic sentence otherwise (the detail goes to the log).
            Self::Upstream(e) => capped(format!("Azure Resource Manager: {}", e.public_message())),
        }
    }
}

/// What an ARM failure is, for the client.
pub(crate) fn upstream_code(e: &ArmError) -> ErrorCode {
    match e {
        ArmError::Status { status: 429, .. } => ErrorCode::Throttled,
        ArmError::Status { status: 404, .. } => ErrorCode::NotFound,
        ArmError::Transport(_) => ErrorCode::Unavailable,
        ArmError::TimedOut(_) => ErrorCode::UpstreamTimeout,
        _ => ErrorCode::Upstream,
    }
}

/// Server-side detail of a failed request, logged once by the envelope middleware.
#[derive(Debug, Clone)]
pub struct ErrorDetail(pub String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let code = self.code();
        let mut resp = self.status().into_response();
        // Tell well-behaved clients when to come back: ARM's own hint first.
        let retry = match &self {
            Self::Upstream(e) => e.retry_after().map(|d| d.as_secs().max(1)),
            Self::Api { .. } => None,
        };
        let retry = retry.or(matches!(code, ErrorCode::Unavailable | ErrorCode::StoreUnavailable).then_some(5));
        if let Some(secs) = retry {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Self::Upstream(e) = &self {
            resp.extensions_mut().insert(ErrorDetail(e.to_string()));
        }
        resp.extensions_mut().insert(ApiError { code, message: self.message(), request_id: None });
        resp
    }
}

/// Shorthand for handler results.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code the portal can send (all but `unknown`, which exists only for parsing).
    fn all() -> Vec<ErrorCode> {
        use ErrorCode as E;
        // Fails to compile when a code is added without being listed here.
        let listed = |c: E| match c {
            E::BadRequest
            | E::InvalidName
            | E::UnknownRegion
            | E::RegionNotAvailable
            | E::HomeRegion
            | E::AlreadyReplicated
            | E::RegistryNotFound
            | E::NotFound
            | E::MethodNotAllowed
            | E::NotReplicable
            | E::HomeReplica
            | E::CsrfRejected
            | E::Unauthenticated
            | E::Forbidden
            | E::Upstream
            | E::Throttled
            | E::Unavailable
            | E::UpstreamTimeout
            | E::StoreUnavailable
            | E::IdempotencyKeyReused
            | E::IdempotencyKeyInUse
            | E::PayloadTooLarge
            | E::LimitReached
            | E::Internal
            | E::Unknown => c,
        };
        let shared = [
            E::BadRequest,
            E::InvalidName,
            E::UnknownRegion,
            E::RegionNotAvailable,
            E::HomeRegion,
            E::AlreadyReplicated,
            E::RegistryNotFound,
            E::NotFound,
            E::MethodNotAllowed,
            E::NotReplicable,
            E::HomeReplica,
            E::CsrfRejected,
            E::Unauthenticated,
            E::Forbidden,
            E::Upstream,
            E::Throttled,
            E::Unavailable,
            E::UpstreamTimeout,
            E::StoreUnavailable,
            E::IdempotencyKeyReused,
            E::IdempotencyKeyInUse,
            E::PayloadTooLarge,
            E::LimitReached,
            E::Internal,
        ];
        shared.into_iter().map(listed).collect()
    }

    fn wire(code: ErrorCode) -> String {
        serde_json::to_value(code).unwrap().as_str().unwrap().to_owned()
    }

    #[test]
    fn each_code_has_one_status() {
        let cases = [
            ("bad_request", 400),
            ("invalid_name", 400),
            ("unknown_region", 400),
            ("region_not_available", 400),
            ("home_region", 400),
            ("csrf_rejected", 403),
            ("registry_not_found", 404),
            ("not_found", 404),
            ("method_not_allowed", 405),
            ("already_replicated", 409),
            ("not_replicable", 409),
            ("home_replica", 409),
            ("idempotency_key_in_use", 409),
            ("idempotency_key_reused", 422),
            ("unauthenticated", 401),
            ("forbidden", 403),
            ("payload_too_large", 413),
            ("throttled", 429),
            ("limit_reached", 429),
            ("internal", 500),
            ("upstream", 502),
            ("unavailable", 503),
            ("store_unavailable", 503),
            ("upstream_timeout", 504),
        ];
        let codes = all();
        assert_eq!(codes.len(), cases.len());
        for code in codes {
            let want = cases.iter().find(|(w, _)| *w == wire(code)).map(|c| c.1);
            assert_eq!(Some(status(code, None).as_u16()), want, "{code:?}");
        }
    }

    #[test]
    fn messages_are_capped_at_a_character_boundary() {
        let short = AppError::new(ErrorCode::BadRequest, "fine");
        assert_eq!(short.message(), "fine");
        let long = AppError::new(ErrorCode::NotFound, format!("No route /{}", "é".repeat(1_000_000)));
        let m = long.message();
        assert!(m.len() <= MAX_MESSAGE && m.ends_with('…') && m.starts_with("No route /é"), "{}", m.len());
        let arm = AppError::from(ArmError::Status {
            status: 400,
            code: "X".into(),
            message: "x".repeat(100_000),
            request_id: None,
            retry_after: None,
        });
        assert!(arm.message().len() <= MAX_MESSAGE);
    }

    #[test]
    fn arm_answers_map_through_the_same_table() {
        let arm = |status: u16| ArmError::Status {
            status,
            code: "X".into(),
            message: "m".into(),
            request_id: None,
            retry_after: None,
        };
        let seen = |e: ArmError| {
            let e = AppError::from(e);
            (wire(e.code()), e.status().as_u16())
        };
        assert_eq!(seen(arm(429)), ("throttled".into(), 429));
        assert_eq!(seen(arm(404)), ("not_found".into(), 404));
        assert_eq!(seen(arm(409)), ("upstream".into(), 409), "ARM's 4xx are passed on");
        assert_eq!(seen(arm(400)), ("upstream".into(), 400));
        assert_eq!(seen(arm(403)), ("upstream".into(), 502), "the portal's credentials are not the user's fault");
        assert_eq!(seen(arm(500)), ("upstream".into(), 502));
        assert_eq!(seen(ArmError::Transport("refused".into())), ("unavailable".into(), 503));
        assert_eq!(seen(ArmError::TimedOut(std::time::Duration::from_secs(1))), ("upstream_timeout".into(), 504));
    }

    #[test]
    fn every_code_round_trips_through_the_envelope() {
        for code in all() {
            let env = ApiError { code, message: "m".into(), request_id: Some("r".into()) };
            let parsed: ApiError = serde_json::from_value(serde_json::to_value(&env).unwrap()).unwrap();
            assert_eq!(parsed, env);
        }
    }

    #[test]
    fn the_openapi_document_lists_every_code() {
        let doc: serde_json::Value = serde_json::from_str(include_str!("../api/openapi.json")).unwrap();
        let mut documented: Vec<String> = doc["components"]["schemas"]["ApiError"]["properties"]["code"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        let mut sent: Vec<String> = all().into_iter().map(wire).collect();
        documented.sort();
        sent.sort();
        assert_eq!(documented, sent);
    }
}
