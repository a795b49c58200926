//! Who is asking, and from where: what an audit record says about the person behind a write.
//!
//! For now the portal has one user, the local one; the sign-in issue fills in identities from
//! a trusted proxy, a session or an API token, and only this module changes.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::middleware::REQUEST_ID;

/// The identity and origin of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The identity's name (`local` for the one local user).
    pub actor: String,
    /// Where the identity came from (`local`).
    pub source: String,
    /// The peer's address (the TCP peer; proxies are not trusted yet).
    pub client_ip: String,
    /// The portal's request id.
    pub request_id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Absent when the router is driven without a socket (tower `oneshot` in tests).
        let client_ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |ConnectInfo(a)| a.ip().to_string());
        let request_id = parts.headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        Ok(Self { actor: "local".into(), source: "local".into(), client_ip, request_id })
    }
}
