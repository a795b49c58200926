//! When and how long to wait before trying a request again.

use std::time::Duration;

use rand::Rng;
use reqwest::Method;

/// Retry policy: exponential back-off with jitter ([`replimap_types::backoff`]), capped,
/// honouring `Retry-After`.
/// The defaults follow the Azure SDKs' spirit but are shorter, since a person is waiting.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub max_retries: u32,
    /// First back-off.
    pub base_delay: Duration,
    /// Longest single wait, including a server's `Retry-After`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_retries: 4, base_delay: Duration::from_millis(400), max_delay: Duration::from_secs(30) }
    }
}

/// Why the last attempt failed, as far as retrying is concerned.
pub(crate) enum Failure {
    /// ARM answered with this status.
    Status(u16),
    /// The connection could not be made: the request never left.
    Connect,
    /// The request may have reached ARM but no answer came back.
    Lost,
}

impl RetryPolicy {
    /// Whether `failure` of a `method` request is worth retrying.
    ///
    /// 429 and refused connections mean ARM did not act, so any method may go again.
    /// For 408/5xx and lost answers ARM may have acted, so only idempotent methods
    /// are re-sent (ARM's PUT and DELETE are idempotent by contract; PATCH and POST are not).
    pub(crate) fn should_retry(&self, method: &Method, failure: &Failure, attempt: u32) -> bool {
        if attempt >= self.max_retries {
            return false;
        }
        let idempotent = matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE);
        match failure {
            Failure::Status(429) | Failure::Connect => true,
            Failure::Status(s) => idempotent && (*s == 408 || (500..=599).contains(s) && *s != 501 && *s != 505),
            Failure::Lost => idempotent,
        }
    }

    /// The wait before retry number `attempt` (0-based): the server's hint if any, else jittered back-off.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(hint) = retry_after {
            return hint.min(self.max_delay);
        }
        replimap_types::backoff(self.base_delay, self.max_delay, attempt, rand::rng().random::<f64>())
    }
}

/// Reads `Retry-After` (seconds), or `retry-after-ms` / `x-ms-retry-after-ms`, as the Azure SDKs do.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = text(name).and_then(|v| v.parse::<u64>().ok()) {
            return Some(Duration::from_millis(ms));
        }
    }
    text("retry-after").and_then(|v| v.parse::<u64>().ok()).map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_idempotent_requests_are_not_resent_after_a_server_error() {
        let p = RetryPolicy::default();
        assert!(p.should_retry(&Method::PUT, &Failure::Status(503), 0));
        assert!(!p.should_retry(&Method::PATCH, &Failure::Status(503), 0));
        assert!(!p.should_retry(&Method::PATCH, &Failure::Lost, 0));
        assert!(p.should_retry(&Method::PATCH, &Failure::Status(429), 0));
        assert!(p.should_retry(&Method::PATCH, &Failure::Connect, 0));
        assert!(!p.should_retry(&Method::GET, &Failure::Status(404), 0));
        assert!(!p.should_retry(&Method::GET, &Failure::Status(503), p.max_retries));
    }

    #[test]
    fn retry_after_wins_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(0, Some(Duration::from_secs(2))), Duration::from_secs(2));
        assert_eq!(p.delay(0, Some(Duration::from_secs(3600))), p.max_delay);
        let d = p.delay(3, None);
        assert!(d <= p.base_delay * 8 && d >= p.base_delay * 4);
    }
}
