//! The HTTP edge: what stands between the network and the routes. Each limit is one
//! `[http]` setting ([`crate::config::HttpConfig`]), enforced in one place and counted in
//! `/metrics` when it refuses something:
//!
//! - [`serve`]: the accept loop (header timeout, connection cap, graceful shutdown);
//! - [`limits`]: the request timeout and the body-size limit;
//! - [`headers`]: the security headers and the page's CSP nonce;
//! - [`streams`]: the event-stream caps, in total and per identity.

pub mod headers;
pub mod limits;
pub mod serve;
pub mod streams;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::Secret;
use tokio::sync::Semaphore;

use crate::config::HttpConfig;

/// What the edge refused, for `/metrics`.
#[derive(Debug, Default)]
pub struct EdgeCounters {
    /// Connections closed on accept because `http.max_connections` were open.
    pub connections_refused: AtomicU64,
    /// Connections closed because no request head arrived within the header timeout
    /// (slow clients, and idle keep-alive connections).
    pub header_timeouts: AtomicU64,
    /// Requests answered 503 after `http.request_timeout_secs`.
    pub request_timeouts: AtomicU64,
    /// Requests refused 413 for a body over `http.max_body_bytes`.
    pub bodies_too_large: AtomicU64,
    /// Event streams refused at `http.max_streams`.
    pub streams_refused_total: AtomicU64,
    /// Event streams refused at `http.max_streams_per_identity`.
    pub streams_refused_identity: AtomicU64,
}

impl EdgeCounters {
    /// Adds one to `counter`.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads `counter`.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// The edge's shared state: its settings, counters and slots.
pub struct Edge {
    /// Refusals, for `/metrics`.
    pub counters: Arc<EdgeCounters>,
    /// One permit per open connection, `http.max_connections` in all.
    pub connections: Arc<Semaphore>,
    /// `http.max_connections`.
    pub max_connections: usize,
    /// `http.request_timeout_secs`.
    pub request_timeout: Duration,
    /// `http.max_body_bytes`.
    pub max_body_bytes: usize,
    /// The event-stream slots.
    pub streams: streams::StreamSlots,
    /// The header values every response gets.
    pub headers: headers::SecurityHeaders,
    /// The token `/metrics` requires, if any.
    pub metrics_token: Option<Secret>,
}

impl Edge {
    /// The edge for these settings; `tile_url` is the page's tile source (`ui.tile_url`), which
    /// the CSP lets images come from.
    pub fn new(http: &HttpConfig, tile_url: Option<&str>) -> Self {
        Self {
            counters: Arc::default(),
            connections: Arc::new(Semaphore::new(http.max_connections.min(Semaphore::MAX_PERMITS))),
            max_connections: http.max_connections,
            request_timeout: http.request_timeout,
            max_body_bytes: http.max_body_bytes,
            streams: streams::StreamSlots::new(http.max_streams, http.max_streams_per_identity),
            headers: headers::SecurityHeaders::new(http.public_url.as_ref(), tile_url),
            metrics_token: http.metrics_token.clone(),
        }
    }

    /// Connections open now.
    pub fn connections_open(&self) -> usize {
        self.max_connections.saturating_sub(self.connections.available_permits())
    }
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The metrics token is a secret: only whether one is set is printed.
        f.debug_struct("Edge")
            .field("max_connections", &self.max_connections)
            .field("request_timeout", &self.request_timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("metrics_token", &self.metrics_token.is_some())
            .finish_non_exhaustive()
    }
}
