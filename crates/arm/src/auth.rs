//! Where bearer tokens come from.

use std::fmt;
use std::sync::Arc;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use azure_identity::{
    AzureCliCredential, ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use url::Url;

use crate::{ArmError, TlsRoots};

/// Which `azure_identity` credential to use against real ARM.
#[derive(Clone)]
pub enum CredentialKind {
    /// Managed identity: system-assigned, or user-assigned when a client id is given.
    ManagedIdentity {
        /// Client id of a user-assigned identity.
        client_id: Option<String>,
    },
    /// Workload identity (federated token file); reads `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`
    /// and `AZURE_FEDERATED_TOKEN_FILE` as the Azure SDKs do.
    WorkloadIdentity,
    /// A service principal with a client secret.
    ClientSecret {
        /// Entra tenant id.
        tenant_id: String,
        /// Application (client) id.
        client_id: String,
        /// The secret; never printed.
        secret: Secret,
    },
    /// The developer's `az login` session.
    AzureCli,
}

impl fmt::Debug for CredentialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets must not reach logs, so only the kind and public ids are shown.
        match self {
            Self::ManagedIdentity { client_id } => write!(f, "ManagedIdentity({client_id:?})"),
            Self::WorkloadIdentity => f.write_str("WorkloadIdentity"),
            Self::ClientSecret { tenant_id, client_id, .. } => {
                write!(f, "ClientSecret(tenant={tenant_id}, client={client_id}, secret=<redacted>)")
            }
            Self::AzureCli => f.write_str("AzureCli"),
        }
    }
}

/// How the client authenticates each request.
#[derive(Clone)]
pub enum Auth {
    /// A fixed token, for the embedded emulator (which accepts any bearer token).
    Static(Secret),
    /// A token credential; it caches and refreshes tokens itself.
    Credential(Arc<dyn TokenCredential>),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Static(_) => f.write_str("Auth::Static(<redacted>)"),
            Self::Credential(c) => write!(f, "Auth::Credential({c:?})"),
        }
    }
}

/// How credentials that sign in reach Microsoft Entra ID.
#[derive(Debug, Clone, Default)]
pub struct AuthOptions {
    /// Entra ID's base URL, `https` only (sovereign clouds: `https://login.microsoftonline.us`,
    /// `https://login.chinacloudapi.cn`; tests: the emulator). `None` leaves the choice to
    /// `azure_identity`: `AZURE_AUTHORITY_HOST`, else `https://login.microsoftonline.com`.
    /// Used by the client-secret and workload-identity credentials.
    pub authority_host: Option<Url>,
    /// Certificate authorities trusted for the credentials' HTTPS (give the same roots as
    /// [`ArmOptions::tls_roots`](crate::ArmOptions::tls_roots)).
    pub tls_roots: TlsRoots,
}

impl AuthOptions {
    /// `azure_core` client options that send through our HTTP client (rustls with these roots).
    fn transport(&self) -> Result<ClientOptions, ArmError> {
        let http = self.tls_roots.identity_http_client().map_err(|e| ArmError::Credential(e.to_string()))?;
        Ok(ClientOptions { transport: Some(Transport::new(Arc::new(http))), ..Default::default() })
    }

    /// Client options for signing in at Entra ID: our transport, the authority host when one
    /// is set, and short retries.
    fn entra(&self) -> Result<ClientOptions, ArmError> {
        let cloud = self.authority_host.as_ref().map(|host| {
            // `CustomConfiguration` is non-exhaustive: built from its default.
            let mut custom = CustomConfiguration::default();
            // azure_identity joins `/{tenant}/oauth2/v2.0/token` to it, so only the origin counts.
            custom.authority_host = host.origin().ascii_serialization();
            Arc::new(CloudConfiguration::Custom(custom))
        });
        // azure_core retries a failed sign-in for up to a minute by default, and every ARM
        // request waits for it meanwhile, even when nothing will change (an untrusted
        // certificate). A few quick retries ride out a blip; the portal's own polling and
        // readiness probe retry after that. (Managed identity keeps the SDK's retries, which
        // follow IMDS's guidance.)
        let retry = RetryOptions::exponential(ExponentialRetryOptions {
            initial_delay: azure_core::time::Duration::milliseconds(200),
            max_retries: 3,
            max_total_elapsed: azure_core::time::Duration::seconds(10),
            max_delay: azure_core::time::Duration::seconds(2),
        });
        Ok(ClientOptions { cloud, retry, ..self.transport()? })
    }
}

impl Auth {
    /// Builds the credential for `kind`; `options` says where and how it signs in.
    pub fn from_kind(kind: &CredentialKind, options: &AuthOptions) -> Result<Self, ArmError> {
        let cred: Arc<dyn TokenCredential> = match kind {
            CredentialKind::ManagedIdentity { client_id } => {
                // The identity endpoint is local (IMDS, App Service): no authority host.
                let options = ManagedIdentityCredentialOptions {
                    user_assigned_id: client_id.clone().map(UserAssignedId::ClientId),
                    client_options: options.transport()?,
                };
                ManagedIdentityCredential::new(Some(options)).map_err(credential_error)?
            }
            CredentialKind::WorkloadIdentity => {
                let options = WorkloadIdentityCredentialOptions {
                    credential_options: ClientAssertionCredentialOptions { client_options: options.entra()? },
                    ..Default::default()
                };
                WorkloadIdentityCredential::new(Some(options)).map_err(credential_error)?
            }
            CredentialKind::ClientSecret { tenant_id, client_id, secret } => {
                let options = ClientSecretCredentialOptions { client_options: options.entra()? };
                ClientSecretCredential::new(tenant_id, client_id.clone(), secret.clone(), Some(options))
                    .map_err(credential_error)?
            }
            CredentialKind::AzureCli => AzureCliCredential::new(None).map_err(credential_error)?,
        };
        Ok(Self::Credential(cred))
    }

    /// The `Authorization` header value for a request to an ARM endpoint with `scope`.
    pub(crate) async fn header(&self, scope: &str) -> Result<String, ArmError> {
        match self {
            Self::Static(token) => Ok(format!("Bearer {}", token.secret())),
            Self::Credential(cred) => {
                let token = cred.get_token(&[scope], None).await.map_err(credential_error)?;
                Ok(format!("Bearer {}", token.token.secret()))
            }
        }
    }
}

/// The error with its causes (`…: error sending request: invalid peer certificate:
/// UnknownIssuer`): azure_core's own message rarely says what went wrong.
fn credential_error(e: azure_core::Error) -> ArmError {
    let mut message = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = c.source();
    }
    ArmError::Credential(message)
}

/// The token scope for an ARM endpoint: its origin plus `/.default`, so sovereign
/// clouds (`management.chinacloudapi.cn`, `management.usgovcloudapi.net`) work unchanged.
pub(crate) fn scope_for(endpoint: &url::Url) -> String {
    format!("{}/.default", endpoint.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_follows_the_endpoint() {
        let public = url::Url::parse("https://management.azure.com/").unwrap();
        assert_eq!(scope_for(&public), "https://management.azure.com/.default");
        let china = url::Url::parse("https://management.chinacloudapi.cn").unwrap();
        assert_eq!(scope_for(&china), "https://management.chinacloudapi.cn/.default");
    }

    fn client_secret() -> CredentialKind {
        CredentialKind::ClientSecret {
            tenant_id: "72f988bf-0000-4000-8000-00000000e0e0".into(),
            client_id: "app1".into(),
            secret: Secret::new("s"),
        }
    }

    /// The client-secret credential signs in at the authority host over HTTPS, trusting the
    /// bundle's CA; without the CA the handshake fails and the error says why.
    #[tokio::test]
    async fn client_secret_signs_in_at_the_authority_host_trusting_the_bundle() {
        let identity = replimap_arm_emulator::TlsIdentity::generate(&[]).unwrap();
        let ca = identity.ca_pem().to_owned();
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let emu = replimap_arm_emulator::spawn_tls_on(addr, Default::default(), identity).await.unwrap();
        let host = Url::parse(&emu.base_url()).unwrap();
        let scope = scope_for(&host);

        let options = AuthOptions {
            authority_host: Some(host.clone()),
            tls_roots: TlsRoots::from_pem(ca.as_bytes(), "ca").unwrap(),
        };
        let auth = Auth::from_kind(&client_secret(), &options).unwrap();
        let header = auth.header(&scope).await.unwrap();
        assert!(header.starts_with("Bearer ey"), "a JWT");
        assert_eq!(emu.emulator().request_stats().tokens_issued, 1);

        let untrusted = AuthOptions { authority_host: Some(host), tls_roots: TlsRoots::default() };
        let err = Auth::from_kind(&client_secret(), &untrusted).unwrap().header(&scope).await.unwrap_err().to_string();
        assert!(err.to_ascii_lowercase().contains("certificate"), "{err}");
        assert_eq!(emu.emulator().request_stats().tokens_issued, 1);
        emu.shutdown().await;
    }

    #[test]
    fn the_authority_host_must_be_https() {
        let options =
            AuthOptions { authority_host: Some(Url::parse("http://login.example").unwrap()), ..Default::default() };
        let err = Auth::from_kind(&client_secret(), &options).unwrap_err().to_string();
        assert!(err.contains("HTTPS"), "{err}");
    }

    #[test]
    fn debug_never_shows_secrets() {
        let kind = CredentialKind::ClientSecret {
            tenant_id: "t".into(),
            client_id: "c".into(),
            secret: Secret::new("hunter2"),
        };
        assert!(!format!("{kind:?}").contains("hunter2"));
        assert!(!format!("{:?}", Auth::Static(Secret::new("hunter2"))).contains("hunter2"));
    }
}
