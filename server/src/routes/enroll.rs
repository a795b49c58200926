//! `POST /auth/enroll`: a wall screen trades a read-only API token for a device session.
//!
//! The token travels once, in a form body (never a URL, which proxies and browsers log); the
//! screen keeps only an HttpOnly cookie that lives as long as the token and dies with it.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use replimap_types::{AuditAction, ErrorCode, Role};
use serde_json::json;

use crate::audit::record_decision;
use crate::auth::identity::Identity;
use crate::auth::oidc::login::safe_return_to;
use crate::auth::oidc::pages;
use crate::auth::{rbac, session, tokens};
use crate::caller::Caller;
use crate::error::AppError;
use crate::middleware::REQUEST_ID;
use crate::state::AppState;

/// The form's fields (or the JSON body's).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Form {
    token: String,
    #[serde(default, alias = "return_to")]
    return_to: Option<String>,
}

/// `POST /auth/enroll`.
pub async fn enroll(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    let (parts, body) = req.into_parts();
    let connect = parts.extensions.get::<ConnectInfo<SocketAddr>>().cloned();
    let headers: HeaderMap = parts.headers;
    // The edge's body limit has bounded it already; a form with a token is a few hundred bytes.
    let Ok(body) = axum::body::to_bytes(body, 16 * 1024).await else {
        return refuse(false, &AppError::new(ErrorCode::BadRequest, "The form is too large or was cut off."));
    };
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let form: Option<Form> = if json { serde_json::from_slice(&body).ok() } else { serde_urlencoded_form(&body) };
    let Some(form) = form else {
        return refuse(json, &AppError::new(ErrorCode::BadRequest, "Send the API token in the 'token' field."));
    };
    let row = match tokens::verify(&state, &form.token).await {
        Ok(row) => row,
        Err(e) => {
            state.auth.counters.credentials_refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return refuse(json, &e);
        }
    };
    let role = tokens::role(&row);
    let caller = Caller {
        identity: std::sync::Arc::new(Identity::token(&row.id, &row.name, true)),
        grants: std::sync::Arc::new(rbac::token_grants(role, &row.registries)),
        session: None,
        client_ip: connect.map_or_else(|| "unknown".into(), |ConnectInfo(a)| a.ip().to_string()),
        request_id: headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned(),
    };
    let request = json!({ "tokenId": row.id, "tokenName": row.name });
    // A screen on a wall is seen by passers-by and rarely locked: it gets read access only.
    if role != Role::Viewer {
        let e = AppError::new(
            ErrorCode::Forbidden,
            format!(
                "Only viewer tokens can enroll a screen; '{}' is an {role} token. Create a viewer token for it.",
                row.name
            ),
        );
        let _ = record_decision(&state, &caller, AuditAction::EnrollDevice, request, Err(&e)).await;
        return refuse(json, &e);
    }
    if let Err(e) = record_decision(&state, &caller, AuditAction::EnrollDevice, request, Ok(())).await {
        return refuse(json, &e);
    }
    let cookie =
        match session::create_until(&state, &caller.identity, None, Some(&row.id), Some(row.expires_at_ms)).await {
            Ok(c) => c,
            Err(e) => return refuse(json, &e),
        };
    tracing::info!(token = %row.id, "screen enrolled");
    if json {
        return (StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response();
    }
    // A screen goes to the kiosk unless told otherwise; where it is told, only to a path here.
    let to = match form.return_to.as_deref() {
        Some(r) => safe_return_to(Some(r)),
        None => "/?kiosk=1".into(),
    };
    (
        StatusCode::SEE_OTHER,
        [(header::SET_COOKIE, cookie), (header::LOCATION, to.parse().unwrap_or(header::HeaderValue::from_static("/")))],
    )
        .into_response()
}

fn serde_urlencoded_form(body: &[u8]) -> Option<Form> {
    let mut token = None;
    let mut return_to = None;
    for (k, v) in url::form_urlencoded::parse(body) {
        match &*k {
            "token" => token = Some(v.into_owned()),
            "return_to" => return_to = Some(v.into_owned()),
            _ => {}
        }
    }
    Some(Form { token: token.filter(|t| !t.trim().is_empty())?, return_to })
}

/// The refusal: the JSON envelope for API clients, a readable page for the form.
fn refuse(json: bool, e: &AppError) -> Response {
    if json {
        return AppError::new(e.code(), e.to_string()).into_response();
    }
    let body =
        format!("<p id=\"enroll-error\">{}</p><p><a href=\"/enroll\">Try again</a></p>", pages::escape(&e.to_string()));
    pages::page(e.status(), "This screen was not enrolled.", &body, None)
}
