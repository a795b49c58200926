//! An `azure_core` [`TokenCredential`] for clients in the same process as the emulator
//! (the portal's embedded mode, tests): it signs tokens with the emulator's key instead
//! of asking the token endpoint, and like `azure_identity` caches one and replaces it
//! shortly before it expires.

use std::sync::{Arc, Mutex};

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use time::{Duration, OffsetDateTime};

use crate::emulator::Emulator;
use crate::seed::DEMO_TENANT_ID;

/// `azure_identity` refreshes a token 5 minutes before it expires.
const REFRESH_MARGIN: Duration = Duration::minutes(5);

/// The client id the credential's tokens name (`appid`, `oid`).
const CLIENT_ID: &str = "replimap-emulator-credential";

/// The cached token with its lifetime, which decides when to replace it.
struct Cached {
    token: AccessToken,
    lifetime: Duration,
}

pub(crate) struct EmulatorCredential {
    emu: Emulator,
    /// `iss` claim: the emulator's own authority, as a token endpoint would put it.
    issuer: String,
    cache: Mutex<Option<Cached>>,
}

impl std::fmt::Debug for EmulatorCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a bearer secret: never shown.
        f.debug_struct("EmulatorCredential").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

impl EmulatorCredential {
    /// `base` is the emulator's URL (`http://127.0.0.1:PORT`).
    pub(crate) fn shared(emu: Emulator, base: &str) -> Arc<dyn TokenCredential> {
        Arc::new(Self { emu, issuer: format!("{base}/{DEMO_TENANT_ID}/"), cache: Mutex::new(None) })
    }
}

/// Replace the token within 5 minutes of its expiry, or once half its life is gone when
/// it lives less than 10 minutes (short lifetimes set by tests), so a request never
/// leaves with a token about to die.
fn needs_refresh(cached: &Cached, now: OffsetDateTime) -> bool {
    let margin = REFRESH_MARGIN.min(cached.lifetime / 2);
    cached.token.expires_on - now <= margin
}

/// `https://management.azure.com/.default` → `https://management.azure.com/`, as the
/// token endpoint does; anything else is used whole.
fn audience(scopes: &[&str]) -> String {
    let scope = scopes.first().copied().unwrap_or(crate::identity::AUDIENCES[1]);
    scope.strip_suffix(".default").unwrap_or(scope).to_owned()
}

#[async_trait::async_trait]
impl TokenCredential for EmulatorCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let now = OffsetDateTime::now_utc();
        let mut cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(cached) = cache.as_ref().filter(|c| !needs_refresh(c, now)) {
            return Ok(cached.token.clone());
        }
        let issued = self.emu.issue_token(&audience(scopes), &self.issuer, DEMO_TENANT_ID, CLIENT_ID, None);
        let token = AccessToken::new(Secret::new(issued.token), issued.expires_on);
        *cache = Some(Cached { token: token.clone(), lifetime: Duration::seconds(issued.lifetime_secs) });
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(lifetime_secs: i64, left_secs: i64) -> Cached {
        let expires_on = OffsetDateTime::now_utc() + Duration::seconds(left_secs);
        Cached { token: AccessToken::new("t", expires_on), lifetime: Duration::seconds(lifetime_secs) }
    }

    #[test]
    fn refreshes_five_minutes_early_or_at_half_life() {
        let now = OffsetDateTime::now_utc();
        assert!(!needs_refresh(&cached(3599, 3000), now));
        assert!(needs_refresh(&cached(3599, 299), now), "within azure_identity's 5 minutes");
        assert!(!needs_refresh(&cached(4, 3), now));
        assert!(needs_refresh(&cached(4, 1), now), "past half of a short life");
    }

    #[test]
    fn audience_follows_the_scope() {
        assert_eq!(audience(&["https://management.azure.com/.default"]), "https://management.azure.com/");
        assert_eq!(audience(&[]), "https://management.azure.com/");
    }
}
