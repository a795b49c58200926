//! Counts of ARM requests served, so tests can assert how many calls the
//! portal made (`GET /_emulator/requests`), and of access tokens issued and
//! requests refused for authentication, so they can assert a client fetched a
//! new token before the old one expired.

use std::collections::BTreeMap;

use serde::Serialize;

/// How many recent requests are kept in [`RequestStats::recent`].
const RECENT_LIMIT: usize = 1000;

/// One served ARM request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    pub method: String,
    /// Path and query as received.
    pub path: String,
    pub status: u16,
}

/// Totals since start-up or the last reset. Admin requests are not counted.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestStats {
    pub total: u64,
    pub by_method: BTreeMap<String, u64>,
    /// The last requests, oldest first (at most 1000).
    pub recent: Vec<RequestRecord>,
    /// Access tokens issued: by the token endpoint and by in-process credentials.
    pub tokens_issued: u64,
    /// ARM requests answered 401 (no, malformed, foreign or expired token);
    /// they are in `total` and `recent` too.
    pub auth_refused: u64,
    /// Resource Graph queries received (`POST …/Microsoft.ResourceGraph/resources`,
    /// every page and every 429 or 403 counts one); also in `total`.
    pub resource_graph_queries: u64,
    /// Plain ARM reads (GET and HEAD, Resource Graph excluded); also in `total`.
    pub arm_reads: u64,
    /// ARM writes (PUT, PATCH, POST other than Resource Graph, DELETE); also in `total`.
    pub arm_writes: u64,
    /// Retail Prices API requests (not ARM: not in `total` or `recent`).
    pub retail_price_requests: u64,
}

/// Whether a path is a Resource Graph query.
pub(crate) fn is_resource_graph(path: &str) -> bool {
    path.to_ascii_lowercase().starts_with("/providers/microsoft.resourcegraph/")
}

impl RequestStats {
    pub(crate) fn record(&mut self, rec: RequestRecord) {
        self.total += 1;
        *self.by_method.entry(rec.method.clone()).or_default() += 1;
        if is_resource_graph(&rec.path) {
            self.resource_graph_queries += 1;
        } else if rec.method == "GET" || rec.method == "HEAD" {
            self.arm_reads += 1;
        } else {
            self.arm_writes += 1;
        }
        if self.recent.len() == RECENT_LIMIT {
            self.recent.remove(0);
        }
        self.recent.push(rec);
    }

    /// Requests whose method matches and whose path contains `fragment`
    /// (case-insensitive).
    pub fn count_matching(&self, method: &str, fragment: &str) -> usize {
        let fragment = fragment.to_ascii_lowercase();
        self.recent
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path.to_ascii_lowercase().contains(&fragment))
            .count()
    }
}
