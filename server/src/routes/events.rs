//! `GET /api/v1/events`: the status stream (server-sent events).
//!
//! A snapshot first (or, on reconnect with `Last-Event-ID`, the missed events),
//! then deltas with increasing ids. A client that falls too far behind gets a fresh
//! snapshot instead of blocking anyone: the hub's broadcast never waits for readers.
//!
//! The body is the hub's frames themselves ([`Sequenced::frame`], serialised once for every
//! client), not axum's `Sse`, whose `Event` copies each event into a buffer of its own per
//! client: with thousands of clients a change would be serialised and copied thousands of times.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, StreamExt};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::hub::{Sequenced, Start, StatusHub};
use crate::state::AppState;

/// The keep-alive is a named `heartbeat` event rather than an SSE comment: comments never
/// reach the page's script, and the page needs a pulse to tell a quiet stream from a dead
/// one (a half-open connection raises no error in the browser). It carries `{}` because a
/// browser drops an event without a `data` line.
const HEARTBEAT: &[u8] = b"event: heartbeat\ndata: {}\n\n";

/// One client's place in the live part of the stream.
struct Live {
    hub: StatusHub,
    rx: broadcast::Receiver<Arc<Sequenced>>,
    /// The newest id sent; older events still in the channel are skipped.
    floor: u64,
    /// Silence after which a heartbeat is sent.
    every: Duration,
}

impl Live {
    /// The next event to send, or `None` once the hub is gone.
    async fn next_message(&mut self) -> Option<Arc<Sequenced>> {
        loop {
            let msg = match self.rx.recv().await {
                Ok(m) => m,
                Err(RecvError::Lagged(n)) => {
                    tracing::debug!(skipped = n, "SSE client lagged; sending a fresh snapshot");
                    self.hub.snapshot()
                }
                Err(RecvError::Closed) => return None,
            };
            // After a resync snapshot the channel still holds older events; replaying
            // them on top of the snapshot would move the client back in time.
            if msg.id <= self.floor && !msg.snapshot {
                continue;
            }
            self.floor = self.floor.max(msg.id);
            return Some(msg);
        }
    }

    /// The next frame: an event, or a heartbeat after `every` of silence (as axum's
    /// `KeepAlive` does, the timer restarts with every event).
    async fn next_frame(mut self) -> Option<(Bytes, Self)> {
        let every = self.every;
        let frame = tokio::select! {
            msg = self.next_message() => msg?.frame.clone(),
            () = tokio::time::sleep(every) => Bytes::from_static(HEARTBEAT),
        };
        Some((frame, self))
    }
}

/// The SSE handler.
pub async fn stream(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let last = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    let hub = state.hub.clone();
    let closed = hub.closed();
    let (start, rx) = hub.subscribe(last);
    let first: Vec<Arc<Sequenced>> = match start {
        Start::Snapshot(s) => vec![s],
        Start::Replay(missed) => missed,
    };
    let floor = first.last().map(|m| m.id).or(last).unwrap_or(0);
    // Idle proxies commonly close streams after 30-60 s of silence (default every 15 s).
    let every = Duration::from_secs(state.ui.heartbeat_secs.max(1));
    let live = stream::unfold(Live { hub, rx, floor, every }, Live::next_frame);
    let frames = stream::iter(first).map(|m| m.frame.clone()).chain(live).take_until(closed);
    let body = Body::from_stream(frames.map(Ok::<_, Infallible>));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}
