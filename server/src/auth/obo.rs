//! Acting as the user (`auth.oidc.act_as_user`, for Microsoft Entra ID): writes go to Azure with
//! the signed-in person's own ARM token, so Azure's activity log, `systemData` and Azure RBAC see
//! the person, not the portal.
//!
//! At sign-in the portal asks for a token for its own API (`auth.oidc.user_scope`, e.g.
//! `api://<client id>/user_impersonation`) and keeps it in the session's `delegated` JSON. For a
//! write, [`delegated_arm`] swaps it for an ARM token with the on-behalf-of exchange (RFC 7523's
//! JWT bearer grant with `requested_token_use=on_behalf_of`) at the provider's token endpoint
//! (or `auth.oidc.obo_token_url`), and caches that in the session until shortly before it expires.
//! When the exchange cannot be made (the user's token expired, the provider refused), the write
//! is refused with a 401 telling the person to sign in again: it never falls back to the
//! portal's own identity.

use std::time::Duration;

use azure_core::credentials::Secret;
use replimap_arm::{ArmClient, Auth};
use replimap_types::ErrorCode;
use serde::{Deserialize, Serialize};

use super::identity::Source;
use crate::caller::Caller;
use crate::error::AppError;
use crate::state::AppState;

/// The grant type of the exchange.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// An ARM token is renewed when it has less than this left, so a write (and its first polls)
/// never starts with a token about to expire.
const ARM_MARGIN_MS: i64 = 5 * 60 * 1000;
/// The user's token must have at least this left to be exchanged.
const USER_MARGIN_MS: i64 = 30 * 1000;

/// A token and when it expires.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldToken {
    /// The bearer token.
    pub token: String,
    /// Expiry, ms since the epoch.
    pub expires_at_ms: i64,
}

impl std::fmt::Debug for HeldToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeldToken").field("token", &"<redacted>").field("expires_at_ms", &self.expires_at_ms).finish()
    }
}

/// A session's `delegated` JSON: the user's token for the portal, and the ARM token it was
/// last exchanged for (with the ARM scope it is for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delegated {
    /// The user's access token for the portal's API (the exchange's assertion).
    pub user: HeldToken,
    /// The cached ARM token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm: Option<HeldToken>,
    /// The scope `arm` was issued for (`https://management.azure.com/.default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm_scope: Option<String>,
}

/// The `delegated` JSON of a new session: the user's token, living `lifetime` from now.
pub fn delegated_at_sign_in(user_token: &str, lifetime: Duration) -> serde_json::Value {
    let now = replimap_store::clock::now_ms();
    let d = Delegated {
        user: HeldToken {
            token: user_token.to_owned(),
            expires_at_ms: now.saturating_add(i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX)),
        },
        arm: None,
        arm_scope: None,
    };
    serde_json::to_value(d).unwrap_or(serde_json::Value::Null)
}

/// The token scope for an ARM endpoint: its origin plus `/.default` (as `replimap-arm` asks).
pub fn arm_scope(endpoint: &url::Url) -> String {
    format!("{}/.default", endpoint.origin().ascii_serialization())
}

fn sign_in_again(why: &str) -> AppError {
    AppError::new(
        ErrorCode::Unauthenticated,
        format!("{why} Sign in again (the portal never falls back to its own identity for your changes)."),
    )
}

/// The ARM client for the caller's writes when the portal acts as the user: `None` when it does
/// not (not configured, or the caller is an API token or a wall screen, which act as the portal);
/// otherwise a client for the same ARM endpoint that sends the user's own ARM token. Apply
/// `.correlated(id)` to it as to `state.arm`.
pub async fn delegated_arm(state: &AppState, caller: &Caller) -> Result<Option<ArmClient>, AppError> {
    let Some(oidc) = state.auth.oidc.as_ref().filter(|o| o.config().act_as_user) else { return Ok(None) };
    if caller.identity.source != Source::Session {
        return Ok(None);
    }
    let Some(session) = &caller.session else { return Ok(None) };
    let row = state
        .store
        .session_get(session)
        .await
        .map_err(|e| super::store_error("read your session", &e))?
        .ok_or_else(|| sign_in_again("Your session has ended."))?;
    let Some(mut delegated) = row.delegated.and_then(|d| serde_json::from_value::<Delegated>(d).ok()) else {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            "The portal acts in Azure as the signed-in person, and your sign-in gave it no token to do so (the \
             identity provider did not grant its API scope). Sign in again; if this persists, ask an administrator \
             to grant the portal's API permission.",
        ));
    };
    let scope = arm_scope(state.arm.endpoint());
    let now = replimap_store::clock::now_ms();
    let cached = delegated
        .arm
        .as_ref()
        .filter(|t| delegated.arm_scope.as_deref() == Some(scope.as_str()) && t.expires_at_ms - now > ARM_MARGIN_MS);
    let token = match cached {
        Some(t) => t.token.clone(),
        None => {
            if delegated.user.expires_at_ms - now <= USER_MARGIN_MS {
                return Err(sign_in_again("Your sign-in has expired for changes in Azure."));
            }
            let fresh = exchange(state, oidc, &delegated.user.token, &scope).await?;
            let token = fresh.token.clone();
            delegated.arm = Some(fresh);
            delegated.arm_scope = Some(scope);
            let json = serde_json::to_value(&delegated).unwrap_or(serde_json::Value::Null);
            match state.store.session_set_delegated(session, Some(json)).await {
                Ok(true) => {}
                Ok(false) => return Err(sign_in_again("Your session has ended.")),
                // The token works; it is only not cached, so the next write exchanges again.
                Err(e) => tracing::warn!(error = %e, "could not cache the user's ARM token in the session"),
            }
            token
        }
    };
    Ok(Some(state.arm.with_auth(Auth::Static(Secret::new(token)))))
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Where the exchange is made: `auth.oidc.obo_token_url`; else, with the embedded emulator, the
/// emulator's token endpoint (only it issues tokens the emulator's ARM accepts); else the
/// provider's token endpoint (Entra ID's).
fn token_url(state: &AppState, oidc: &super::oidc::Oidc) -> Option<url::Url> {
    if let Some(u) = &oidc.config().obo_token_url {
        return Some(u.clone());
    }
    if state.emulated {
        let tenant = replimap_arm_emulator::DEMO_TENANT_ID;
        return state.arm.endpoint().join(&format!("/{tenant}/oauth2/v2.0/token")).ok();
    }
    oidc.token_endpoint()
}

/// The on-behalf-of exchange: the user's token for an ARM token of the same user.
async fn exchange(
    state: &AppState,
    oidc: &super::oidc::Oidc,
    assertion: &str,
    scope: &str,
) -> Result<HeldToken, AppError> {
    let config = oidc.config();
    let url = token_url(state, oidc).ok_or_else(|| {
        AppError::new(ErrorCode::Internal, "The identity provider has no token endpoint for acting as you in Azure.")
    })?;
    let form = [
        ("grant_type", JWT_BEARER),
        ("client_id", config.client_id.as_str()),
        ("client_secret", config.client_secret.secret()),
        ("assertion", assertion),
        ("scope", scope),
        ("requested_token_use", "on_behalf_of"),
    ];
    let started = replimap_store::clock::now_ms();
    let resp = oidc.http().post(url.clone()).form(&form).send().await.map_err(|e| {
        tracing::warn!(token_url = %url, error = %e, "the on-behalf-of exchange could not be sent");
        AppError::new(
            ErrorCode::Unavailable,
            "The portal could not reach the identity provider to act as you in Azure; nothing was changed. Try again in a moment.",
        )
    })?;
    let status = resp.status();
    let answer: Option<TokenAnswer> = resp.json().await.ok();
    match answer {
        Some(TokenAnswer { access_token: Some(token), expires_in, .. }) if status.is_success() => {
            // `expires_in` is a number, or (Entra ID's v1 endpoint) a string of one.
            let secs = match expires_in {
                Some(serde_json::Value::Number(n)) => n.as_i64(),
                Some(serde_json::Value::String(s)) => s.parse().ok(),
                _ => None,
            }
            .unwrap_or(3600);
            Ok(HeldToken { token, expires_at_ms: started.saturating_add(secs.saturating_mul(1000)) })
        }
        other => {
            let (error, description) = other.map(|a| (a.error, a.error_description)).unwrap_or_default();
            tracing::warn!(
                token_url = %url,
                status = status.as_u16(),
                error = error.as_deref().unwrap_or(""),
                description = description.as_deref().unwrap_or(""),
                "the identity provider refused to let the portal act as the user"
            );
            // The provider's error code is safe to show and helps an administrator (AADSTS65001:
            // consent missing); the description may hold ids and stays in the log.
            let code = description
                .as_deref()
                .and_then(|d| d.split(':').next())
                .filter(|c| c.starts_with("AADSTS"))
                .map(str::to_owned)
                .or(error)
                .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
            Err(sign_in_again(&format!(
                "The identity provider refused to let the portal act as you in Azure ({code})."
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delegated_json_round_trips_and_never_prints_tokens() {
        let v = delegated_at_sign_in("user-token", Duration::from_secs(60));
        let d: Delegated = serde_json::from_value(v).unwrap();
        assert_eq!(d.user.token, "user-token");
        let left = d.user.expires_at_ms - replimap_store::clock::now_ms();
        assert!((55_000..=60_000).contains(&left), "{left}");
        assert!(d.arm.is_none());
        let shown = format!("{d:?}");
        assert!(!shown.contains("user-token"), "{shown}");
    }

    #[test]
    fn the_arm_scope_is_the_endpoints_origin() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert_eq!(arm_scope(&u("https://management.azure.com/")), "https://management.azure.com/.default");
        assert_eq!(arm_scope(&u("http://127.0.0.1:3101")), "http://127.0.0.1:3101/.default");
    }
}
