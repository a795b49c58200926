//! `GET /auth/callback`: the provider's answer, taken once, the code exchanged, the ID token
//! verified, the identity built and the session started; every refusal a readable page, and in
//! the audit trail.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClaimsVerificationError, Nonce, OAuth2TokenResponse, PkceCodeVerifier,
    SignatureVerificationError,
};
use replimap_store::LoginStateRow;
use replimap_types::{AuditAction, ErrorCode};
use serde::Deserialize;

use super::login::{has_cookie, login_cookie, login_cookie_name, not_here};
use super::{chain, claims, issuer_text, pages, Oidc, TokenResponse};
use crate::audit::record_decision;
use crate::auth::identity::{Identity, Source};
use crate::auth::session;
use crate::caller::Caller;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    iss: Option<String>,
}

/// Why a callback was refused, for the log (the page says it in plainer words).
struct Refused {
    status: StatusCode,
    page: &'static str,
    detail: Option<String>,
    log: String,
}

impl Refused {
    fn new(status: StatusCode, page: &'static str, log: impl Into<String>) -> Self {
        Self { status, page, detail: None, log: log.into() }
    }
}

/// Where a request came from, for the audit trail of sign-ins (no caller exists yet).
struct Origin {
    client_ip: String,
    request_id: String,
}

impl Origin {
    fn of(req: &Request) -> Self {
        let client_ip = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |ConnectInfo(a)| a.ip().to_string());
        let request_id = req
            .headers()
            .get(crate::middleware::REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Self { client_ip, request_id }
    }

    /// A caller for `identity` (with its grants), or for someone not yet known.
    fn caller(&self, state: &AppState, identity: Option<Identity>) -> Caller {
        let (identity, grants) = match identity {
            Some(i) => {
                let grants = crate::auth::rbac::grants(&i, &state.auth.config);
                (i, grants)
            }
            None => (Identity { actor: "anonymous".into(), source: Source::Session, ..Identity::local() }, Vec::new()),
        };
        Caller {
            identity: Arc::new(identity),
            grants: Arc::new(grants),
            session: None,
            client_ip: self.client_ip.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

/// Records a refused sign-in (best effort: a refusal is answered whether or not it is recorded).
async fn audit_refused(state: &AppState, origin: &Origin, why: &str) {
    let err = AppError::new(ErrorCode::Unauthenticated, why);
    let caller = origin.caller(state, None);
    if let Err(e) = record_decision(state, &caller, AuditAction::SignIn, serde_json::json!({}), Err(&err)).await {
        tracing::warn!(error = %e, "could not record a refused sign-in");
    }
}

/// `GET /auth/callback`.
pub(super) async fn callback(State(state): State<AppState>, req: Request) -> Response {
    let Some(oidc) = state.auth.oidc.clone() else { return not_here() };
    let q = match Query::<CallbackQuery>::try_from_uri(req.uri()) {
        Ok(Query(q)) => q,
        Err(_) => CallbackQuery { code: None, state: None, error: None, error_description: None, iss: None },
    };
    let origin = Origin::of(&req);
    let headers = req.headers();
    let Some(login_state) = q.state.clone().filter(|s| !s.is_empty()) else {
        tracing::warn!("sign-in callback without a state");
        audit_refused(&state, &origin, "callback without a state").await;
        return pages::sign_in_failed(
            StatusCode::BAD_REQUEST,
            "This sign-in link is incomplete (it has no state). Start again from the portal.",
            q.error_description.as_deref(),
            "/",
        );
    };
    // The cookie set when this browser started the sign-in: without it, someone else's sign-in
    // is being finished here (login CSRF), or the browser dropped it.
    let cookie = login_cookie_name(&state, &login_state);
    let bound = has_cookie(headers, &cookie);
    let taken = match state.store.login_state_take(&login_state, replimap_store::clock::now_ms()).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "could not read a sign-in in flight");
            return pages::sign_in_failed(
                StatusCode::SERVICE_UNAVAILABLE,
                "The portal cannot finish sign-ins right now (its store is unavailable). Try again in a moment.",
                None,
                "/",
            );
        }
    };
    let mut resp = match (taken, bound) {
        (None, _) => {
            tracing::warn!("sign-in callback with an unknown, expired or already used state");
            audit_refused(&state, &origin, "unknown, expired or already used state (a replayed or forged callback?)")
                .await;
            pages::sign_in_failed(
                StatusCode::BAD_REQUEST,
                "This sign-in has expired or was already used. Sign-ins must finish within 10 minutes, and each \
                 one works once.",
                None,
                "/",
            )
        }
        (Some(row), false) => {
            tracing::warn!("sign-in callback from a browser that did not start it (no sign-in cookie); refused");
            audit_refused(&state, &origin, "callback from a browser that did not start the sign-in (login CSRF?)")
                .await;
            pages::sign_in_failed(
                StatusCode::BAD_REQUEST,
                "This sign-in was not started in this browser, so it was not accepted. Start it here.",
                None,
                &row.return_to,
            )
        }
        (Some(row), true) => match finish(&state, &oidc, &q, &row, &origin).await {
            Ok((cookie, who)) => {
                if let Some(old) = req.extensions().get::<Caller>() {
                    // A new session id at every sign-in (no fixation), and the old one ended.
                    if let Err(e) = session::end(&state, old).await {
                        tracing::warn!(error = %e, "could not end the session replaced by a sign-in");
                    }
                }
                tracing::info!(actor = %who, "signed in");
                let mut resp = Redirect::to(&row.return_to).into_response();
                resp.headers_mut().append(header::SET_COOKIE, cookie);
                resp
            }
            Err(r) => {
                tracing::warn!(reason = %r.log, "sign-in refused");
                audit_refused(&state, &origin, &r.log).await;
                pages::sign_in_failed(r.status, r.page, r.detail.as_deref(), &row.return_to)
            }
        },
    };
    // The binding cookie has done its work, whatever the outcome.
    if let Some(c) = login_cookie(&state, &login_state, 0) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

/// Exchanges the code and checks the ID token; the session cookie and who signed in.
async fn finish(
    state: &AppState,
    oidc: &Oidc,
    q: &CallbackQuery,
    row: &LoginStateRow,
    origin: &Origin,
) -> Result<(HeaderValue, String), Refused> {
    if let Some(error) = &q.error {
        let declined = error == "access_denied";
        return Err(Refused {
            status: if declined { StatusCode::FORBIDDEN } else { StatusCode::BAD_REQUEST },
            page: if declined {
                "The identity provider did not sign you in (access denied)."
            } else {
                "The identity provider could not sign you in."
            },
            detail: Some(format!(
                "{error}{}",
                q.error_description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
            )),
            log: format!("the provider answered {error}: {}", q.error_description.as_deref().unwrap_or("")),
        });
    }
    // RFC 9207: a provider that names itself must be ours (a mix-up attack sends another's code).
    if let Some(iss) = &q.iss {
        if iss.trim_end_matches('/') != issuer_text(&oidc.config.issuer).trim_end_matches('/') {
            return Err(Refused::new(
                StatusCode::BAD_REQUEST,
                "The answer came from another identity provider.",
                format!("iss {iss} is not the configured issuer"),
            ));
        }
    }
    let code = q.code.clone().filter(|c| !c.is_empty()).ok_or_else(|| {
        Refused::new(
            StatusCode::BAD_REQUEST,
            "The identity provider's answer had no sign-in code.",
            "callback without code",
        )
    })?;
    let client = oidc.client();
    let exchange = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| {
            Refused::new(StatusCode::BAD_GATEWAY, "The identity provider has no token endpoint.", e.to_string())
        })?
        .set_pkce_verifier(PkceCodeVerifier::new(row.pkce_verifier.clone()));
    let tokens = exchange.request_async(oidc.http()).await.map_err(|e| {
        let (detail, log) = match &e {
            openidconnect::RequestTokenError::ServerResponse(r) => {
                let text =
                    format!("{}{}", r.error(), r.error_description().map(|d| format!(": {d}")).unwrap_or_default());
                (Some(text.clone()), format!("token endpoint refused the code: {text}"))
            }
            other => (None, format!("token endpoint: {}", chain(other))),
        };
        Refused {
            status: StatusCode::BAD_GATEWAY,
            page: "The identity provider did not accept the sign-in code.",
            detail,
            log,
        }
    })?;
    let claims = verify(oidc, &tokens, &Nonce::new(row.nonce.clone())).await?;
    let mut identity = claims::identity(&claims, &oidc.config);
    if !identity.notes.is_empty() {
        tracing::warn!(actor = %identity.actor, claim = %oidc.config.groups_claim, "group overage: the provider sent no groups (too many); group bindings do not apply");
    }
    let delegated = if oidc.config.act_as_user {
        let granted = tokens.scopes().is_none_or(|s| s.iter().any(|x| x.as_str() == oidc.config.user_scope));
        if !granted {
            tracing::warn!(actor = %identity.actor, scope = %oidc.config.user_scope, "the provider did not grant the portal's user scope: writes cannot act as this user");
            identity.notes.push(format!(
                "The identity provider did not let the portal act as you in Azure (scope {} not granted), so \
                 changes will be refused. Ask your administrator to grant the portal's API permission.",
                oidc.config.user_scope
            ));
            None
        } else {
            let lifetime = tokens.expires_in().unwrap_or(Duration::from_secs(3600));
            Some(crate::auth::obo::delegated_at_sign_in(tokens.access_token().secret(), lifetime))
        }
    } else {
        None
    };
    // Recorded before the session exists: a sign-in the audit trail does not know of must not work.
    let request = serde_json::json!({
        "returnTo": row.return_to,
        "roles": identity.roles,
        "groups": identity.groups.len(),
        "notes": identity.notes,
        "actingAsUser": delegated.is_some(),
    });
    let caller = origin.caller(state, Some(identity.clone()));
    record_decision(state, &caller, AuditAction::SignIn, request, Ok(())).await.map_err(|e| {
        Refused::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The portal could not record your sign-in; try again in a moment.",
            e.to_string(),
        )
    })?;
    let cookie = session::create(state, &identity, delegated, None).await.map_err(|e| {
        Refused::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The portal could not start your session; try again in a moment.",
            e.to_string(),
        )
    })?;
    Ok((cookie, identity.actor))
}

/// The ID token's claims once its signature, issuer, audience, `azp`, expiry, nonce and
/// `at_hash` check out. An unknown key id fetches the JWKS once more (key rotation).
async fn verify(
    oidc: &Oidc,
    tokens: &TokenResponse,
    nonce: &Nonce,
) -> Result<serde_json::Map<String, serde_json::Value>, Refused> {
    let id_token = tokens.extra_fields().id_token().ok_or_else(|| {
        Refused::new(
            StatusCode::BAD_GATEWAY,
            "The identity provider sent no ID token.",
            "token response without id_token",
        )
    })?;
    let bad = |e: &dyn std::fmt::Display| {
        Refused::new(
            StatusCode::BAD_REQUEST,
            "The identity provider's answer did not pass the portal's checks.",
            format!("ID token refused: {e}"),
        )
    };
    for fresh_keys in [false, true] {
        if fresh_keys {
            oidc.refresh_jwks().await.map_err(|e| {
                bad(&format!("the signing key is unknown and the JWKS could not be fetched again: {e}"))
            })?;
        }
        let client = oidc.client();
        let verifier = client.id_token_verifier().set_allowed_algs(oidc.algs.clone());
        let claims = match id_token.claims(&verifier, nonce) {
            Ok(c) => c,
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey))
                if !fresh_keys =>
            {
                continue
            }
            Err(e) => return Err(bad(&chain(&e))),
        };
        // openidconnect leaves `azp` to the application: it must be us when present.
        if let Some(azp) = claims.authorized_party() {
            if azp.as_str() != oidc.config.client_id {
                return Err(bad(&format!("azp {} is not this portal's client id", azp.as_str())));
            }
        }
        // The access token came with this ID token (at_hash, when the provider sends one).
        if let Some(expected) = claims.access_token_hash() {
            let alg = id_token.signing_alg().map_err(|e| bad(&e))?;
            let key = id_token.signing_key(&verifier).map_err(|e| bad(&e))?;
            let actual = AccessTokenHash::from_token(tokens.access_token(), alg, key).map_err(|e| bad(&e))?;
            if actual != *expected {
                return Err(bad(&"at_hash does not match the access token"));
            }
        }
        return match serde_json::to_value(claims) {
            Ok(serde_json::Value::Object(map)) => Ok(map),
            _ => Err(bad(&"the claims could not be read")),
        };
    }
    Err(bad(&"no key in the provider's JWKS matches the ID token's key id"))
}
