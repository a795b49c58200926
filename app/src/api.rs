//! The only data access of the page: calls to `/api/v1` and the status stream.
//!
//! Browser-only (compiled with `hydrate`): the server renders a skeleton and never calls
//! its own API. Every state-changing request carries `x-replimap-csrf: 1`, which the server
//! demands as CSRF protection (a cross-site form cannot set a custom header).

use std::cell::RefCell;
use std::rc::Rc;

use replimap_types::{
    ApiError, CreateReplication, RegistryKey, Replication, ReplicationName, StatusEvent, UpdateReplication, CSRF_HEADER,
};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{EventSource, MessageEvent, RequestInit, Response};

const API: &str = "/api/v1";

/// A failed call, as a sentence for the alert.
pub type Failure = String;

/// `PUT …/replications/{name}`: asks ARM for a replica. `Ok` means the portal answered 202:
/// accepted, not done.
pub async fn create_replication(
    registry: &RegistryKey,
    name: &ReplicationName,
    body: &CreateReplication,
) -> Result<Replication, Failure> {
    let body = crate::json::to_string(body).map_err(|e| format!("Could not encode the request: {e}"))?;
    let response = send("PUT", &replication_url(registry, name), Some(&body)).await?;
    json(&response).await
}

/// `PATCH …/replications/{name}`: changes routing and tags (`Ok`: 202, accepted).
pub async fn update_replication(
    registry: &RegistryKey,
    name: &ReplicationName,
    body: &UpdateReplication,
) -> Result<(), Failure> {
    let body = crate::json::to_string(body).map_err(|e| format!("Could not encode the request: {e}"))?;
    let response = send("PATCH", &replication_url(registry, name), Some(&body)).await?;
    drain(response).await;
    Ok(())
}

/// `DELETE …/replications/{name}`: asks ARM to remove a replica (`Ok`: 202, accepted).
pub async fn delete_replication(registry: &RegistryKey, name: &ReplicationName) -> Result<(), Failure> {
    let response = send("DELETE", &replication_url(registry, name), None).await?;
    drain(response).await;
    Ok(())
}

/// Reads an ignored body: an unread body is cancelled when the Response is collected,
/// which the browser reports as a failed request.
async fn drain(response: Response) {
    if let Ok(promise) = response.text() {
        let _ = JsFuture::from(promise).await;
    }
}

/// Any JSON document served by the portal (used for the static world outline), as a JS value.
pub async fn static_json(url: &str) -> Result<JsValue, Failure> {
    let response = send("GET", url, None).await?;
    let promise = response.json().map_err(|e| describe_js(&e))?;
    JsFuture::from(promise).await.map_err(|e| describe_js(&e))
}

fn replication_url(registry: &RegistryKey, name: &ReplicationName) -> String {
    format!("{API}/registries/{}/replications/{name}", registry.api_path())
}

/// Sends a request; a non-2xx answer becomes the `message` of its `ApiError` body.
async fn send(method: &str, url: &str, body: Option<&str>) -> Result<Response, Failure> {
    let window = web_sys::window().ok_or("No browser window")?;
    let init = RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(|e| describe_js(&e))?;
    headers.set("accept", "application/json").map_err(|e| describe_js(&e))?;
    if method != "GET" {
        headers.set(CSRF_HEADER, "1").map_err(|e| describe_js(&e))?;
    }
    if let Some(body) = body {
        headers.set("content-type", "application/json").map_err(|e| describe_js(&e))?;
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&headers);
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| format!("Network error: {}", describe_js(&e)))?;
    let response: Response = response.dyn_into().map_err(|e| describe_js(&e))?;
    if response.ok() {
        return Ok(response);
    }
    Err(error_message(&response).await)
}

async fn error_message(response: &Response) -> Failure {
    let fallback = format!("{} {}", response.status(), response.status_text());
    let Ok(promise) = response.text() else { return fallback };
    let text = JsFuture::from(promise).await.ok().and_then(|t| t.as_string()).unwrap_or_default();
    match crate::json::from_str::<ApiError>(&text) {
        Ok(err) => match err.request_id {
            Some(id) => format!("{} (request {id})", err.message),
            None => err.message,
        },
        Err(_) if text.trim().is_empty() => fallback,
        Err(_) => format!("{fallback}: {}", text.trim()),
    }
}

async fn json<T: DeserializeOwned>(response: &Response) -> Result<T, Failure> {
    let promise = response.text().map_err(|e| describe_js(&e))?;
    let text = JsFuture::from(promise).await.map_err(|e| describe_js(&e))?;
    let text = text.as_string().unwrap_or_default();
    crate::json::from_str(&text).map_err(|e| format!("Unexpected answer from {}: {e}", response.url()))
}

/// A JS exception or value as text for a message.
pub(crate) fn describe_js(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

/// What the status stream tells its subscriber.
pub enum StreamMessage {
    /// The connection is (re)established; a snapshot follows.
    Open,
    /// One event.
    Event(StatusEvent),
    /// The server's periodic "still here" (nothing changed).
    Heartbeat,
    /// The connection dropped; a new one is on its way.
    Lost,
    /// A message that is not a `StatusEvent` (a newer server?).
    Malformed(String),
}

type Handler = Rc<dyn Fn(StreamMessage)>;

/// The subscription to `GET /api/v1/events`. Dropping it closes the stream.
///
/// Reconnects are ours, not the browser's: its built-in retry repeats at a fixed interval
/// for as long as the server is down, from every open tab. On an error the stream is closed
/// and reopened after `reconnect_delay_ms` (1 s doubling to 30 s, half random); a successful
/// open resets the delay. A new stream starts with a snapshot, so nothing is missed.
pub struct EventStream {
    inner: Rc<RefCell<Connection>>,
}

#[derive(Default)]
struct Connection {
    source: Option<EventSource>,
    // The callbacks must live as long as the EventSource that calls them.
    callbacks: Vec<Closure<dyn FnMut(JsValue)>>,
    closed: bool,
    /// Attempts that failed since the last successful open.
    failures: u32,
    /// The pending `setTimeout` of the next attempt, if one is scheduled.
    retry_timer: Option<i32>,
    /// The subscriber, for reconnects started from outside.
    handler: Option<Handler>,
}

impl EventStream {
    /// Opens the stream; `handler` gets every message until the value is dropped.
    pub fn subscribe(handler: impl Fn(StreamMessage) + 'static) -> Self {
        let inner = Rc::new(RefCell::new(Connection::default()));
        connect(&inner, Rc::new(handler));
        Self { inner }
    }
}

impl EventStream {
    /// Drops the current connection and opens a new one now (the stream went quiet: a
    /// half-open connection raises no error by itself).
    pub fn reconnect(&self) {
        let handler = {
            let mut conn = self.inner.borrow_mut();
            if conn.closed || conn.retry_timer.is_some() {
                return;
            }
            if let Some(source) = conn.source.take() {
                source.close();
            }
            conn.handler.clone()
        };
        if let Some(handler) = handler {
            connect(&self.inner, handler);
        }
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        let mut conn = self.inner.borrow_mut();
        conn.closed = true;
        if let Some(source) = conn.source.take() {
            source.close();
        }
        if let (Some(timer), Some(window)) = (conn.retry_timer.take(), web_sys::window()) {
            window.clear_timeout_with_handle(timer);
        }
    }
}

fn connect(inner: &Rc<RefCell<Connection>>, handler: Handler) {
    let source = match EventSource::new(&format!("{API}/events")) {
        Ok(source) => source,
        Err(e) => {
            handler(StreamMessage::Malformed(describe_js(&e)));
            return;
        }
    };
    let on_open = {
        let handler = handler.clone();
        let weak = Rc::downgrade(inner);
        Closure::<dyn FnMut(JsValue)>::new(move |_| {
            if let Some(inner) = weak.upgrade() {
                inner.borrow_mut().failures = 0;
            }
            handler(StreamMessage::Open);
        })
    };
    let on_message = {
        let handler = handler.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let data = event.dyn_ref::<MessageEvent>().and_then(|m| m.data().as_string()).unwrap_or_default();
            match crate::json::from_str::<StatusEvent>(&data) {
                Ok(event) => handler(StreamMessage::Event(event)),
                Err(e) => handler(StreamMessage::Malformed(format!("Unreadable status event: {e}"))),
            }
        })
    };
    let on_heartbeat = {
        let handler = handler.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |_| handler(StreamMessage::Heartbeat))
    };
    let on_error = {
        let handler = handler.clone();
        let weak = Rc::downgrade(inner);
        Closure::<dyn FnMut(JsValue)>::new(move |_| {
            handler(StreamMessage::Lost);
            let Some(inner) = weak.upgrade() else { return };
            // Stop the browser's own fixed-interval retry; `schedule_reconnect` backs off.
            if let Some(source) = inner.borrow().source.as_ref() {
                source.close();
            }
            schedule_reconnect(&inner, handler.clone());
        })
    };
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    if let Err(e) = source.add_event_listener_with_callback("heartbeat", on_heartbeat.as_ref().unchecked_ref()) {
        leptos::logging::warn!("no heartbeat listener: {}", describe_js(&e));
    }
    let mut conn = inner.borrow_mut();
    conn.handler = Some(handler);
    if let Some(old) = conn.source.replace(source) {
        old.close();
    }
    conn.callbacks = vec![on_open, on_message, on_heartbeat, on_error];
}

/// Opens a new stream after the backoff delay; at most one attempt is scheduled at a time.
fn schedule_reconnect(inner: &Rc<RefCell<Connection>>, handler: Handler) {
    let Some(window) = web_sys::window() else { return };
    let mut conn = inner.borrow_mut();
    if conn.closed || conn.retry_timer.is_some() {
        return;
    }
    let delay = crate::model::reconnect_delay_ms(conn.failures, js_sys::Math::random());
    conn.failures = conn.failures.saturating_add(1);
    let weak = Rc::downgrade(inner);
    let retry = Closure::once_into_js(move || {
        let Some(inner) = weak.upgrade() else { return };
        let closed = {
            let mut conn = inner.borrow_mut();
            conn.retry_timer = None;
            conn.closed
        };
        if !closed {
            connect(&inner, handler);
        }
    });
    let timeout = i32::try_from(delay).unwrap_or(i32::MAX);
    match window.set_timeout_with_callback_and_timeout_and_arguments_0(retry.unchecked_ref(), timeout) {
        Ok(timer) => conn.retry_timer = Some(timer),
        Err(e) => leptos::logging::warn!("could not schedule a reconnect: {}", describe_js(&e)),
    }
}

/// A `setInterval` that stops when dropped.
pub struct Interval {
    handle: i32,
    // Lives as long as the timer that calls it.
    _callback: Closure<dyn FnMut()>,
}

impl Interval {
    /// Calls `f` every `ms` milliseconds.
    pub fn every(ms: i32, f: impl FnMut() + 'static) -> Option<Self> {
        let callback = Closure::<dyn FnMut()>::new(f);
        let window = web_sys::window()?;
        let handle = window
            .set_interval_with_callback_and_timeout_and_arguments_0(callback.as_ref().unchecked_ref(), ms)
            .ok()?;
        Some(Self { handle, _callback: callback })
    }
}

impl Drop for Interval {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            window.clear_interval_with_handle(self.handle);
        }
    }
}

/// Runs `f` once after `ms` milliseconds.
pub fn after(ms: i32, f: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else { return };
    let callback = Closure::once_into_js(f);
    if let Err(e) = window.set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), ms) {
        leptos::logging::warn!("could not schedule: {}", describe_js(&e));
    }
}
