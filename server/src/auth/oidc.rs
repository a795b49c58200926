//! `auth.mode = "oidc"`: the portal signs people in itself, as an OpenID Connect relying party
//! (authorization code flow with PKCE S256, `state` and `nonce`), with the `openidconnect` crate.
//!
//! * **Start-up** discovers the provider (`{issuer}/.well-known/openid-configuration` and its
//!   JWKS) and refuses to start when it cannot, after a few quick retries: a portal that runs but
//!   can sign no one in looks healthy to its probes while nobody can use it, and a wrong issuer,
//!   an untrusted certificate or a typo is found at deploy time rather than at the first sign-in.
//!   The orchestrator's restart back-off does the long retrying. The HTTP client follows no
//!   redirects (the crate's SSRF advice) and trusts `auth.oidc.ca_bundle` besides the public roots.
//! * `GET /auth/login?return_to=/path` stores the sign-in in flight (`login_states`, 10 minutes),
//!   binds it to this browser with a short cookie (against login CSRF: a victim cannot be made to
//!   finish an attacker's sign-in), and sends the browser to the provider.
//! * `GET /auth/callback` takes the sign-in once (a replay finds nothing), exchanges the code,
//!   verifies the ID token (signature from the provider's JWKS, fetched again once when the key id
//!   is unknown, for key rotation; issuer, audience, `azp`, expiry, nonce, `at_hash`), builds the
//!   [`Identity`](super::identity::Identity) (see `claims.rs`), starts the session and sends the
//!   person back. Every failure is a readable page with a way to try again.
//! * `POST /auth/logout` ends the session (any mode: wall screens sign out too) and, for a person
//!   signed in here, goes on to the provider's `end_session_endpoint`.
//!
//! Acting as the user in Azure is in `obo.rs`; this module keeps the user's token at sign-in.

mod callback;
mod claims;
pub(crate) mod login;
mod logout;
pub(crate) mod pages;

use std::sync::RwLock;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, ClientId, ClientSecret, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdTokenFields, IssuerUrl, JsonWebKeySet, PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl,
    StandardErrorResponse, StandardTokenResponse,
};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::OidcConfig;
use crate::state::AppState;

/// How long a sign-in may stay at the provider.
const LOGIN_TTL_MS: i64 = 10 * 60 * 1000;
/// Time-out of one call to the provider.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(15);
/// Discovery attempts at start-up, and the pause before the first retry (doubling).
const DISCOVERY_ATTEMPTS: u32 = 4;
const DISCOVERY_FIRST_PAUSE: Duration = Duration::from_millis(500);
/// Where sign-out lands (and where the provider sends the browser back after its own).
pub const SIGNED_OUT_PATH: &str = "/auth/signed-out";
/// The callback's path, under the public URL.
pub const CALLBACK_PATH: &str = "/auth/callback";

/// Every claim besides the standard ones (roles, groups, Entra ID's overage markers), as JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExtraClaims(serde_json::Map<String, serde_json::Value>);
impl AdditionalClaims for ExtraClaims {}

type TokenResponse = StandardTokenResponse<
    IdTokenFields<
        ExtraClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;
type Client = openidconnect::Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The discovered provider and what signing in needs of it.
pub struct Oidc {
    config: OidcConfig,
    redirect: RedirectUrl,
    post_logout: Url,
    http: openidconnect::reqwest::Client,
    /// Discovery metadata with the JWKS, replaced when the JWKS is fetched again.
    metadata: RwLock<ProviderMetadataWithLogout>,
    /// Asymmetric algorithms the provider offers for ID tokens: never `none`, and never HMAC
    /// (the "key" would be the client secret, which the portal itself holds).
    algs: Vec<CoreJwsSigningAlgorithm>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.config.issuer.as_str())
            .field("redirect", &self.redirect.as_str())
            .finish()
    }
}

/// An error with its causes (`error sending request: … invalid peer certificate: UnknownIssuer`).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

/// The issuer as the provider spells it: `Url` adds a `/` to a bare origin
/// (`http://127.0.0.1:4000/`), which providers at the root do not write in `iss`.
fn issuer_text(issuer: &Url) -> String {
    let s = issuer.as_str();
    if issuer.path() == "/" && issuer.query().is_none() {
        s.trim_end_matches('/').to_owned()
    } else {
        s.to_owned()
    }
}

/// The HTTP client for the provider (and the on-behalf-of exchange): no redirects, the extra
/// CA certificates, a time-out.
fn http_client(config: &OidcConfig) -> anyhow::Result<openidconnect::reqwest::Client> {
    let mut builder = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(PROVIDER_TIMEOUT)
        .user_agent(concat!("replimap/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = &config.ca_bundle {
        // Checked as trust anchors first, for a message that names the problem and the file.
        let roots =
            replimap_arm::TlsRoots::from_pem_file(path).map_err(|e| anyhow::anyhow!("auth.oidc.ca_bundle: {e}"))?;
        let pem = std::fs::read(path).map_err(|e| anyhow::anyhow!("auth.oidc.ca_bundle {}: {e}", path.display()))?;
        let certs = openidconnect::reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| anyhow::anyhow!("auth.oidc.ca_bundle {}: {e}", path.display()))?;
        tracing::info!(ca_bundle = %path.display(), certificates = roots.extra_count(), "trusting extra CA certificates for the OpenID provider");
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(|e| anyhow::anyhow!("the HTTP client for the OpenID provider: {}", chain(&e)))
}

impl Oidc {
    /// Discovers the provider, or fails naming the issuer and why. `public_url` is where people
    /// open the portal; the callback is under it unless `auth.oidc.redirect_url` says otherwise.
    pub async fn discover(config: &OidcConfig, public_url: Option<&Url>) -> anyhow::Result<Self> {
        let redirect = match (&config.redirect_url, public_url) {
            (Some(r), _) => r.clone(),
            (None, Some(p)) => p.join(CALLBACK_PATH)?,
            (None, None) => anyhow::bail!(
                "auth.mode = \"oidc\" needs http.public_url (the URL people open the portal at; the provider sends \
                 them back to its {CALLBACK_PATH}) or auth.oidc.redirect_url"
            ),
        };
        let post_logout = redirect.join(SIGNED_OUT_PATH)?;
        let http = http_client(config)?;
        let issuer = IssuerUrl::new(issuer_text(&config.issuer))?;
        let mut pause = DISCOVERY_FIRST_PAUSE;
        let mut attempt = 1;
        let metadata = loop {
            match ProviderMetadataWithLogout::discover_async(issuer.clone(), &http).await {
                Ok(m) => break m,
                Err(e) if attempt < DISCOVERY_ATTEMPTS => {
                    tracing::warn!(issuer = %issuer.as_str(), attempt, error = %chain(&e), "OpenID provider discovery failed; retrying");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                    attempt += 1;
                }
                Err(e) => anyhow::bail!(
                    "auth.oidc.issuer {}: the OpenID provider could not be discovered at {}/.well-known/openid-configuration \
                     ({attempt} attempts): {}. Check the issuer URL (it must equal the provider's `issuer` exactly), that \
                     the portal can reach it, and auth.oidc.ca_bundle if a private CA signed its certificate.",
                    issuer.as_str(),
                    issuer.as_str().trim_end_matches('/'),
                    chain(&e)
                ),
            }
        };
        let offered = metadata.id_token_signing_alg_values_supported();
        let algs: Vec<_> = offered.iter().filter(|a| asymmetric(a)).cloned().collect();
        anyhow::ensure!(
            !algs.is_empty(),
            "auth.oidc.issuer {}: the provider signs ID tokens only with {:?}; the portal accepts asymmetric signatures only (RS256, PS256, ES256, EdDSA, …)",
            issuer.as_str(),
            offered
        );
        tracing::info!(
            issuer = %issuer.as_str(),
            redirect = %redirect,
            keys = metadata.jwks().keys().len(),
            end_session = metadata.additional_metadata().end_session_endpoint.is_some(),
            act_as_user = config.act_as_user,
            "OpenID provider discovered"
        );
        Ok(Self {
            config: config.clone(),
            redirect: RedirectUrl::from_url(redirect),
            post_logout,
            http,
            metadata: RwLock::new(metadata),
            algs,
        })
    }

    /// The settings.
    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    /// The HTTP client for the provider (no redirects, the CA bundle).
    pub fn http(&self) -> &openidconnect::reqwest::Client {
        &self.http
    }

    /// The provider's token endpoint.
    pub fn token_endpoint(&self) -> Option<Url> {
        self.metadata().token_endpoint().map(|u| u.url().clone())
    }

    fn metadata(&self) -> ProviderMetadataWithLogout {
        self.metadata.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn client(&self) -> Client {
        Client::from_provider_metadata(
            self.metadata(),
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.secret().to_owned())),
        )
        .set_redirect_uri(self.redirect.clone())
    }

    /// Fetches the JWKS again (the provider rotated its keys).
    async fn refresh_jwks(&self) -> Result<(), String> {
        let uri = self.metadata().jwks_uri().clone();
        let jwks = JsonWebKeySet::fetch_async(&uri, &self.http).await.map_err(|e| chain(&e))?;
        let mut m = self.metadata.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        tracing::info!(jwks_uri = %uri.as_str(), keys = jwks.keys().len(), "fetched the provider's signing keys again");
        *m = m.clone().set_jwks(jwks);
        Ok(())
    }

    /// The provider's sign-out URL for this portal, when it has one.
    pub fn end_session_url(&self) -> Option<Url> {
        let endpoint = self.metadata().additional_metadata().end_session_endpoint.clone()?;
        let request = openidconnect::LogoutRequest::from(endpoint)
            .set_client_id(ClientId::new(self.config.client_id.clone()))
            .set_post_logout_redirect_uri(PostLogoutRedirectUrl::from_url(self.post_logout.clone()));
        Some(request.http_get_url())
    }
}

fn asymmetric(alg: &CoreJwsSigningAlgorithm) -> bool {
    use CoreJwsSigningAlgorithm as A;
    matches!(
        alg,
        A::RsaSsaPkcs1V15Sha256
            | A::RsaSsaPkcs1V15Sha384
            | A::RsaSsaPkcs1V15Sha512
            | A::RsaSsaPssSha256
            | A::RsaSsaPssSha384
            | A::RsaSsaPssSha512
            | A::EcdsaP256Sha256
            | A::EcdsaP384Sha384
            | A::EcdsaP521Sha512
            | A::EdDsa
    )
}

/// The sign-in routes: `/auth/login`, `/auth/callback`, `/auth/logout`, `/auth/signed-out`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", get(login::login))
        .route(CALLBACK_PATH, get(callback::callback))
        .route("/auth/logout", post(logout::logout))
        .route(SIGNED_OUT_PATH, get(logout::signed_out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_origin_issuer_is_written_without_its_slash() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(issuer_text(&u("http://127.0.0.1:4000")), "http://127.0.0.1:4000");
        assert_eq!(issuer_text(&u("https://accounts.google.com/")), "https://accounts.google.com");
        assert_eq!(
            issuer_text(&u("https://login.microsoftonline.com/t/v2.0")),
            "https://login.microsoftonline.com/t/v2.0"
        );
        assert_eq!(issuer_text(&u("https://sts.windows.net/t/")), "https://sts.windows.net/t/", "v1 keeps its slash");
    }

    #[test]
    fn a_ca_bundle_that_cannot_be_used_stops_start_up_naming_it() {
        let dir = std::env::temp_dir().join(format!("replimap-oidc-ca-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let not_pem = dir.join("not-a-bundle.pem");
        std::fs::write(&not_pem, "hello").unwrap();
        for path in [dir.join("missing.pem"), not_pem] {
            let config = OidcConfig { ca_bundle: Some(path.clone()), ..OidcConfig::example() };
            let err = http_client(&config).unwrap_err().to_string();
            assert!(err.contains("auth.oidc.ca_bundle") && err.contains(&path.display().to_string()), "{err}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn only_asymmetric_signatures_are_accepted() {
        assert!(asymmetric(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256));
        assert!(asymmetric(&CoreJwsSigningAlgorithm::EdDsa));
        assert!(!asymmetric(&CoreJwsSigningAlgorithm::HmacSha256));
        assert!(!asymmetric(&CoreJwsSigningAlgorithm::None));
    }
}
