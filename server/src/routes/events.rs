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

use crate::auth::authz;
use crate::caller::Caller;
use crate::edge::streams::Cap;
use crate::edge::EdgeCounters;
use crate::hub::{Scope, Sequenced, Start, StatusHub};
use crate::state::AppState;

/// The stream's path.
pub const PATH: &str = "/api/v1/events";

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
    /// What this stream's caller may see.
    view: View,
}

/// A stream's filter: a global admin gets the shared frames as they are; anyone else only the
/// events of registries they may read, and snapshots narrowed to those (serialised for them).
#[derive(Clone)]
struct View {
    caller: Option<Caller>,
}

impl View {
    fn new(caller: Caller) -> Self {
        Self { caller: (!authz::is_global_admin(&caller)).then_some(caller) }
    }

    /// The frame to send for `msg`, or `None` if the caller may not see it.
    fn frame(&self, msg: &Sequenced) -> Option<Bytes> {
        let Some(caller) = &self.caller else { return Some(msg.frame.clone()) };
        match &msg.scope {
            Scope::Registry(key) => authz::can_read(caller, key).then(|| msg.frame.clone()),
            Scope::Unscoped => None,
            Scope::Snapshot(_) => msg.narrowed(|k| authz::can_read(caller, k)),
        }
    }
}

impl Live {
    /// The next frame the caller may see, or `None` once the hub is gone.
    async fn next_visible(&mut self) -> Option<Bytes> {
        loop {
            let msg = self.next_message().await?;
            if let Some(frame) = self.view.frame(&msg) {
                return Some(frame);
            }
        }
    }

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
            frame = self.next_visible() => frame?,
            () = tokio::time::sleep(every) => Bytes::from_static(HEARTBEAT),
        };
        Some((frame, self))
    }
}

/// The SSE handler. A stream takes one of the edge's slots (`http.max_streams`, and
/// `http.max_streams_per_identity` for anyone but the local user) for as long as it is open;
/// without one it is refused with 429.
pub async fn stream(State(state): State<AppState>, caller: Caller, headers: HeaderMap) -> Response {
    // The local user is one person by definition (the bench's thousands of clients too).
    let identity = (caller.source() != "local").then(|| caller.identity_key());
    let slot = match state.edge.streams.try_acquire(identity) {
        Ok(slot) => slot,
        Err(cap) => {
            let counters = &state.edge.counters;
            EdgeCounters::bump(match cap {
                Cap::Total => &counters.streams_refused_total,
                Cap::PerIdentity => &counters.streams_refused_identity,
            });
            return state.edge.streams.refusal(cap).into_response();
        }
    };
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
    // The stream ends when the credential it came with does (a token revoked, a sign-out):
    // the page reconnects and learns so, instead of watching on with a dead credential.
    // Only tokens and sessions can end; the local user's and a proxy's streams (the bench's
    // thousands) need no receiver.
    let revocable = caller.session.is_some() || caller.identity.source.token_id().is_some();
    let revoked = {
        let mut ended = revocable.then(|| state.auth.ended.subscribe());
        let caller = caller.clone();
        async move {
            let Some(ended) = ended.as_mut() else { return std::future::pending::<()>().await };
            loop {
                match ended.recv().await {
                    Ok(what) if what.ends(&caller) => return,
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
                }
            }
        }
    };
    let closed = async move {
        tokio::select! {
            () = closed => {}
            () = revoked => {}
        }
    };
    let view = View::new(caller);
    let first: Vec<Bytes> = first.iter().filter_map(|m| view.frame(m)).collect();
    let live = stream::unfold(Live { hub, rx, floor, every, view }, Live::next_frame);
    let frames = stream::iter(first).chain(live).take_until(closed);
    // The body owns the slot: it is freed when the stream ends or the client goes away.
    let body = Body::from_stream(frames.map(move |frame| {
        let _slot = &slot;
        Ok::<_, Infallible>(frame)
    }));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}
