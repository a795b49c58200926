//! Who is asking, and from where: the identity [`crate::auth::identify`] resolved for the
//! request, its grants, and what an audit record says about the person behind a write.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use replimap_types::{ErrorCode, Grant, RegistryKey, Role};

use crate::auth::identity::Identity;
use crate::error::AppError;

/// The identity and origin of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who.
    pub identity: Arc<Identity>,
    /// What they may do where.
    pub grants: Arc<Vec<Grant>>,
    /// The store key of the cookie session they came with, if any.
    pub session: Option<String>,
    /// The client's address: the TCP peer, or behind trusted proxies the first address they
    /// did not add themselves.
    pub client_ip: String,
    /// The portal's request id.
    pub request_id: String,
}

impl Caller {
    /// The name the audit trail records.
    pub fn actor(&self) -> &str {
        &self.identity.actor
    }

    /// The identity's source as the audit trail records it (`proxy`, `token:ab12…`).
    pub fn source(&self) -> String {
        self.identity.source.label()
    }

    /// The key that per-identity limits (event streams) count under: one per person or token,
    /// whatever the address.
    pub fn identity_key(&self) -> String {
        format!("{}:{}", self.identity.source.kind(), self.identity.actor)
    }

    /// The strongest role the caller holds on the registry.
    pub fn role_on(&self, key: &RegistryKey) -> Option<Role> {
        replimap_types::role_on(&self.grants, key)
    }

    /// The strongest role the caller holds anywhere.
    pub fn strongest_role(&self) -> Option<Role> {
        self.grants.iter().map(|g| g.role).max()
    }

    /// "alice (proxy)", for messages.
    pub fn who(&self) -> String {
        format!("{} ({})", self.identity.actor, self.identity.source.kind())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // `auth::identify` runs before every route; a route that needs a caller and finds none
        // is one that path rule let through without an identity.
        parts.extensions.get::<Self>().cloned().ok_or_else(|| {
            AppError::new(ErrorCode::Unauthenticated, "Sign in, or send an API token as Authorization: Bearer rmp_….")
        })
    }
}
