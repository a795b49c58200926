//! The only data access of the page: calls to `/api/v1` and the status stream.
//!
//! Browser-only (compiled with `hydrate`): the server renders a skeleton and never calls
//! its own API. Every state-changing request carries `x-replimap-csrf: 1`, which the server
//! demands as CSRF protection (a cross-site form cannot set a custom header), and the
//! `Idempotency-Key` of the user's action: sent again after no answer (a network error, a
//! time-out) or while the portal still works on the first, it can never act twice.

use std::cell::RefCell;
use std::rc::Rc;

use replimap_types::{
    ApiError, AuditPage, AuditRecord, ErrorCode, RegistryKey, ReplicationName, StatusEvent, CSRF_HEADER,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{EventSource, MessageEvent, RequestInit, Response};

pub const API: &str = "/api/v1";

/// A failed call, as a sentence for the alert.
pub type Failure = String;

/// A write the portal did not accept.
pub struct Refusal {
    /// What went wrong, for the alert.
    pub message: Failure,
    /// No answer came: the portal may have acted on it, so the same action must be sent again
    /// with the same key.
    pub unanswered: bool,
}

/// How long a write may go unanswered before it is sent again (with the same key).
const WRITE_TIMEOUT_MS: u32 = 30_000;
/// Sends of one write at most, when no answer comes or the portal is still busy with it.
const WRITE_ATTEMPTS: u32 = 4;

/// `PUT` (create), `PATCH` (routing and tags) or `DELETE …/replications/{name}` with
/// `Idempotency-Key: key`. `Ok` means the portal answered 202: ARM accepted it, not done.
pub async fn write(
    registry: &RegistryKey,
    name: &ReplicationName,
    pending: &crate::model::Pending,
    key: &str,
) -> Result<(), Refusal> {
    use crate::model::Pending;
    let encoded = match pending {
        Pending::Create(body) => crate::json::to_string(body).map(|b| ("PUT", Some(b))),
        Pending::Update(body) => crate::json::to_string(body).map(|b| ("PATCH", Some(b))),
        Pending::Delete => Ok(("DELETE", None)),
    };
    let (method, body) =
        encoded.map_err(|e| Refusal { message: format!("Could not encode the request: {e}"), unanswered: false })?;
    let url = format!("{API}/registries/{}/replications/{name}", registry.api_path());
    let mut attempt = 0;
    loop {
        attempt += 1;
        let message = match fetch(method, &url, body.as_deref(), Some(key)).await {
            Ok(response) if response.ok() => {
                drain(response).await;
                return Ok(());
            }
            // The portal is still working on the first send of this key. Anything else is its
            // answer.
            Ok(response) => match error_of(&response).await {
                (message, Some(ErrorCode::IdempotencyKeyInUse)) => message,
                (message, _) => return Err(Refusal { message, unanswered: false }),
            },
            Err(message) => message,
        };
        if attempt >= WRITE_ATTEMPTS {
            return Err(Refusal { message, unanswered: true });
        }
        sleep(500 << attempt).await;
    }
}

/// A page of the audit trail (`AuditPage`: its records, newest first, and the cursor of the
/// next older page): `search` is `?` and the filters (and `cursor`, `limit`).
pub async fn audit(search: &str) -> Result<(Vec<AuditRecord>, Option<String>), Failure> {
    let value = call("GET", &format!("{API}/audit{search}"), None).await.map_err(|e| e.0)?;
    let page: AuditPage = serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())?;
    Ok((page.items, page.next_cursor))
}

/// Whether the portal still knows who this browser is (`GET /api/v1/me` answers other than
/// 401 `unauthenticated`; no answer counts as yes: the stream's own retry covers an outage).
pub async fn signed_in() -> bool {
    !matches!(call("GET", &format!("{API}/me"), None).await, Err((_, Some(ErrorCode::Unauthenticated))))
}

/// A call whose 2xx answer is JSON, as a JS value (the token page reads it field by field,
/// which costs less WASM than a serde visitor per answer type); otherwise the error's message
/// and, when the portal sent its envelope, its code.
pub async fn call(method: &str, url: &str, body: Option<&str>) -> Result<JsValue, (Failure, Option<ErrorCode>)> {
    let response = fetch(method, url, body, None).await.map_err(|e| (e, None))?;
    if !response.ok() {
        return Err(error_of(&response).await);
    }
    let json = response.json().map_err(|e| (describe_js(&e), None))?;
    JsFuture::from(json).await.map_err(|e| (describe_js(&e), None))
}

/// A fresh `Idempotency-Key`: `crypto.randomUUID()`, or (outside a secure context, where the
/// browser does not offer it) 106 random bits from `Math.random`.
pub fn idempotency_key() -> String {
    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(catch, js_namespace = crypto, js_name = randomUUID)]
        fn random_uuid() -> Result<String, JsValue>;
    }
    let bits = || (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
    random_uuid().unwrap_or_else(|_| format!("{:x}-{:x}", bits(), bits()))
}

/// Resolves after `ms` milliseconds.
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
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

/// Sends a request; a non-2xx answer becomes the `message` of its `ApiError` body.
async fn send(method: &str, url: &str, body: Option<&str>) -> Result<Response, Failure> {
    let response = fetch(method, url, body, None).await?;
    if response.ok() {
        return Ok(response);
    }
    Err(error_of(&response).await.0)
}

/// Sends a request; `Err` only when no answer came (network error, a write's time-out).
async fn fetch(method: &str, url: &str, body: Option<&str>, key: Option<&str>) -> Result<Response, Failure> {
    let window = web_sys::window().ok_or("No browser window")?;
    let init = RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(|e| describe_js(&e))?;
    headers.set("accept", "application/json").map_err(|e| describe_js(&e))?;
    if method != "GET" {
        headers.set(CSRF_HEADER, "1").map_err(|e| describe_js(&e))?;
    }
    if let Some(key) = key {
        headers.set("idempotency-key", key).map_err(|e| describe_js(&e))?;
        init.set_signal(Some(&web_sys::AbortSignal::timeout_with_u32(WRITE_TIMEOUT_MS)));
    }
    if let Some(body) = body {
        headers.set("content-type", "application/json").map_err(|e| describe_js(&e))?;
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&headers);
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| format!("No answer from the portal: {}", describe_js(&e)))?;
    response.dyn_into().map_err(|e| describe_js(&e))
}

/// The message of a non-2xx answer (its `ApiError` body's, with the request id) and its code.
async fn error_of(response: &Response) -> (Failure, Option<ErrorCode>) {
    let fallback = format!("{} {}", response.status(), response.status_text());
    let Ok(promise) = response.text() else { return (fallback, None) };
    let text = JsFuture::from(promise).await.ok().and_then(|t| t.as_string()).unwrap_or_default();
    match crate::json::from_str::<ApiError>(&text) {
        Ok(err) => {
            let message = match err.request_id {
                Some(id) => format!("{} (request {id})", err.message),
                None => err.message,
            };
            (message, Some(err.code))
        }
        Err(_) if text.trim().is_empty() => (fallback, None),
        Err(_) => (format!("{fallback}: {}", text.trim()), None),
    }
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
    /// One event (boxed: an audit record makes it ten times the size of the others).
    Event(Box<StatusEvent>),
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
                Ok(event) => handler(StreamMessage::Event(Box::new(event))),
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
