//! Resource Graph's per-user quota ("Guidance for throttled requests in Azure Resource
//! Graph"): a window of N queries per caller, reported on every answer as
//! `x-ms-user-quota-remaining` and `x-ms-user-quota-resets-after` (`hh:mm:ss`); over it
//! the query is a 429 with `Retry-After`. The documented example is 15 queries per 5 s,
//! the default here. Real ARG's window is not documented to be fixed or sliding; a
//! fixed window starting at the caller's first query is the simplest that matches the
//! headers' "resets after".

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Queries per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GraphQuota {
    pub queries: u32,
    pub window_secs: u64,
}

impl Default for GraphQuota {
    fn default() -> Self {
        Self { queries: 15, window_secs: 5 }
    }
}

/// The outcome of one query against the quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QuotaState {
    pub allowed: bool,
    pub remaining: u32,
    pub resets_after: Duration,
}

impl QuotaState {
    /// `hh:mm:ss`, rounded up so a client never retries early.
    pub fn resets_after_header(&self) -> String {
        let secs = self.resets_after.as_secs() + u64::from(self.resets_after.subsec_nanos() > 0);
        format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    }

    /// Whole seconds for `Retry-After`, at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        (self.resets_after.as_secs() + u64::from(self.resets_after.subsec_nanos() > 0)).max(1)
    }
}

/// Windows per caller; `limit` `None` turns the quota off (no headers, no 429).
#[derive(Debug)]
pub(crate) struct QuotaBook {
    pub limit: Option<GraphQuota>,
    windows: HashMap<String, (Instant, u32)>,
}

impl Default for QuotaBook {
    fn default() -> Self {
        Self { limit: Some(GraphQuota::default()), windows: HashMap::new() }
    }
}

impl QuotaBook {
    pub fn set_limit(&mut self, limit: Option<GraphQuota>) {
        self.limit = limit;
        self.windows.clear();
    }

    /// Counts one query of `caller` at `now`.
    pub fn take(&mut self, caller: &str, now: Instant) -> Option<QuotaState> {
        let limit = self.limit?;
        let window = Duration::from_secs(limit.window_secs.max(1));
        let entry = self.windows.entry(caller.to_owned()).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        let resets_after = window.saturating_sub(now.saturating_duration_since(entry.0));
        if entry.1 >= limit.queries {
            return Some(QuotaState { allowed: false, remaining: 0, resets_after });
        }
        entry.1 += 1;
        Some(QuotaState { allowed: true, remaining: limit.queries - entry.1, resets_after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifteen_per_five_seconds_per_caller() {
        let mut book = QuotaBook::default();
        let t0 = Instant::now();
        for left in (0..15).rev() {
            let s = book.take("alice", t0).unwrap();
            assert!(s.allowed);
            assert_eq!(s.remaining, left);
        }
        let over = book.take("alice", t0 + Duration::from_millis(1500)).unwrap();
        assert!(!over.allowed);
        assert_eq!(over.resets_after_header(), "00:00:04");
        assert_eq!(over.retry_after_secs(), 4);
        assert!(book.take("bob", t0).unwrap().allowed, "callers have their own windows");
        assert!(book.take("alice", t0 + Duration::from_secs(5)).unwrap().allowed, "a new window");
        book.set_limit(None);
        assert!(book.take("alice", t0).is_none());
    }
}
