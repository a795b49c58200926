//! What one request may cost: its time (`http.request_timeout_secs`) and its body
//! (`http.max_body_bytes`). Both answer the JSON envelope.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, BodyDataStream};
use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use replimap_types::ErrorCode;
use tracing::Instrument;

use super::{Edge, EdgeCounters};
use crate::error::AppError;

/// Answers 503 when a request takes longer than `http.request_timeout_secs` to produce its
/// response (a body already streaming, such as an export, is not cut). The event stream is
/// exempt: it is meant to stay open.
///
/// A read is simply dropped at the deadline. A write is not: it may already be in the audit
/// trail and at ARM, and dropping it half-way would leave its record unfinished, so it runs on
/// in a task of its own and completes its record while the client is told to come back (a
/// retry with the same `Idempotency-Key` gets the write's answer once it has one). The same
/// task keeps a write going when the client disconnects.
pub async fn timeout(State(edge): State<Arc<Edge>>, req: Request, next: Next) -> Response {
    if crate::routes::is_event_stream(req.uri().path()) {
        return next.run(req).await;
    }
    let after = edge.request_timeout;
    let answer = if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        tokio::time::timeout(after, next.run(req)).await.ok()
    } else {
        let write = tokio::spawn(next.run(req).in_current_span());
        match tokio::time::timeout(after, write).await {
            Ok(Ok(resp)) => Some(resp),
            Ok(Err(e)) => {
                // A panic in a handler: a 500 for the client, the detail in the log.
                tracing::error!(error = %e, "a write's handler panicked");
                return AppError::new(ErrorCode::Internal, "The portal failed while handling the request.")
                    .into_response();
            }
            Err(_) => None,
        }
    };
    answer.unwrap_or_else(|| {
        EdgeCounters::bump(&edge.counters.request_timeouts);
        timed_out(after).into_response()
    })
}

fn timed_out(after: Duration) -> AppError {
    AppError::new(
        ErrorCode::Unavailable,
        format!(
            "The portal did not answer within {} s (http.request_timeout_secs); a write goes on and is \
             recorded in the audit trail. Try again later.",
            after.as_secs()
        ),
    )
}

/// Refuses a request body over `http.max_body_bytes` with 413, before any handler reads it: at
/// once when `Content-Length` says so, otherwise (a chunked body) as soon as reading it here
/// passes the limit. A body within the limit is passed on whole.
///
/// The 413 is sent at once, and the rest of the body is read and thrown away for a moment
/// ([`discard`]): a client still sending would otherwise get a connection reset instead of the
/// answer, as closing a socket with unread data resets it. A client that sent
/// `Expect: 100-continue` is waiting to be asked for its body, so it is not.
pub async fn body(State(edge): State<Arc<Edge>>, req: Request, next: Next) -> Response {
    let max = edge.max_body_bytes;
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    let waits_to_send = req.headers().get(header::EXPECT).is_some();
    let too_large = |rest: Option<BodyDataStream>| {
        EdgeCounters::bump(&edge.counters.bodies_too_large);
        if let Some(rest) = rest.filter(|_| !waits_to_send) {
            tokio::spawn(discard(rest));
        }
        AppError::new(
            ErrorCode::PayloadTooLarge,
            format!("The request body is larger than {max} bytes (http.max_body_bytes)."),
        )
        .into_response()
    };
    match declared {
        Some(n) if n > max as u64 => too_large(Some(req.into_body().into_data_stream())),
        // hyper ends a body at its Content-Length, so it is within the limit.
        Some(_) => next.run(req).await,
        None if axum::body::HttpBody::is_end_stream(req.body()) => next.run(req).await,
        None => {
            let (parts, body) = req.into_parts();
            let mut chunks = body.into_data_stream();
            let mut read = Vec::new();
            while let Some(chunk) = chunks.next().await {
                let Ok(chunk) = chunk else {
                    return AppError::new(ErrorCode::BadRequest, "The request body was cut off.").into_response();
                };
                if read.len() + chunk.len() > max {
                    return too_large(Some(chunks));
                }
                read.extend_from_slice(&chunk);
            }
            next.run(Request::from_parts(parts, Body::from(read))).await
        }
    }
}

/// How long, and how much of, a refused body is read and thrown away before the connection is
/// closed (nginx calls this a lingering close).
const DISCARD_FOR: Duration = Duration::from_secs(2);
const DISCARD_AT_MOST: usize = 16 * 1024 * 1024;

/// Reads what is left of a refused body, within [`DISCARD_FOR`] and [`DISCARD_AT_MOST`].
async fn discard(mut rest: BodyDataStream) {
    let drained = async {
        let mut read = 0;
        while let Some(Ok(chunk)) = rest.next().await {
            read += chunk.len();
            if read > DISCARD_AT_MOST {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DISCARD_FOR, drained).await;
}
