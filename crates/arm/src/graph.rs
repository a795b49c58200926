//! Azure Resource Graph: one KQL query over many subscriptions, paged with `$skipToken`.
//!
//! Resource Graph has its own quota (15 queries per 5 s per caller, reported on every
//! answer), on top of ARM's buckets that every request of the client already draws from;
//! [`ResourceGraph`] keeps the quota's state between queries, so hold one for as long as the
//! caller runs (discovery holds one for its lifetime).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use replimap_types::SubscriptionId;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::throttle::GraphQuota;
use crate::{ArmClient, ArmError};

/// The Resource Graph api-version (stable; 2022-10-01 and 2021-03-01 have the same shapes).
pub const GRAPH_API_VERSION: &str = "2024-04-01";

/// Rows per page: Resource Graph's maximum.
const PAGE_ROWS: u32 = 1000;

/// Subscriptions per query: Resource Graph's limit on one request's scope.
const MAX_SUBSCRIPTIONS: usize = 1000;

/// A failed query, split the way the caller must act on it.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// 403: the caller may not use Resource Graph (or read those subscriptions through it);
    /// plain ARM listing may still work.
    #[error("Resource Graph refused the query: {0}")]
    Forbidden(ArmError),
    /// Anything else (throttled beyond the retries, a bad query, ARM down, an odd answer).
    #[error(transparent)]
    Arm(ArmError),
}

impl GraphError {
    /// Whether Resource Graph refused the caller (403).
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Self::Forbidden(_))
    }

    /// The underlying ARM error.
    pub fn into_arm(self) -> ArmError {
        match self {
            Self::Forbidden(e) | Self::Arm(e) => e,
        }
    }
}

impl From<ArmError> for GraphError {
    fn from(e: ArmError) -> Self {
        if e.status() == Some(403) {
            Self::Forbidden(e)
        } else {
            Self::Arm(e)
        }
    }
}

#[derive(Serialize)]
struct QueryRequest<'a> {
    subscriptions: &'a [SubscriptionId],
    query: &'a str,
    options: QueryOptions<'a>,
}

#[derive(Serialize)]
struct QueryOptions<'a> {
    #[serde(rename = "$top")]
    top: u32,
    #[serde(rename = "$skipToken", skip_serializing_if = "Option::is_none")]
    skip_token: Option<&'a str>,
    #[serde(rename = "resultFormat")]
    result_format: &'static str,
}

#[derive(Deserialize)]
struct QueryResponse<T> {
    #[serde(default = "Vec::new")]
    data: Vec<T>,
    #[serde(default, rename = "$skipToken")]
    skip_token: Option<String>,
}

/// Resource Graph through one [`ArmClient`] (its token, retries and throttle), with the
/// query quota and a count of the queries sent.
#[derive(Debug)]
pub struct ResourceGraph {
    arm: ArmClient,
    quota: GraphQuota,
    queries: AtomicU64,
}

impl ResourceGraph {
    /// Queries through `arm`.
    pub fn new(arm: ArmClient) -> Self {
        Self { arm, quota: GraphQuota::default(), queries: AtomicU64::new(0) }
    }

    /// The client it sends through (for the plain ARM calls a caller makes beside it).
    pub fn arm(&self) -> &ArmClient {
        &self.arm
    }

    /// Queries sent since creation, each page one (refused and failed ones included): diff
    /// it around a run to know what the run cost.
    pub fn queries_sent(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// Every row of `query` over `subscriptions` (as `objectArray`), in batches of at most
    /// 1000 subscriptions, following `$skipToken` with the same query and scopes. Resource
    /// Graph pages stably only when the query projects `id`; the caller's queries must.
    pub async fn query<T: DeserializeOwned>(
        &self,
        query: &str,
        subscriptions: &[SubscriptionId],
    ) -> Result<Vec<T>, GraphError> {
        let url = self.arm.url("/providers/Microsoft.ResourceGraph/resources", GRAPH_API_VERSION)?;
        let mut rows = Vec::new();
        for batch in subscriptions.chunks(MAX_SUBSCRIPTIONS) {
            let mut skip_token: Option<String> = None;
            loop {
                let body = QueryRequest {
                    subscriptions: batch,
                    query,
                    options: QueryOptions {
                        top: PAGE_ROWS,
                        skip_token: skip_token.as_deref(),
                        result_format: "objectArray",
                    },
                };
                let body = serde_json::to_value(&body).map_err(|e| ArmError::Decode(e.to_string()))?;
                let wait = self.quota.wait(Instant::now());
                if !wait.is_zero() {
                    tracing::debug!(
                        wait_ms = wait.as_millis() as u64,
                        "Resource Graph quota spent; waiting for its reset"
                    );
                    tokio::time::sleep(wait).await;
                }
                self.queries.fetch_add(1, Ordering::Relaxed);
                // A 429 is retried by `send` after its Retry-After, as for any ARM call.
                let resp = self.arm.send(Method::POST, url.clone(), Some(&body)).await?;
                self.quota.observe(
                    resp.header("x-ms-user-quota-remaining"),
                    resp.header("x-ms-user-quota-resets-after"),
                    Instant::now(),
                );
                let page: QueryResponse<T> = resp.json()?;
                rows.extend(page.data);
                match page.skip_token.filter(|t| !t.is_empty()) {
                    Some(t) => skip_token = Some(t),
                    None => break,
                }
            }
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Auth;
    use azure_core::credentials::Secret;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A loopback server answering each connection with the next of `answers` (status,
    /// extra headers, body), handing back the request bodies it saw.
    async fn serve(answers: Vec<(u16, &'static str, String)>) -> (String, tokio::task::JoinHandle<Vec<String>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let mut seen = Vec::new();
            for (status, headers, body) in answers {
                let (mut sock, _) = listener.accept().await.unwrap();
                let mut buf = Vec::new();
                let mut chunk = vec![0u8; 65536];
                // Read the head, then as many body bytes as content-length says.
                loop {
                    let n = sock.read(&mut chunk).await.unwrap();
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_owned))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            seen.push(text[end + 4..].to_owned());
                            break;
                        }
                    }
                }
                let answer = format!(
                    "HTTP/1.1 {status} X\r\n{headers}content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                sock.write_all(answer.as_bytes()).await.unwrap();
            }
            seen
        });
        (url, task)
    }

    fn subs(n: usize) -> Vec<SubscriptionId> {
        (0..n).map(|i| format!("00000000-0000-0000-0000-{i:012}").parse().unwrap()).collect()
    }

    #[tokio::test]
    async fn pages_follow_the_skip_token_with_the_same_query_and_scopes() {
        let page1 = r#"{"totalRecords":3,"count":2,"resultTruncated":"true","$skipToken":"tok1","data":[{"id":"a"},{"id":"b"}],"facets":[]}"#;
        let page2 = r#"{"totalRecords":3,"count":1,"resultTruncated":"false","data":[{"id":"c"}],"facets":[]}"#;
        let quota = "x-ms-user-quota-remaining: 14\r\nx-ms-user-quota-resets-after: 00:00:05\r\n";
        let (url, seen) = serve(vec![(200, quota, page1.into()), (200, quota, page2.into())]).await;
        let g = ResourceGraph::new(ArmClient::new(&url, Auth::Static(Secret::new("t")), None).unwrap());
        let rows: Vec<serde_json::Value> = g.query("resources | project id", &subs(2)).await.unwrap();
        let ids: Vec<_> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(g.queries_sent(), 2);
        let seen: Vec<serde_json::Value> =
            seen.await.unwrap().iter().map(|b| serde_json::from_str(b).unwrap()).collect();
        assert_eq!(seen[0]["options"]["$top"], 1000);
        assert_eq!(seen[0]["options"]["resultFormat"], "objectArray");
        assert!(seen[0]["options"].get("$skipToken").is_none());
        assert_eq!(seen[1]["options"]["$skipToken"], "tok1");
        assert_eq!(seen[0]["query"], seen[1]["query"]);
        assert_eq!(seen[0]["subscriptions"], seen[1]["subscriptions"]);
        assert_eq!(seen[0]["subscriptions"].as_array().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn many_subscriptions_go_in_batches_of_a_thousand() {
        let empty = r#"{"totalRecords":0,"count":0,"resultTruncated":"false","data":[],"facets":[]}"#;
        let (url, seen) = serve(vec![(200, "", empty.into()), (200, "", empty.into())]).await;
        let g = ResourceGraph::new(ArmClient::new(&url, Auth::Static(Secret::new("t")), None).unwrap());
        let rows: Vec<serde_json::Value> = g.query("resources | project id", &subs(1500)).await.unwrap();
        assert!(rows.is_empty());
        let seen = seen.await.unwrap();
        let sizes: Vec<usize> = seen
            .iter()
            .map(|b| serde_json::from_str::<serde_json::Value>(b).unwrap()["subscriptions"].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes, [1000, 500]);
    }

    #[tokio::test]
    async fn a_spent_quota_delays_the_next_query() {
        let page1 = r#"{"totalRecords":2,"count":1,"resultTruncated":"true","$skipToken":"t","data":[{"id":"a"}]}"#;
        let page2 = r#"{"totalRecords":2,"count":1,"resultTruncated":"false","data":[{"id":"b"}]}"#;
        let spent = "x-ms-user-quota-remaining: 0\r\nx-ms-user-quota-resets-after: 00:00:01\r\n";
        let (url, _seen) = serve(vec![(200, spent, page1.into()), (200, "", page2.into())]).await;
        let g = ResourceGraph::new(ArmClient::new(&url, Auth::Static(Secret::new("t")), None).unwrap());
        let started = Instant::now();
        let rows: Vec<serde_json::Value> = g.query("resources | project id", &subs(1)).await.unwrap();
        assert_eq!(rows.len(), 2);
        assert!(started.elapsed() >= std::time::Duration::from_millis(900), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_refusal_is_told_apart_from_other_failures() {
        let refused = r#"{"error":{"code":"AuthorizationFailed","message":"The client 'x' does not have authorization to perform action 'Microsoft.ResourceGraph/resources/read'."}}"#;
        let bad = r#"{"error":{"code":"BadRequest","message":"Query is invalid."}}"#;
        let (url, _seen) = serve(vec![(403, "", refused.into()), (400, "", bad.into())]).await;
        let g = ResourceGraph::new(ArmClient::new(&url, Auth::Static(Secret::new("t")), None).unwrap());
        let e = g.query::<serde_json::Value>("resources | project id", &subs(1)).await.unwrap_err();
        assert!(e.is_forbidden(), "{e}");
        let e = g.query::<serde_json::Value>("resources | project id", &subs(1)).await.unwrap_err();
        assert!(!e.is_forbidden(), "{e}");
        assert_eq!(e.into_arm().status(), Some(400));
        assert_eq!(g.queries_sent(), 2);
    }

    #[tokio::test]
    async fn throttled_queries_are_retried_after_retry_after() {
        let throttled =
            r#"{"error":{"code":"RateLimiting","message":"Please provide below info when asking for support"}}"#;
        let ok = r#"{"totalRecords":1,"count":1,"resultTruncated":"false","data":[{"id":"a"}]}"#;
        let headers = "retry-after: 1\r\nx-ms-user-quota-remaining: 0\r\nx-ms-user-quota-resets-after: 00:00:01\r\n";
        let (url, _seen) = serve(vec![(429, headers, throttled.into()), (200, "", ok.into())]).await;
        let arm = ArmClient::new(&url, Auth::Static(Secret::new("t")), None).unwrap();
        let g = ResourceGraph::new(arm.clone());
        let rows: Vec<serde_json::Value> = g.query("resources | project id", &subs(1)).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(arm.stats().throttled, 1);
    }
}
