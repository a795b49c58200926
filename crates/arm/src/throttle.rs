//! A client-side token bucket that keeps the portal under ARM's throttling limits.
//!
//! ARM (since 2024) throttles per subscription and principal with token buckets:
//! reads 250 with 25/s refill, writes and deletes 200 with 10/s (arm-facts §7).
//! The portal is one principal, so one bucket per subscription and operation class
//! suffices. Defaults sit 20% under ARM's numbers to leave room for other tools
//! using the same identity.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::Method;

/// Which ARM budget a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpClass {
    /// GET/HEAD.
    Read,
    /// PUT/PATCH/POST.
    Write,
    /// DELETE.
    Delete,
}

impl OpClass {
    /// The class of an HTTP method.
    pub fn of(method: &Method) -> Self {
        match *method {
            Method::GET | Method::HEAD => Self::Read,
            Method::DELETE => Self::Delete,
            _ => Self::Write,
        }
    }
}

/// Size and refill rate of one bucket.
#[derive(Debug, Clone, Copy)]
pub struct BucketLimit {
    /// Tokens when full (the burst).
    pub capacity: f64,
    /// Tokens added per second.
    pub refill_per_sec: f64,
}

/// Limits per class.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleLimits {
    /// Reads.
    pub read: BucketLimit,
    /// Writes.
    pub write: BucketLimit,
    /// Deletes.
    pub delete: BucketLimit,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        Self {
            read: BucketLimit { capacity: 200.0, refill_per_sec: 20.0 },
            write: BucketLimit { capacity: 160.0, refill_per_sec: 8.0 },
            delete: BucketLimit { capacity: 160.0, refill_per_sec: 8.0 },
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Buckets keyed by subscription and class.
#[derive(Debug)]
pub(crate) struct Throttle {
    limits: ThrottleLimits,
    buckets: Mutex<HashMap<(String, OpClass), Bucket>>,
}

impl Throttle {
    pub(crate) fn new(limits: ThrottleLimits) -> Self {
        Self { limits, buckets: Mutex::new(HashMap::new()) }
    }

    fn limit(&self, class: OpClass) -> BucketLimit {
        match class {
            OpClass::Read => self.limits.read,
            OpClass::Write => self.limits.write,
            OpClass::Delete => self.limits.delete,
        }
    }

    /// Takes one token, or says how long until one is available.
    fn try_take(&self, subscription: &str, class: OpClass, now: Instant) -> Result<(), Duration> {
        let limit = self.limit(class);
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let b = buckets.entry((subscription.to_owned(), class)).or_insert(Bucket { tokens: limit.capacity, last: now });
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * limit.refill_per_sec).min(limit.capacity);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            // A zero refill rate would never yield a token; treat it as one per second.
            Err(Duration::from_secs_f64((1.0 - b.tokens) / limit.refill_per_sec.max(1.0)))
        }
    }

    /// Waits until the request may go. Returns how long it waited.
    pub(crate) async fn acquire(&self, subscription: &str, class: OpClass) -> Duration {
        let mut waited = Duration::ZERO;
        loop {
            match self.try_take(subscription, class, Instant::now()) {
                Ok(()) => return waited,
                Err(wait) => {
                    tokio::time::sleep(wait).await;
                    waited += wait;
                }
            }
        }
    }
}

/// Resource Graph's own quota, which ARM's buckets do not cover: every answer says how many
/// queries are left (`x-ms-user-quota-remaining`) and when the window resets
/// (`x-ms-user-quota-resets-after`, `hh:mm:ss`). Once none are left, the next query waits for
/// the reset rather than spending a 429 on finding out.
#[derive(Debug, Default)]
pub(crate) struct GraphQuota {
    blocked_until: Mutex<Option<Instant>>,
}

impl GraphQuota {
    /// Notes the quota headers of an answer received at `now`.
    pub(crate) fn observe(&self, remaining: Option<&str>, resets_after: Option<&str>, now: Instant) {
        let Some(remaining) = remaining.and_then(|r| r.trim().parse::<i64>().ok()) else { return };
        let until = if remaining > 0 {
            None
        } else {
            // No reset time: wait one default window (5 s) rather than not at all.
            let wait = resets_after.and_then(parse_hms).unwrap_or(Duration::from_secs(5));
            Some(now + wait)
        };
        *self.blocked_until.lock().unwrap_or_else(|p| p.into_inner()) = until;
    }

    /// How long the next query must wait, from `now`.
    pub(crate) fn wait(&self, now: Instant) -> Duration {
        let until = *self.blocked_until.lock().unwrap_or_else(|p| p.into_inner());
        until.map(|u| u.saturating_duration_since(now)).unwrap_or_default()
    }
}

/// `hh:mm:ss` (hours may exceed 23; seconds may carry a fraction).
fn parse_hms(text: &str) -> Option<Duration> {
    let mut parts = text.trim().split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (h, m, s) = (h.parse::<u64>().ok()?, m.parse::<u64>().ok()?, s.parse::<f64>().ok()?);
    if !(0.0..60.0).contains(&s) || m >= 60 {
        return None;
    }
    Some(Duration::from_secs(h * 3600 + m * 60) + Duration::from_secs_f64(s))
}

/// The subscription a request path belongs to (`/subscriptions/{id}/…`), or `""` for tenant-level calls.
pub(crate) fn subscription_of(path: &str) -> &str {
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    match (parts.next(), parts.next()) {
        (Some(s), Some(id)) if s.eq_ignore_ascii_case("subscriptions") => id,
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_a_burst_then_refills() {
        let limits =
            ThrottleLimits { read: BucketLimit { capacity: 3.0, refill_per_sec: 10.0 }, ..ThrottleLimits::default() };
        let t = Throttle::new(limits);
        let now = Instant::now();
        for _ in 0..3 {
            assert!(t.try_take("s", OpClass::Read, now).is_ok());
        }
        let wait = t.try_take("s", OpClass::Read, now).unwrap_err();
        assert!(wait <= Duration::from_millis(100) && wait > Duration::ZERO);
        // Other subscriptions and classes have their own budget.
        assert!(t.try_take("other", OpClass::Read, now).is_ok());
        assert!(t.try_take("s", OpClass::Write, now).is_ok());
        assert!(t.try_take("s", OpClass::Read, now + Duration::from_millis(150)).is_ok());
    }

    #[test]
    fn an_exhausted_graph_quota_waits_for_the_reset() {
        let q = GraphQuota::default();
        let now = Instant::now();
        assert_eq!(q.wait(now), Duration::ZERO);
        q.observe(Some("3"), Some("00:00:04"), now);
        assert_eq!(q.wait(now), Duration::ZERO, "queries left: no wait");
        q.observe(Some("0"), Some("00:00:04"), now);
        assert_eq!(q.wait(now), Duration::from_secs(4));
        assert_eq!(q.wait(now + Duration::from_secs(3)), Duration::from_secs(1));
        assert_eq!(q.wait(now + Duration::from_secs(5)), Duration::ZERO);
        q.observe(None, None, now);
        assert_eq!(q.wait(now), Duration::from_secs(4), "an answer without the headers changes nothing");
        q.observe(Some("0"), Some("garbage"), now);
        assert_eq!(q.wait(now), Duration::from_secs(5), "an unreadable reset waits one window");
        assert_eq!(parse_hms("01:02:03.5"), Some(Duration::from_secs_f64(3723.5)));
        assert_eq!(parse_hms("00:61:00"), None);
    }

    #[test]
    fn finds_the_subscription_in_a_path() {
        assert_eq!(subscription_of("/subscriptions/abc/resourceGroups/x"), "abc");
        assert_eq!(subscription_of("/subscriptions"), "");
        assert_eq!(subscription_of("/providers/Microsoft.ContainerRegistry"), "");
    }
}
