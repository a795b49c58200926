//! `POST /auth/logout` and `GET /auth/signed-out`: the session ended here, then (for a person
//! signed in here) at the provider.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use replimap_types::AuditAction;
use serde::Deserialize;

use super::{pages, SIGNED_OUT_PATH};
use crate::audit::record_decision;
use crate::auth::identity::Source;
use crate::auth::session;
use crate::caller::Caller;
use crate::state::AppState;

/// `POST /auth/logout`: ends the caller's session and clears the cookie, then lands on
/// `/auth/signed-out`, which goes on to the provider's sign-out for a person signed in here.
/// (A 303 straight to the provider would be blocked: CSP `form-action 'self'` covers the
/// redirects after a form post.)
pub(super) async fn logout(State(state): State<AppState>, caller: Option<Extension<Caller>>) -> Response {
    let person =
        caller.as_ref().is_some_and(|Extension(c)| c.session.is_some() && c.identity.source == Source::Session);
    let ended = match &caller {
        Some(Extension(c)) => session::end(&state, c).await,
        None => Ok(()),
    };
    let provider = person && state.auth.oidc.as_ref().is_some_and(|o| o.end_session_url().is_some());
    let mut resp = match ended {
        Ok(()) => {
            if let Some(Extension(c)) = caller.as_ref().filter(|Extension(c)| c.session.is_some()) {
                tracing::info!(actor = %c.identity.actor, source = %c.identity.source.kind(), "signed out");
                // Best effort: nobody is kept signed in because the trail cannot record it.
                if let Err(e) = record_decision(&state, c, AuditAction::SignOut, serde_json::json!({}), Ok(())).await {
                    tracing::warn!(error = %e, "could not record a sign-out");
                }
            }
            Redirect::to(if provider { "/auth/signed-out?provider=1" } else { SIGNED_OUT_PATH }).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "could not end a session at sign-out; the cookie is cleared anyway");
            pages::page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-out did not complete",
                "<p>This browser no longer holds your session, but the portal could not end it on the server (its \
                 store is unavailable). It ends by itself when idle.</p><p><a href=\"/\">Back to replimap</a></p>",
                None,
            )
        }
    };
    resp.headers_mut().append(header::SET_COOKIE, session::clear_cookie(&state));
    resp
}

#[derive(Debug, Deserialize)]
pub(super) struct SignedOutQuery {
    provider: Option<String>,
}

/// `GET /auth/signed-out`: "you are signed out"; with `?provider=1` (from sign-out) it goes on
/// to the provider's own sign-out, which sends the browser back here.
pub(super) async fn signed_out(State(state): State<AppState>, Query(q): Query<SignedOutQuery>) -> Response {
    let end_session = state.auth.oidc.as_ref().and_then(|o| o.end_session_url());
    let again = if state.auth.oidc.is_some() {
        pages::try_again_link("/")
    } else {
        "<p><a href=\"/\">Back to replimap</a></p>".into()
    };
    match (q.provider.is_some(), end_session) {
        (true, Some(to)) => {
            let body = format!(
                "<p id=\"signed-out\">You are signed out of replimap. Signing you out at your identity provider too…</p>\
                 <p><a id=\"provider-sign-out\" href=\"{}\">Continue to the identity provider</a></p>",
                pages::escape(to.as_str())
            );
            pages::page(StatusCode::OK, "Signing out", &body, Some(to.as_str()))
        }
        _ => pages::page(
            StatusCode::OK,
            "Signed out",
            &format!("<p id=\"signed-out\">You are signed out of replimap.</p>{again}"),
            None,
        ),
    }
}
