//! Serving: [`router`], [`serve`], and [`spawn`] / [`spawn_on`] which run the
//! emulator in a tokio task and hand back an [`EmulatorHandle`].

use std::future::Future;
use std::net::SocketAddr;

use axum::middleware::from_fn_with_state;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::EmulatorConfig;
use crate::emulator::Emulator;
use crate::envelope::{arm_envelope, ADMIN_PREFIX};
use crate::{admin, dispatch};

/// The emulator's HTTP surface: ARM paths plus the `/_emulator/` admin API.
pub fn router(emu: Emulator) -> Router {
    Router::new()
        .nest(ADMIN_PREFIX, admin::routes())
        .fallback(dispatch::handle)
        .layer(from_fn_with_state(emu.clone(), arm_envelope))
        .with_state(emu)
}

/// Serves `emu` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    emu: Emulator,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(emu))
        .with_graceful_shutdown(shutdown)
        .await
}

/// A running emulator. Dropping it leaves the server running until the
/// runtime ends; call [`EmulatorHandle::shutdown`] to stop it.
pub struct EmulatorHandle {
    addr: SocketAddr,
    emulator: Emulator,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn emulator(&self) -> &Emulator {
        &self.emulator
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
    Ok(EmulatorHandle {
        addr,
        emulator,
        stop,
        task,
    })
}
