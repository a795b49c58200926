//! Serving: [`router`], [`serve`] (http) and [`serve_tls`] (https), and
//! [`spawn`] / [`spawn_on`] / [`spawn_tls_on`] which run the emulator in a
//! tokio task and hand back an [`EmulatorHandle`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use azure_core::credentials::TokenCredential;

use axum::extract::{Request, State};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use axum::{Extension, Router};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::EmulatorConfig;
use crate::ctx::ServedOverTls;
use crate::emulator::Emulator;
use crate::envelope::{arm_envelope, ADMIN_PREFIX};
use crate::tls::{TlsIdentity, TlsListener};
use crate::{admin, dispatch};

/// The emulator's HTTP surface: ARM paths, the identity endpoints `az` and
/// the SDK need (`/metadata/endpoints`, OIDC discovery, token), and the
/// `/_emulator/` admin API.
pub fn router(emu: Emulator) -> Router {
    Router::new()
        .nest(ADMIN_PREFIX, admin::routes().merge(crate::admin_workloads::routes()))
        .route(crate::retail::PATH, axum::routing::get(crate::retail::prices))
        .fallback(dispatch::handle)
        .layer(from_fn_with_state(emu.clone(), arm_envelope))
        .layer(from_fn_with_state(emu.clone(), persist_after))
        .with_state(emu)
}

/// Saves the state file (when configured) after every write: comparing the state is
/// simpler and safer than knowing which requests change it. Reads (including Resource
/// Graph's POST, which reads) save it at most once a second.
async fn persist_after(State(emu): State<Emulator>, req: Request, next: Next) -> Response {
    let read = matches!(*req.method(), axum::http::Method::GET | axum::http::Method::HEAD)
        || req.uri().path().eq_ignore_ascii_case("/providers/Microsoft.ResourceGraph/resources");
    let resp = next.run(req).await;
    if read {
        emu.persist_after_read();
    } else {
        emu.persist();
    }
    resp
}

/// Serves `emu` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    emu: Emulator,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(emu)).with_graceful_shutdown(shutdown).await
}

/// Serves `emu` over HTTPS with `identity`'s certificate on `listener` until
/// `shutdown` resolves. URLs the emulator emits then start with `https://`.
pub async fn serve_tls(
    listener: TcpListener,
    emu: Emulator,
    identity: &TlsIdentity,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = TlsListener::new(listener, identity)?;
    axum::serve(listener, router(emu).layer(Extension(ServedOverTls))).with_graceful_shutdown(shutdown).await
}

/// A running emulator. Dropping it leaves the server running until the
/// runtime ends; call [`EmulatorHandle::shutdown`] to stop it.
pub struct EmulatorHandle {
    addr: SocketAddr,
    tls: bool,
    emulator: Emulator,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT` (`https://` from [`spawn_tls_on`]), no trailing slash.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn emulator(&self) -> &Emulator {
        &self.emulator
    }

    /// A credential for in-process clients (e.g. `replimap_arm::Auth::Credential`): it signs
    /// tokens with this emulator's key and token lifetime, caches one, and replaces it
    /// shortly before it expires, as `azure_identity` credentials do. Each call makes a new
    /// credential with its own cache.
    pub fn credential(&self) -> Arc<dyn TokenCredential> {
        crate::credential::EmulatorCredential::shared(self.emulator.clone(), &self.base_url())
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn shutdown(self) {
        // An error only means the server already stopped.
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Binds `127.0.0.1:0` and serves in a background task.
pub async fn spawn(config: EmulatorConfig) -> std::io::Result<EmulatorHandle> {
    spawn_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
}

/// Binds `addr` (port 0 picks a free port) and serves in a background task.
pub async fn spawn_on(addr: SocketAddr, config: EmulatorConfig) -> std::io::Result<EmulatorHandle> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let emulator = Emulator::new(config);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, emulator.clone(), async move {
        let _ = stopped.await;
    }));
    Ok(EmulatorHandle { addr, tls: false, emulator, stop, task })
}

/// Like [`spawn_on`] but serves HTTPS with `identity` (see [`TlsIdentity`]).
pub async fn spawn_tls_on(
    addr: SocketAddr,
    config: EmulatorConfig,
    identity: TlsIdentity,
) -> std::io::Result<EmulatorHandle> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let emulator = Emulator::new(config);
    let (stop, stopped) = oneshot::channel::<()>();
    let emu = emulator.clone();
    let task = tokio::spawn(async move {
        serve_tls(listener, emu, &identity, async move {
            let _ = stopped.await;
        })
        .await
    });
    Ok(EmulatorHandle { addr, tls: true, emulator, stop, task })
}
