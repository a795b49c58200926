//! The accept loop: HTTP/1.1 on hyper with a header-read timeout, a cap on open connections
//! and graceful shutdown, in place of `axum::serve`, which has neither timeout nor cap.
//!
//! - **Header timeout.** A client must send a request's head within `http.header_timeout_secs`
//!   of connecting or of its previous answer, so a slowloris that sends half a request line, or
//!   an idle keep-alive connection, holds its socket and slot that long at most. A response
//!   being written (the event stream) is not timed.
//! - **Connection cap.** Past `http.max_connections` a new connection is closed as soon as it
//!   is accepted (and counted), so an overload sheds the newest clients instead of queueing
//!   them without end or running out of file descriptors; the ones already served carry on.
//! - **Memory per connection.** The router is built once and shared (an `Arc`); a connection
//!   adds only hyper's buffers and a closure holding the peer's address. HTTP/1 alone (as
//!   axum's features served before) skips the auto builder's HTTP/2 sniffing, which doubled
//!   the read buffer (docs/measurements.md).
//! - **Shutdown.** When the shutdown future resolves (it closes the hub, so event streams
//!   end), the listener is dropped, every connection finishes its request in flight and
//!   closes, and [`serve`] returns once the last one has.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use futures::FutureExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

use super::EdgeCounters;

/// Largest request head (request line and headers) read; hyper answers a larger one with 431.
/// hyper's own default is about 400 KiB; a browser's head is a few KiB.
const MAX_HEAD: usize = 64 * 1024;

/// What the loop enforces.
#[derive(Debug, Clone)]
pub struct ServeLimits {
    /// A request's head must arrive within this.
    pub header_timeout: Duration,
    /// Open connections at most (held as permits of this semaphore).
    pub connections: Arc<Semaphore>,
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains the open connections.
/// Every request carries `ConnectInfo<SocketAddr>` (the TCP peer) in its extensions.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    counters: Arc<EdgeCounters>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true).max_buf_size(MAX_HEAD);
    let http = Arc::new(http);
    // `stop` tells the connections to finish; each holds a `done` receiver, so `closed()`
    // resolves once the last one has ended.
    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, done_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = limits.connections.clone().try_acquire_owned() else {
            counters.connections_refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::debug!(peer = %peer, "connection refused: http.max_connections reached");
            drop(stream);
            continue;
        };
        let conn = Conn { http: http.clone(), app: app.clone(), counters: counters.clone(), permit };
        tokio::spawn(conn.run(stream, peer, stop_rx.clone(), done_rx.clone()));
    }
    drop(listener);
    tracing::info!("no longer accepting connections; finishing the requests in flight");
    let _ = stop_tx.send(true);
    drop(done_rx);
    done_tx.closed().await;
    Ok(())
}

/// One accepted connection and what it holds until it closes.
struct Conn {
    http: Arc<hyper::server::conn::http1::Builder>,
    app: Router,
    counters: Arc<EdgeCounters>,
    /// Its slot under `http.max_connections`, freed on drop.
    permit: OwnedSemaphorePermit,
}

impl Conn {
    async fn run(
        self,
        stream: TcpStream,
        peer: SocketAddr,
        mut stop: watch::Receiver<bool>,
        _done: watch::Receiver<()>,
    ) {
        // Event frames are small and must not wait for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let app = self.app;
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req.map(Body::new))
        });
        let conn = self.http.serve_connection(TokioIo::new(stream), service);
        let mut conn = std::pin::pin!(conn);
        let stopping = stop.wait_for(|stop| *stop).map(|_| ()).fuse();
        let mut stopping = std::pin::pin!(stopping);
        let result = loop {
            tokio::select! {
                result = conn.as_mut() => break result,
                () = &mut stopping => conn.as_mut().graceful_shutdown(),
            }
        };
        match result {
            Ok(()) => {}
            Err(e) if e.is_timeout() => {
                self.counters.header_timeouts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::debug!(peer = %peer, "connection closed: no request head within http.header_timeout_secs");
            }
            Err(e) => tracing::debug!(peer = %peer, error = %e, "connection ended with an error"),
        }
        drop(self.permit);
    }
}

/// An accept error: a connection that died in the queue is skipped; anything else (out of file
/// descriptors, say) is logged and the loop pauses, as a tight retry would spin on it.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind as K;
    if matches!(e.kind(), K::ConnectionAborted | K::ConnectionRefused | K::ConnectionReset) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed; pausing for a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
