//! Where bearer tokens come from.

use std::fmt;
use std::sync::Arc;

use azure_core::credentials::{Secret, TokenCredential};
use azure_identity::{
    AzureCliCredential, ClientSecretCredential, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId, WorkloadIdentityCredential,
};

use crate::ArmError;

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

impl Auth {
    /// Builds the credential for `kind`.
    pub fn from_kind(kind: &CredentialKind) -> Result<Self, ArmError> {
        let cred: Arc<dyn TokenCredential> = match kind {
            CredentialKind::ManagedIdentity { client_id } => {
                let options = ManagedIdentityCredentialOptions {
                    user_assigned_id: client_id.clone().map(UserAssignedId::ClientId),
                    ..Default::default()
                };
                ManagedIdentityCredential::new(Some(options)).map_err(credential_error)?
            }
            CredentialKind::WorkloadIdentity => WorkloadIdentityCredential::new(None).map_err(credential_error)?,
            CredentialKind::ClientSecret { tenant_id, client_id, secret } => {
                ClientSecretCredential::new(tenant_id, client_id.clone(), secret.clone(), None)
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

fn credential_error(e: azure_core::Error) -> ArmError {
    ArmError::Credential(e.to_string())
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
