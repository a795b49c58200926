//! ARM's token-bucket throttling (arm-facts §7): per subscription and
//! operation kind, a bucket of N requests refilled at R per second; an empty
//! bucket answers 429 `SubscriptionRequestsThrottled` with `Retry-After`.
//!
//! Real ARM keeps one bucket per subscription × principal × region plus a
//! global one 15 times larger; the emulator keeps one per subscription (it has
//! one region and rarely more than one caller). Off by default so tests stay
//! deterministic; [`Throttling::arm`] gives the real limits.

use std::collections::HashMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// One bucket's size and refill speed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rate {
    /// Requests available at once.
    pub bucket: u32,
    /// Requests added back per second.
    pub refill_per_sec: f64,
}

/// Limits for the three kinds of request ARM counts separately.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Throttling {
    #[serde(default = "reads")]
    pub reads: Rate,
    #[serde(default = "writes")]
    pub writes: Rate,
    #[serde(default = "writes")]
    pub deletes: Rate,
}

fn reads() -> Rate {
    Rate { bucket: 250, refill_per_sec: 25.0 }
}

fn writes() -> Rate {
    Rate { bucket: 200, refill_per_sec: 10.0 }
}

impl Throttling {
    /// ARM's per-subscription limits since 2024: reads 250 / 25 s⁻¹, writes
    /// and deletes 200 / 10 s⁻¹.
    pub fn arm() -> Self {
        Self { reads: reads(), writes: writes(), deletes: writes() }
    }
}

impl Default for Throttling {
    fn default() -> Self {
        Self::arm()
    }
}

/// Which bucket a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Read,
    Write,
    Delete,
}

impl Kind {
    pub fn of(method: &str) -> Self {
        match method {
            "GET" | "HEAD" => Self::Read,
            "DELETE" => Self::Delete,
            _ => Self::Write,
        }
    }

    /// The word ARM uses in its throttling message.
    pub fn word(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Delete => "delete",
        }
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets, created full on first use.
#[derive(Default)]
pub(crate) struct Throttler {
    pub limits: Option<Throttling>,
    buckets: HashMap<(String, Kind), Bucket>,
}

/// The outcome of [`Throttler::take`].
#[derive(Debug, PartialEq)]
pub(crate) enum Verdict {
    /// Allowed; this many requests are left in the bucket.
    Allowed(u32),
    /// Throttled; retry after this many seconds.
    Throttled(u64),
}

impl Throttler {
    pub fn set_limits(&mut self, limits: Option<Throttling>) {
        self.limits = limits;
        // New limits start with full buckets, as after a quiet period.
        self.buckets.clear();
    }

    /// Takes one token for `sub`; `None` when throttling is off.
    pub fn take(&mut self, sub: &str, kind: Kind, now: Instant) -> Option<Verdict> {
        let limits = self.limits?;
        let rate = match kind {
            Kind::Read => limits.reads,
            Kind::Write => limits.writes,
            Kind::Delete => limits.deletes,
        };
        let cap = f64::from(rate.bucket);
        let b = self.buckets.entry((sub.to_ascii_lowercase(), kind)).or_insert(Bucket { tokens: cap, at: now });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate.refill_per_sec).min(cap);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            // Whole tokens only: the header is an integer count.
            return Some(Verdict::Allowed(b.tokens.floor() as u32));
        }
        let wait = if rate.refill_per_sec > 0.0 {
            ((1.0 - b.tokens) / rate.refill_per_sec).ceil().max(1.0) as u64
        } else {
            // A bucket that never refills: ARM has none; say "a minute".
            60
        };
        Some(Verdict::Throttled(wait))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn small() -> Throttling {
        Throttling { reads: Rate { bucket: 2, refill_per_sec: 1.0 }, ..Throttling::arm() }
    }

    #[test]
    fn off_by_default_then_drains_and_refills() {
        let mut t = Throttler::default();
        let t0 = Instant::now();
        assert_eq!(t.take("s", Kind::Read, t0), None);
        t.set_limits(Some(small()));
        assert_eq!(t.take("s", Kind::Read, t0), Some(Verdict::Allowed(1)));
        assert_eq!(t.take("s", Kind::Read, t0), Some(Verdict::Allowed(0)));
        assert_eq!(t.take("s", Kind::Read, t0), Some(Verdict::Throttled(1)));
        // Other kinds and subscriptions have their own buckets.
        assert_eq!(t.take("s", Kind::Write, t0), Some(Verdict::Allowed(199)));
        assert_eq!(t.take("other", Kind::Read, t0), Some(Verdict::Allowed(1)));
        let later = t0 + Duration::from_millis(1100);
        assert_eq!(t.take("s", Kind::Read, later), Some(Verdict::Allowed(0)));
    }

    #[test]
    fn limits_parse_with_defaults() {
        let l: Throttling = serde_json::from_str(r#"{"reads":{"bucket":3,"refillPerSec":0.5}}"#).unwrap();
        assert_eq!(l.reads.bucket, 3);
        assert_eq!(l.writes, Throttling::arm().writes);
    }
}
