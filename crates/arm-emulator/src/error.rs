//! ARM's error envelope `{"error":{"code","message"}}` and the constructors for
//! the errors the emulator answers with (messages follow arm-facts.md §6).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::assumptions as a;

/// An ARM error response. Every non-2xx the emulator sends is one of these.
#[derive(Debug, Clone)]
pub(crate) struct ArmError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// Seconds for a `Retry-After` header (throttling).
    pub retry_after: Option<u64>,
    /// The `WWW-Authenticate` challenge of a 401 (`auth.rs`).
    pub www_authenticate: Option<String>,
    /// `error.details[]` as `(code, message)`: Resource Graph puts the precise
    /// reason there under a generic top-level code.
    pub details: Vec<(String, String)>,
}

pub(crate) type ArmResult<T> = Result<T, ArmError>;

impl ArmError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            retry_after: None,
            www_authenticate: None,
            details: Vec::new(),
        }
    }

    pub fn with_detail(mut self, code: &str, message: impl Into<String>) -> Self {
        self.details.push((code.to_owned(), message.into()));
        self
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn missing_api_version() -> Self {
        Self::bad_request(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    }

    pub fn invalid_api_version(v: &str) -> Self {
        Self::bad_request(
            "InvalidApiVersionParameter",
            format!("The api-version '{v}' is invalid. The supported versions are '{}'.", a::API_SUPPORTED_VERSIONS),
        )
    }

    pub fn subscription_not_found(sub: &str) -> Self {
        Self::not_found("SubscriptionNotFound", format!("The subscription '{sub}' could not be found."))
    }

    pub fn resource_group_not_found(rg: &str) -> Self {
        Self::not_found("ResourceGroupNotFound", format!("Resource group '{rg}' could not be found."))
    }

    /// `type_and_name` is e.g. `Microsoft.ContainerRegistry/registries/myreg`.
    pub fn resource_not_found(type_and_name: &str, rg: &str) -> Self {
        Self::not_found(
            "ResourceNotFound",
            format!(
                "The Resource '{type_and_name}' under resource group '{rg}' was not found. \
                 For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            ),
        )
    }

    pub fn parent_not_found(parent: &str) -> Self {
        Self::not_found(
            "ParentResourceNotFound",
            format!("Can not perform requested operation on nested resource. Parent resource '{parent}' not found."),
        )
    }

    pub fn invalid_content(detail: impl std::fmt::Display) -> Self {
        Self::bad_request(
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{detail}'."),
        )
    }

    pub fn location_required() -> Self {
        Self::bad_request("LocationRequired", "The location property is required for this definition.")
    }

    pub fn operation_in_progress(name: &str) -> Self {
        Self::conflict(
            a::OPERATION_IN_PROGRESS_CODE,
            format!("An operation on resource '{name}' is already in progress. Retry once it completes."),
        )
    }

    pub fn method_not_allowed(method: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("The requested resource does not support http method '{method}'."),
        )
    }
}

impl IntoResponse for ArmError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": { "code": self.code, "message": self.message } });
        if !self.details.is_empty() {
            let details: Vec<_> = self.details.iter().map(|(c, m)| json!({ "code": c, "message": m })).collect();
            body["error"]["details"] = details.into();
        }
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut().insert("retry-after", HeaderValue::from(secs));
        }
        if let Some(challenge) = self.www_authenticate.and_then(|c| HeaderValue::from_str(&c).ok()) {
            resp.headers_mut().insert("www-authenticate", challenge);
        }
        resp
    }
}
