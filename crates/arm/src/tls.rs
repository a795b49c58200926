//! Which certificate authorities the portal trusts for HTTPS to ARM and to Entra ID.
//!
//! Both HTTP stacks (our reqwest 0.12 client for ARM, and the reqwest 0.13 client that
//! `azure_identity` signs in with) trust the same roots: Mozilla's, as the `webpki-roots`
//! crate ships them, plus any extra CA certificates from a PEM bundle (a TLS-inspecting
//! proxy's, a private cloud's, the emulator's in tests).

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

/// Trusted certificate authorities: the public web roots, plus extra ones.
///
/// `TlsRoots::default()` trusts the public roots only.
#[derive(Clone, Default)]
pub struct TlsRoots {
    /// DER of each extra CA certificate, each checked to be a usable trust anchor.
    extra: Arc<Vec<CertificateDer<'static>>>,
    /// Where they came from (the bundle's path), for messages.
    origin: Option<String>,
}

impl fmt::Debug for TlsRoots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsRoots").field("extra", &self.extra.len()).field("origin", &self.origin).finish()
    }
}

/// A CA bundle that cannot be used; the message names it.
#[derive(Debug, thiserror::Error)]
#[error("CA bundle {origin}: {problem}")]
pub struct CaBundleError {
    origin: String,
    problem: String,
}

impl CaBundleError {
    fn new(origin: &str, problem: impl Into<String>) -> Self {
        Self { origin: origin.to_owned(), problem: problem.into() }
    }
}

impl TlsRoots {
    /// The public roots plus every `CERTIFICATE` in the PEM file at `path`.
    ///
    /// Fails, naming the file, when it cannot be read, holds no certificate, or holds one
    /// that is malformed or not usable as a trust anchor. Other PEM sections are ignored.
    pub fn from_pem_file(path: &Path) -> Result<Self, CaBundleError> {
        let origin = path.display().to_string();
        let pem = std::fs::read(path).map_err(|e| CaBundleError::new(&origin, format!("cannot be read: {e}")))?;
        Self::from_pem(&pem, &origin)
    }

    /// The public roots plus every `CERTIFICATE` in `pem`; `origin` names it in errors.
    pub fn from_pem(pem: &[u8], origin: &str) -> Result<Self, CaBundleError> {
        let mut extra = Vec::new();
        for (i, cert) in CertificateDer::pem_slice_iter(pem).enumerate() {
            let cert = cert.map_err(|e| CaBundleError::new(origin, format!("is not valid PEM: {e}")))?;
            // Parse it as a trust anchor now, so a bad certificate stops start-up rather than
            // the first sign-in.
            rustls::RootCertStore::empty()
                .add(cert.clone())
                .map_err(|e| CaBundleError::new(origin, format!("certificate {} is not usable: {e}", i + 1)))?;
            extra.push(cert);
        }
        if extra.is_empty() {
            return Err(CaBundleError::new(origin, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
        }
        Ok(Self { extra: Arc::new(extra), origin: Some(origin.to_owned()) })
    }

    /// How many extra certificates are trusted.
    pub fn extra_count(&self) -> usize {
        self.extra.len()
    }

    /// The extra certificates for a reqwest 0.12 builder (`add_root_certificate`).
    pub(crate) fn reqwest_certificates(&self) -> Result<Vec<reqwest::Certificate>, CaBundleError> {
        self.extra
            .iter()
            .map(|der| {
                reqwest::Certificate::from_der(der).map_err(|e| CaBundleError::new(self.origin(), e.to_string()))
            })
            .collect()
    }

    fn origin(&self) -> &str {
        self.origin.as_deref().unwrap_or("(none)")
    }

    /// A rustls client configuration (ring) trusting these roots.
    fn rustls_config(&self) -> Result<rustls::ClientConfig, CaBundleError> {
        let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        for (i, der) in self.extra.iter().enumerate() {
            roots
                .add(der.clone())
                .map_err(|e| CaBundleError::new(self.origin(), format!("certificate {} is not usable: {e}", i + 1)))?;
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| CaBundleError::new(self.origin(), format!("TLS set-up failed: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(config)
    }

    /// The HTTP client `azure_identity` credentials send their requests with.
    ///
    /// azure_core 1.x speaks reqwest 0.13, and builds its default client without TLS unless
    /// its `reqwest_rustls` feature (aws-lc-rs) is on; this one uses rustls with ring and
    /// these roots. Settings follow azure_core's default client: no redirects, 20 s to
    /// connect, 60 s between reads.
    pub(crate) fn identity_http_client(&self) -> Result<reqwest013::Client, CaBundleError> {
        // Any reqwest 0.13 client built without a preconfigured TLS backend (azure_core's
        // default one, should some credential make it) panics unless the process has a
        // default rustls provider: make that ring too. `Err` only means one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest013::Client::builder()
            .tls_backend_preconfigured(self.rustls_config()?)
            .connect_timeout(Duration::from_secs(20))
            .read_timeout(Duration::from_secs(60))
            .redirect(reqwest013::redirect::Policy::none())
            .build()
            .map_err(|e| CaBundleError::new(self.origin(), format!("HTTP client set-up failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_must_hold_usable_certificates_and_errors_name_the_file() {
        let ca = replimap_arm_emulator::TlsIdentity::generate(&[]).unwrap();
        let roots = TlsRoots::from_pem(ca.ca_pem().as_bytes(), "ca.pem").unwrap();
        assert_eq!(roots.extra_count(), 1);
        assert!(roots.identity_http_client().is_ok());
        assert_eq!(roots.reqwest_certificates().unwrap().len(), 1);

        let none = TlsRoots::from_pem(b"just text\n", "/etc/proxy.pem").unwrap_err().to_string();
        assert!(none.contains("/etc/proxy.pem") && none.contains("no PEM certificate"), "{none}");
        let bad_base64 = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        let bad = TlsRoots::from_pem(bad_base64, "/etc/proxy.pem").unwrap_err().to_string();
        assert!(bad.contains("/etc/proxy.pem") && bad.contains("not valid PEM"), "{bad}");
        let not_x509 = b"-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n";
        let junk = TlsRoots::from_pem(not_x509, "/etc/proxy.pem").unwrap_err().to_string();
        assert!(junk.contains("certificate 1 is not usable"), "{junk}");

        let missing = std::env::temp_dir().join(format!("replimap-no-such-{}.pem", uuid::Uuid::new_v4()));
        let err = TlsRoots::from_pem_file(&missing).unwrap_err().to_string();
        assert!(err.contains(&missing.display().to_string()) && err.contains("cannot be read"), "{err}");
        assert_eq!(TlsRoots::default().extra_count(), 0);
    }
}
