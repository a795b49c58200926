//! Sign-in and roles: who is asking ([`identify`], run for every request) and what they may do
//! ([`authz`], the one place that decides).
//!
//! An identity comes, in this order, from an API token (`Authorization: Bearer rmp_…`, every
//! mode), a session cookie (a signed-in person, or an enrolled wall screen), or the mode
//! itself: the one local user, or a trusted proxy's headers. A request with none of these may
//! still reach what needs no identity (health, assets, the sign-in pages); everything else is
//! answered 401, or sent to sign in when the mode can.

pub mod authz;
pub mod identity;
pub mod obo;
pub mod oidc;
pub mod proxy;
pub mod rbac;
pub mod session;
pub mod tokens;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use replimap_types::{AuthMode, ErrorCode};

use self::identity::Identity;
use crate::caller::Caller;
use crate::config::AuthConfig;
use crate::error::AppError;
use crate::middleware::REQUEST_ID;
use crate::state::AppState;

/// The sign-in state shared by all requests.
#[derive(Debug)]
pub struct Authenticator {
    /// `[auth]` and `[rbac]`.
    pub config: AuthConfig,
    /// Cookies carry `Secure` (and the `__Host-` name): the public URL is https.
    pub secure_cookies: bool,
    /// Last-used writes of API tokens.
    pub touches: tokens::Touches,
    /// Spoofed proxy headers.
    pub proxy_counters: proxy::ProxyCounters,
    /// Requests refused for want of an identity, and writes refused for want of a role.
    pub counters: AuthCounters,
    /// Credentials ended while in use ([`Ended`]): open event streams that came with one close.
    pub ended: tokio::sync::broadcast::Sender<Ended>,
    /// The discovered OpenID provider (oidc mode; see `oidc.rs`).
    pub oidc: Option<Arc<oidc::Oidc>>,
}

/// What `/metrics` shows of sign-in.
#[derive(Debug, Default)]
pub struct AuthCounters {
    /// Requests that needed an identity and had none (401 or a sign-in redirect).
    pub unauthenticated: AtomicU64,
    /// Bearer tokens or sessions presented that did not work.
    pub credentials_refused: AtomicU64,
    /// Actions refused for want of a role (403).
    pub forbidden: AtomicU64,
}

impl Authenticator {
    /// The state for a configuration; `secure` when the portal is served over https.
    pub fn new(config: AuthConfig, secure: bool) -> Self {
        Self {
            config,
            secure_cookies: secure,
            touches: tokens::Touches::default(),
            proxy_counters: proxy::ProxyCounters::default(),
            counters: AuthCounters::default(),
            ended: tokio::sync::broadcast::channel(64).0,
            oidc: None,
        }
    }

    /// With the OpenID provider `Oidc::discover` found (oidc mode).
    pub fn with_oidc(mut self, oidc: Option<Arc<oidc::Oidc>>) -> Self {
        self.oidc = oidc;
        self
    }
}

/// A credential that stopped working while requests made with it may still be open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// An API token was revoked (its device sessions end with it).
    Token(String),
    /// A session (its store key) was signed out.
    Session(String),
}

impl Ended {
    /// Whether this ends what `caller` came with.
    pub fn ends(&self, caller: &Caller) -> bool {
        match self {
            Self::Token(id) => caller.identity.source.token_id() == Some(id.as_str()),
            Self::Session(id) => caller.session.as_deref() == Some(id.as_str()),
        }
    }
}

/// Says that a credential ended, to the streams open with it. No one listening is fine.
pub fn ended(state: &AppState, what: Ended) {
    let _ = state.auth.ended.send(what);
}

/// Fills `buf` with random bytes from the operating system.
pub fn random(buf: &mut [u8]) -> Result<(), AppError> {
    getrandom::fill(buf).map_err(|e| {
        tracing::error!(error = %e, "the operating system's random number generator failed");
        AppError::new(ErrorCode::Internal, "The portal could not generate a secret.")
    })
}

/// A store failure while deciding who someone is: 503, and logged.
pub fn store_error(what: &str, e: &replimap_store::StoreError) -> AppError {
    tracing::error!(error = %e, "the store cannot {what}");
    AppError::new(ErrorCode::StoreUnavailable, format!("The portal cannot {what} right now; try again in a moment."))
}

/// Paths anyone may reach: probes, the API description, and the pages and endpoints that
/// sign people in. (Static files are answered before this layer.) `/metrics` has its own
/// optional bearer token (`http.metrics_token_file`).
fn is_public(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics" | "/api/v1/openapi.json" | "/enroll")
        || path.starts_with("/auth/")
}

/// The peer's address (loopback when the router is driven without a socket, as tests do).
fn peer(req: &Request) -> IpAddr {
    req.extensions().get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::from([127, 0, 0, 1]), |ConnectInfo(a)| a.ip())
}

/// Resolves the caller of every request and puts a [`Caller`] in its extensions, or answers
/// 401 (API) / sends the person to sign in (pages) when the path needs one and there is none.
pub async fn identify(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = peer(&req);
    let client_ip = proxy::client_ip(&state.auth.config.trusted_proxies, peer, req.headers());
    let request_id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let path = req.uri().path().to_owned();
    let resolved = resolve(&state, peer, req.headers()).await;
    let public = is_public(&path);
    match resolved {
        Ok(Some((identity, session, grants))) => {
            let caller = Caller {
                identity: Arc::new(identity),
                grants: Arc::new(grants),
                session,
                client_ip: client_ip.to_string(),
                request_id,
            };
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        // The store cannot say who this is (503): public paths (probes above all) still answer.
        Err(e) if e.code() != ErrorCode::Unauthenticated => {
            if public {
                next.run(req).await
            } else {
                e.into_response()
            }
        }
        // A credential that does not work (a revoked or expired token, an ended session):
        // refused even where none is needed when it is a bearer token, so a pipeline learns
        // so rather than being served as anonymous; an ended session's cookie is cleared, so the
        // browser falls back to what the mode gives it (the local user, the proxy's identity).
        Err(e) => {
            state.auth.counters.credentials_refused.fetch_add(1, Ordering::Relaxed);
            let bearer = has_bearer(req.headers());
            if public && !bearer {
                return next.run(req).await;
            }
            let mut resp = if bearer || crate::routes::is_api(&path) {
                e.into_response()
            } else {
                unauthenticated(&state, req.method(), &path, req.uri().query())
            };
            if !bearer {
                resp.headers_mut().append(header::SET_COOKIE, session::clear_cookie(&state));
            }
            resp
        }
        Ok(None) if public => next.run(req).await,
        Ok(None) => {
            state.auth.counters.unauthenticated.fetch_add(1, Ordering::Relaxed);
            unauthenticated(&state, req.method(), &path, req.uri().query())
        }
    }
}

fn has_bearer(headers: &HeaderMap) -> bool {
    bearer(headers).is_some()
}

/// A replimap API token in `Authorization: Bearer`. Other bearer tokens (oauth2-proxy may pass
/// the user's ID token on) are not ours to judge and are ignored.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && token.starts_with(tokens::PREFIX)).then_some(token)
}

type Resolved = Option<(Identity, Option<String>, Vec<replimap_types::Grant>)>;

/// Who the request is from: identity, session id (store key) and grants.
async fn resolve(state: &AppState, peer: IpAddr, headers: &HeaderMap) -> Result<Resolved, AppError> {
    let cfg = &state.auth.config;
    if let Some(text) = bearer(headers) {
        let row = tokens::verify(state, text).await?;
        let identity = Identity::token(&row.id, &row.name, false);
        return Ok(Some((identity, None, rbac::token_grants(tokens::role(&row), &row.registries))));
    }
    if let Some(cookie) = session::from_headers(headers, state.auth.secure_cookies) {
        // An ended session is refused once (and its cookie cleared): a wall screen whose token
        // was revoked must show that it is signed out, not quietly become the local user.
        let Some((id, row)) = session::load(state, &cookie).await? else {
            return Err(AppError::new(ErrorCode::Unauthenticated, "Your session has ended; sign in again."));
        };
        let identity: Identity = serde_json::from_value(row.subject.clone()).map_err(|_| {
            AppError::new(ErrorCode::Unauthenticated, "The session is from an older portal; sign in again.")
        })?;
        let grants = match &row.token_id {
            // A device session is worth what its token is worth, checked on every request
            // so that revoking the token ends the session at once.
            Some(token_id) => {
                let token = state.store.token_get(token_id).await.map_err(|e| store_error("read tokens", &e))?;
                let now = replimap_store::clock::now_ms();
                match token.filter(|t| t.is_active(now)) {
                    Some(t) => rbac::token_grants(tokens::role(&t), &t.registries),
                    None => {
                        let _ = state.store.session_delete(&id).await;
                        return Err(AppError::new(
                            ErrorCode::Unauthenticated,
                            "This screen's token was revoked or expired; enroll it again.",
                        ));
                    }
                }
            }
            None => rbac::grants(&identity, cfg),
        };
        return Ok(Some((identity, Some(id), grants)));
    }
    let identity = match cfg.mode {
        AuthMode::Local => Some(Identity::local()),
        AuthMode::Proxy => {
            cfg.proxy.as_ref().and_then(|p| proxy::identify(p, &state.auth.proxy_counters, peer, headers))
        }
        AuthMode::Oidc => None,
    };
    Ok(identity.map(|i| {
        let grants = rbac::grants(&i, cfg);
        (i, None, grants)
    }))
}

/// The answer to a request that needs an identity and has none.
fn unauthenticated(state: &AppState, method: &Method, path: &str, query: Option<&str>) -> Response {
    if crate::routes::is_api(path) {
        let message = match state.auth.config.mode {
            AuthMode::Oidc => "Sign in first (GET /auth/login), or send an API token as Authorization: Bearer rmp_….",
            AuthMode::Proxy => {
                "The proxy in front of the portal did not say who you are; sign in through it, or send an API token \
                 as Authorization: Bearer rmp_…."
            }
            AuthMode::Local => "Send an API token as Authorization: Bearer rmp_….",
        };
        return AppError::new(ErrorCode::Unauthenticated, message).into_response();
    }
    if state.auth.config.mode == AuthMode::Oidc && *method == Method::GET {
        let here = match query {
            Some(q) => format!("{path}?{q}"),
            None => path.to_owned(),
        };
        let to = url::form_urlencoded::Serializer::new(String::new()).append_pair("return_to", &here).finish();
        return Redirect::to(&format!("/auth/login?{to}")).into_response();
    }
    oidc::pages::page(
        StatusCode::UNAUTHORIZED,
        "You are not signed in.",
        "<p>The proxy in front of replimap did not say who you are. Sign in through it and reload, or \
         <a href=\"/enroll\">enroll this screen</a> with an API token.</p>",
        None,
    )
}
