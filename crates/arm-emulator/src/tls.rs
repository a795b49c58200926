//! HTTPS for real clients: `az` and the Python SDK refuse to send a bearer
//! token over plain http (arm-facts §9), so the emulator can also serve TLS.
//!
//! [`TlsIdentity::generate`] makes a throw-away CA and a server certificate for
//! `localhost`/`127.0.0.1`/`::1` signed by it; the CA's PEM is what a client
//! trusts (`REQUESTS_CA_BUNDLE`). Both are new on every start: nothing secret is
//! ever written to disk, only the CA *certificate*.
//!
//! [`TlsListener`] plugs into `axum::serve`. Handshakes run in their own tasks
//! so a client that connects and says nothing cannot stall the others.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// Names every generated server certificate covers.
const DEFAULT_HOSTS: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// A handshake that takes longer than this is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Handshaken connections waiting for `accept`.
const BACKLOG: usize = 64;

/// A CA certificate (PEM, for clients) and the server certificate and key it
/// signed (for the listener).
#[derive(Clone)]
pub struct TlsIdentity {
    ca_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
}

impl std::fmt::Debug for TlsIdentity {
    // The private key stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity").finish_non_exhaustive()
    }
}

fn tls_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("TLS setup: {e}"))
}

impl TlsIdentity {
    /// A new CA and a server certificate for `localhost`, `127.0.0.1`, `::1`
    /// and `extra_hosts` (DNS names or IP addresses).
    pub fn generate(extra_hosts: &[String]) -> std::io::Result<Self> {
        let now = time::OffsetDateTime::now_utc();
        // A day of slack for clocks that disagree; ten years so a demo never expires.
        let (from, until) = (now - time::Duration::days(1), now + time::Duration::days(3650));

        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(tls_err)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        ca.distinguished_name = name("replimap ARM emulator CA");
        (ca.not_before, ca.not_after) = (from, until);
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().map_err(tls_err)?).map_err(tls_err)?;

        let mut hosts: Vec<String> = DEFAULT_HOSTS.iter().map(|h| (*h).to_owned()).collect();
        hosts.extend(extra_hosts.iter().filter(|h| !hosts.contains(h)).cloned().collect::<Vec<_>>());
        let mut leaf = CertificateParams::new(hosts).map_err(tls_err)?;
        leaf.distinguished_name = name("localhost");
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.use_authority_key_identifier_extension = true;
        (leaf.not_before, leaf.not_after) = (from, until);
        let leaf_key = KeyPair::generate().map_err(tls_err)?;
        let leaf = leaf.signed_by(&leaf_key, &ca).map_err(tls_err)?;

        Ok(Self {
            ca_pem: ca.pem(),
            chain: vec![leaf.der().clone(), ca.der().clone()],
            key: Arc::new(PrivateKeyDer::from(leaf_key)),
        })
    }

    /// The CA certificate clients should trust, PEM-encoded.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Writes [`Self::ca_pem`] to `path`, creating parent folders.
    pub fn write_ca_pem(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, &self.ca_pem)
    }

    /// A rustls server config (ring provider) offering HTTP/1.1 only: the
    /// emulator's clients all speak it, and it keeps ALPN simple.
    fn server_config(&self) -> std::io::Result<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls_err)?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(tls_err)?;
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(cfg)
    }
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn.push(DnType::OrganizationName, "replimap");
    dn
}

/// A TCP listener that hands `axum::serve` connections after the TLS handshake.
pub struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    /// Starts accepting on `listener`; must be called inside a tokio runtime.
    /// The accept task ends when the listener is dropped.
    pub fn new(listener: TcpListener, identity: &TlsIdentity) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let acceptor = TlsAcceptor::from(Arc::new(identity.server_config()?));
        let (tx, ready) = mpsc::channel(BACKLOG);
        tokio::spawn(accept_loop(listener, acceptor, tx));
        Ok(Self { local, ready })
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        // Stop (and free the port) as soon as the server drops its listener.
        let accepted = tokio::select! {
            () = tx.closed() => return,
            a = listener.accept() => a,
        };
        let (tcp, peer) = match accepted {
            Ok(c) => c,
            // Out of file descriptors and the like: back off instead of spinning.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let (acceptor, tx) = (acceptor.clone(), tx.clone());
        tokio::spawn(async move {
            // A failed handshake (e.g. a client that does not trust the CA) is
            // the client's problem; it simply gets no connection.
            if let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                let _ = tx.send((tls, peer)).await;
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            // The accept task only stops when we are gone; never yield a connection.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
