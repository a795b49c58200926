//! The HTTP core: URLs, auth header, retries, error mapping, paging.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use url::Url;

use crate::retry::{self, Failure, RetryPolicy};
use crate::throttle::{self, OpClass, Throttle};
use crate::{ArmError, ArmErrorBody, Auth, ThrottleLimits, TlsRoots};

/// Tunables of [`ArmClient`].
#[derive(Debug, Clone)]
pub struct ArmOptions {
    /// `api-version` for Microsoft.ContainerRegistry calls.
    pub acr_api_version: String,
    /// `api-version` for subscription-level calls (`/subscriptions`, locations).
    pub subscriptions_api_version: String,
    /// Retry policy for throttling, server errors and lost connections.
    pub retry: RetryPolicy,
    /// Time-out of one HTTP attempt.
    pub request_timeout: Duration,
    /// Client-side budget that keeps the portal under ARM's throttling.
    pub throttle: ThrottleLimits,
    /// Certificate authorities trusted for ARM's HTTPS: the public roots plus any extra ones
    /// (a TLS-inspecting proxy's). Give the credential the same ([`AuthOptions`](crate::AuthOptions)).
    pub tls_roots: TlsRoots,
}

impl Default for ArmOptions {
    fn default() -> Self {
        Self {
            // Newest stable spec we carry (../shared/azure-specs); fields we use are unchanged up to 2025-11-01.
            acr_api_version: "2025-04-01".into(),
            subscriptions_api_version: "2022-12-01".into(),
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(30),
            throttle: ThrottleLimits::default(),
            tls_roots: TlsRoots::default(),
        }
    }
}

/// A successful (2xx) ARM answer.
pub(crate) struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

impl RawResponse {
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, ArmError> {
        serde_json::from_slice(&self.body).map_err(|e| ArmError::Decode(e.to_string()))
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    throttled: AtomicU64,
    failed: AtomicU64,
    retries: AtomicU64,
    throttle_waits: AtomicU64,
    /// Answers by status class: 1xx..5xx.
    by_class: [AtomicU64; 5],
}

/// Request counters, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArmStats {
    /// HTTP attempts sent.
    pub requests: u64,
    /// Attempts answered 429.
    pub throttled: u64,
    /// Calls that ended in an error.
    pub failed: u64,
    /// Attempts that were retries.
    pub retries: u64,
    /// Requests the client-side token bucket held back.
    pub throttle_waits: u64,
    /// ARM answers by status class (`[1xx, 2xx, 3xx, 4xx, 5xx]`).
    pub by_class: [u64; 5],
}

/// One write as ARM sees it: the correlation id sent with every request made for it, and
/// the `x-ms-request-id` of ARM's latest answer, for the audit trail.
#[derive(Debug)]
struct Correlation {
    id: String,
    last_request_id: std::sync::Mutex<Option<String>>,
}

/// A client for one ARM endpoint (public cloud, a sovereign cloud, or the emulator).
#[derive(Debug, Clone)]
pub struct ArmClient {
    http: reqwest::Client,
    endpoint: Url,
    scope: String,
    auth: Auth,
    pub(crate) options: ArmOptions,
    counters: Arc<Counters>,
    throttle: Arc<Throttle>,
    correlation: Option<Arc<Correlation>>,
}

/// One page of an ARM list (`value` and `nextLink`), for every list the client follows.
#[derive(Deserialize)]
pub(crate) struct Page<T> {
    #[serde(default = "Vec::new")]
    pub(crate) value: Vec<T>,
    #[serde(default, rename = "nextLink")]
    pub(crate) next_link: Option<String>,
}

impl ArmClient {
    /// A client for `endpoint` (e.g. `https://management.azure.com`).
    pub fn new(endpoint: &str, auth: Auth, options: Option<ArmOptions>) -> Result<Self, ArmError> {
        let endpoint =
            Url::parse(endpoint).map_err(|e| ArmError::Decode(format!("bad ARM endpoint '{endpoint}': {e}")))?;
        let options = options.unwrap_or_default();
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("replimap/", env!("CARGO_PKG_VERSION")))
            .timeout(options.request_timeout)
            // ARM does not redirect; following one would re-send bodies (and tokens) elsewhere.
            .redirect(reqwest::redirect::Policy::none());
        // Beside the built-in (webpki) roots.
        for cert in options.tls_roots.reqwest_certificates().map_err(|e| ArmError::Transport(e.to_string()))? {
            builder = builder.add_root_certificate(cert);
        }
        let http = builder.build().map_err(|e| ArmError::Transport(e.to_string()))?;
        let scope = crate::auth::scope_for(&endpoint);
        let throttle = Arc::new(Throttle::new(options.throttle));
        Ok(Self { http, endpoint, scope, auth, options, counters: Arc::default(), throttle, correlation: None })
    }

    /// This client for one write: every request it (and the pollers it hands out) sends carries
    /// `x-ms-correlation-request-id: id`, which ARM's activity log shows, so a portal audit
    /// record and Azure's record of the same write can be joined.
    pub fn correlated(&self, id: &str) -> Self {
        let mut c = self.clone();
        c.correlation = Some(Arc::new(Correlation { id: id.to_owned(), last_request_id: Default::default() }));
        c
    }

    /// This client authenticating with `auth` instead (a signed-in user's own ARM token, so ARM
    /// records the user as the caller): the same endpoint, options, HTTP connections, counters,
    /// client-side throttle and correlation.
    pub fn with_auth(&self, auth: Auth) -> Self {
        let mut c = self.clone();
        c.auth = auth;
        c
    }

    /// ARM's `x-ms-request-id` of the latest answer to a [`correlated`](Self::correlated) client.
    pub fn last_request_id(&self) -> Option<String> {
        let c = self.correlation.as_ref()?;
        c.last_request_id.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The configured endpoint.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// Request counters since start.
    pub fn stats(&self) -> ArmStats {
        let c = &self.counters;
        ArmStats {
            requests: c.requests.load(Ordering::Relaxed),
            throttled: c.throttled.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            throttle_waits: c.throttle_waits.load(Ordering::Relaxed),
            by_class: std::array::from_fn(|i| c.by_class[i].load(Ordering::Relaxed)),
        }
    }

    /// `{endpoint}{path}?api-version={v}`; `path` starts with `/`.
    pub(crate) fn url(&self, path: &str, api_version: &str) -> Result<Url, ArmError> {
        let mut url = self.endpoint.join(path).map_err(|e| ArmError::Decode(format!("bad path '{path}': {e}")))?;
        url.query_pairs_mut().append_pair("api-version", api_version);
        Ok(url)
    }

    /// Parses a link ARM handed back (`nextLink`, `Location`, `Azure-AsyncOperation`) and makes
    /// sure it points at our endpoint: the bearer token must never be sent anywhere else.
    pub(crate) fn follow(&self, link: &str) -> Result<Url, ArmError> {
        let url = Url::parse(link).map_err(|_| ArmError::Decode(format!("bad link '{link}'")))?;
        if url.origin() != self.endpoint.origin() {
            return Err(ArmError::ForeignLink(url.origin().ascii_serialization()));
        }
        Ok(url)
    }

    /// GET and decode.
    pub(crate) async fn get_json<T: DeserializeOwned>(&self, url: Url) -> Result<T, ArmError> {
        self.send(Method::GET, url, None).await?.json()
    }

    /// GET a list and follow `nextLink` until the last page.
    pub(crate) async fn list_all<T: DeserializeOwned>(&self, url: Url) -> Result<Vec<T>, ArmError> {
        let mut items = Vec::new();
        let mut next = Some(url);
        while let Some(url) = next.take() {
            let page: Page<T> = self.get_json(url).await?;
            items.extend(page.value);
            next = match page.next_link.filter(|l| !l.is_empty()) {
                Some(link) => Some(self.follow(&link)?),
                None => None,
            };
        }
        Ok(items)
    }

    /// Sends one request with retries; returns a 2xx answer or the typed error.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
    ) -> Result<RawResponse, ArmError> {
        let policy = &self.options.retry;
        let mut attempt = 0;
        loop {
            let (failure, err) = match self.attempt(&method, &url, body).await {
                Ok(resp) => return Ok(resp),
                Err((failure, err)) => (failure, err),
            };
            if !policy.should_retry(&method, &failure, attempt) {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                return Err(err);
            }
            let wait = policy.delay(attempt, err.retry_after());
            tracing::warn!(arm.method = %method, arm.path = url.path(), attempt, wait_ms = wait.as_millis() as u64, error = %err, "retrying ARM request");
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&serde_json::Value>,
    ) -> Result<RawResponse, (Failure, ArmError)> {
        let waited = self.throttle.acquire(throttle::subscription_of(url.path()), OpClass::of(method)).await;
        if !waited.is_zero() {
            self.counters.throttle_waits.fetch_add(1, Ordering::Relaxed);
        }
        let auth = self.auth.header(&self.scope).await.map_err(|e| (Failure::Status(401), e))?;
        let mut auth =
            HeaderValue::from_str(&auth).map_err(|e| (Failure::Status(401), ArmError::Credential(e.to_string())))?;
        auth.set_sensitive(true);
        let mut req = self
            .http
            .request(method.clone(), url.clone())
            .header(AUTHORIZATION, auth)
            .header("x-ms-client-request-id", uuid::Uuid::new_v4().to_string());
        if let Some(c) = &self.correlation {
            req = req.header("x-ms-correlation-request-id", &c.id);
        }
        if let Some(body) = body {
            req = req.header(CONTENT_TYPE, "application/json").body(body.to_string());
        }
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let resp = req.send().await.map_err(|e| {
            let failure = if e.is_connect() { Failure::Connect } else { Failure::Lost };
            // without_url: LRO monitor URLs carry signed query strings.
            (failure, ArmError::Transport(e.without_url().to_string()))
        })?;
        let status = resp.status().as_u16();
        self.counters.by_class[usize::from(status / 100).clamp(1, 5) - 1].fetch_add(1, Ordering::Relaxed);
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| (Failure::Lost, ArmError::Transport(e.without_url().to_string())))?;
        let request_id = headers.get("x-ms-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        if let (Some(c), Some(id)) = (&self.correlation, &request_id) {
            *c.last_request_id.lock().unwrap_or_else(|p| p.into_inner()) = Some(id.clone());
        }
        tracing::debug!(
            arm.method = %method, arm.path = url.path(), arm.status = status,
            arm.request_id = request_id.as_deref().unwrap_or(""),
            arm.remaining_reads = headers.get("x-ms-ratelimit-remaining-subscription-reads").and_then(|v| v.to_str().ok()).unwrap_or(""),
            "ARM call"
        );
        if (200..300).contains(&status) {
            return Ok(RawResponse { status, headers, body });
        }
        if status == 429 {
            self.counters.throttled.fetch_add(1, Ordering::Relaxed);
        }
        let parsed = ArmErrorBody::parse(&body).unwrap_or_default();
        let message = if parsed.message.is_empty() {
            String::from_utf8_lossy(&body).chars().take(300).collect()
        } else {
            parsed.message
        };
        let err = ArmError::Status {
            status,
            code: parsed.code,
            message,
            request_id,
            retry_after: retry::retry_after(&headers),
        };
        Err((Failure::Status(status), err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use azure_core::credentials::Secret;

    #[test]
    fn links_to_other_origins_are_refused() {
        let c = ArmClient::new("https://management.azure.com", Auth::Static(Secret::new("t")), None).unwrap();
        assert!(c.follow("https://management.azure.com/subscriptions?api-version=1").is_ok());
        assert!(matches!(c.follow("https://evil.example/steal"), Err(ArmError::ForeignLink(_))));
        assert!(matches!(c.follow("http://management.azure.com/x"), Err(ArmError::ForeignLink(_))));
    }

    /// A one-shot HTTP server on loopback that answers 200 and hands back the request head.
    async fn capture_one() -> (String, tokio::task::JoinHandle<String>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 8192];
            let n = sock.read(&mut buf).await.unwrap();
            let body = "{}";
            let answer = format!(
                "HTTP/1.1 200 OK\r\nx-ms-request-id: arm-req-1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            sock.write_all(answer.as_bytes()).await.unwrap();
            String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase()
        });
        (url, task)
    }

    #[tokio::test]
    async fn a_correlated_client_sends_its_id_and_keeps_arms_request_id() {
        let (url, head) = capture_one().await;
        let c = ArmClient::new(&url, Auth::Static(Secret::new("t")), None).unwrap().correlated("corr-42");
        let target = c.url("/subscriptions", "1").unwrap();
        c.send(Method::GET, target, None).await.unwrap();
        let head = head.await.unwrap();
        assert!(head.contains("x-ms-correlation-request-id: corr-42"), "{head}");
        assert!(head.contains("x-ms-client-request-id: "), "{head}");
        assert_eq!(c.last_request_id().as_deref(), Some("arm-req-1"));
        let plain = ArmClient::new(&url, Auth::Static(Secret::new("t")), None).unwrap();
        assert_eq!(plain.last_request_id(), None, "only a correlated client keeps it");
    }

    #[test]
    fn urls_carry_the_api_version() {
        let c = ArmClient::new("https://management.azure.com/", Auth::Static(Secret::new("t")), None).unwrap();
        let u = c.url("/subscriptions/x/providers", "2025-04-01").unwrap();
        assert_eq!(u.as_str(), "https://management.azure.com/subscriptions/x/providers?api-version=2025-04-01");
    }
}
