//! `AppError`: the one way handlers fail. Becomes the `ApiError` envelope.
//!
//! The response carries the `ApiError` as an extension; the `envelope` middleware
//! adds the request id, writes the body and logs server errors once.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use replimap_arm::ArmError;
use replimap_types::{ApiError, ErrorCode};

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The client sent something wrong; `code` says what.
    #[error("{message}")]
    BadRequest {
        /// Machine-readable kind.
        code: ErrorCode,
        /// For people.
        message: String,
    },
    /// The request conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// Machine-readable kind.
        code: ErrorCode,
        /// For people.
        message: String,
    },
    /// Not found; `code` tells registry from replication.
    #[error("{message}")]
    NotFound {
        /// Machine-readable kind.
        code: ErrorCode,
        /// For people.
        message: String,
    },
    /// A state-changing request without the CSRF header, or from another origin.
    #[error("{0}")]
    Csrf(String),
    /// ARM said no, or could not be reached.
    #[error(transparent)]
    Upstream(#[from] ArmError),
    /// The portal is not ready (e.g. no registry list yet).
    #[error("{0}")]
    Unavailable(String),
}

impl AppError {
    /// 400 with a code.
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::BadRequest { code, message: message.into() }
    }

    /// 409 with a code.
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }

    /// 404 with a code.
    pub fn not_found(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::NotFound { code, message: message.into() }
    }

    fn parts(&self) -> (StatusCode, ErrorCode, String) {
        match self {
            Self::BadRequest { code, message } => (StatusCode::BAD_REQUEST, *code, message.clone()),
            Self::Conflict { code, message } => (StatusCode::CONFLICT, *code, message.clone()),
            Self::NotFound { code, message } => (StatusCode::NOT_FOUND, *code, message.clone()),
            Self::Csrf(m) => (StatusCode::FORBIDDEN, ErrorCode::CsrfRejected, m.clone()),
            Self::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable, m.clone()),
            Self::Upstream(e) => upstream_parts(e),
        }
    }
}

/// ARM's 4xx are the user's to fix, so its words are passed on; anything else is a gateway
/// problem, answered with a generic sentence (the detail goes to the log only).
fn upstream_parts(e: &ArmError) -> (StatusCode, ErrorCode, String) {
    let msg = format!("Azure Resource Manager: {}", e.public_message());
    match e {
        ArmError::Status { status: 429, .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::Throttled, msg),
        ArmError::Status { status: 404, .. } => (StatusCode::NOT_FOUND, ErrorCode::NotFound, msg),
        ArmError::Status { status, .. } if (400..500).contains(status) && *status != 401 && *status != 403 => {
            let code = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST);
            (code, ErrorCode::Upstream, msg)
        }
        ArmError::Transport(_) => (StatusCode::BAD_GATEWAY, ErrorCode::Unavailable, msg),
        _ => (StatusCode::BAD_GATEWAY, ErrorCode::Upstream, msg),
    }
}

/// Server-side detail of a failed request, logged once by the envelope middleware.
#[derive(Debug, Clone)]
pub struct ErrorDetail(pub String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        let mut resp = status.into_response();
        // Tell well-behaved clients when to come back.
        let retry = match &self {
            Self::Upstream(e) => e.retry_after().map(|d| d.as_secs().max(1)),
            Self::Unavailable(_) => Some(5),
            _ => None,
        };
        if let Some(secs) = retry {
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
        }
        if let Self::Upstream(e) = &self {
            resp.extensions_mut().insert(ErrorDetail(e.to_string()));
        }
        resp.extensions_mut().insert(ApiError { code, message, request_id: None });
        resp
    }
}

/// Shorthand for handler results.
pub type AppResult<T> = Result<T, AppError>;
