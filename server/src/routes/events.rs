//! `GET /api/v1/events`: the status stream (server-sent events).
//!
//! A snapshot first (or, on reconnect with `Last-Event-ID`, the missed events),
//! then deltas with increasing ids. A client that falls too far behind gets a fresh
//! snapshot instead of blocking anyone: the hub's broadcast never waits for readers.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use crate::hub::{Sequenced, Start, StatusHub};
use crate::state::AppState;

/// The keep-alive is a named `heartbeat` event rather than an SSE comment: comments never
/// reach the page's script, and the page needs a pulse to tell a quiet stream from a dead
/// one (a half-open connection raises no error in the browser). It carries `{}` because a
/// browser drops an event without a `data` line, and axum writes none for empty data.
fn heartbeat() -> Event {
    Event::default().event("heartbeat").data("{}")
}

fn to_event(m: &Sequenced) -> Event {
    Event::default().id(m.id.to_string()).data(&m.json)
}

/// The SSE handler.
pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let last = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    let hub = state.hub.clone();
    let closed = hub.closed();
    let (start, rx) = hub.subscribe(last);
    let first: Vec<Arc<Sequenced>> = match start {
        Start::Snapshot(s) => vec![s],
        Start::Replay(missed) => missed,
    };
    let floor = first.last().map(|m| m.id).or(last).unwrap_or(0);
    let live = stream::unfold((hub, rx, floor), |(hub, mut rx, mut floor): (StatusHub, _, u64)| async move {
        loop {
            let msg = match rx.recv().await {
                Ok(m) => m,
                Err(RecvError::Lagged(n)) => {
                    tracing::debug!(skipped = n, "SSE client lagged; sending a fresh snapshot");
                    hub.snapshot()
                }
                Err(RecvError::Closed) => return None,
            };
            // After a resync snapshot the channel still holds older events; replaying
            // them on top of the snapshot would move the client back in time.
            if msg.id <= floor && !msg.snapshot {
                continue;
            }
            floor = floor.max(msg.id);
            return Some((msg, (hub, rx, floor)));
        }
    });
    let all = stream::iter(first).chain(live).map(|m| Ok(to_event(&m))).take_until(closed);
    // Idle proxies commonly close streams after 30-60 s of silence (default every 15 s).
    let every = Duration::from_secs(state.ui.heartbeat_secs.max(1));
    Sse::new(all).keep_alive(KeepAlive::new().interval(every).event(heartbeat()))
}
