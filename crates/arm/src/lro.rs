//! Long-running operations: `Azure-AsyncOperation` (PUT/PATCH) and `Location` (DELETE).
//!
//! Behaviour follows the real RP as recorded (arm-facts §3): the status body is
//! `{"status": ...}` where anything but Succeeded/Failed/Canceled means "still running";
//! a `Location` monitor answers 202 while running and 200/204 when done.

use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use url::Url;

use crate::client::RawResponse;
use crate::{ArmClient, ArmError, ArmErrorBody};

/// Used when ARM sends no `Retry-After`. The SDKs wait 30 s; a person watching a map wants less.
const DEFAULT_POLL: Duration = Duration::from_secs(3);
/// Longest wait between two polls, whatever `Retry-After` says.
const MAX_POLL: Duration = Duration::from_secs(60);
/// Replicas of large registries take long to sync, but an operation that runs this long is
/// reported as timed out rather than followed forever.
const DEADLINE: Duration = Duration::from_secs(6 * 3600);
/// Monitor failures tolerated in a row (after the client's own retries) before giving up.
const MONITOR_FAILURES: u32 = 10;

/// Which kind of monitor URL ARM handed out; they answer differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Monitor {
    /// `Azure-AsyncOperation`: a status body.
    AsyncOperation,
    /// `Location`: 202 while running, 200/204 when done.
    Location,
}

/// Where an operation stands.
#[derive(Debug)]
pub enum LroStatus {
    /// Still running; poll again after [`LroPoller::retry_after`].
    InProgress,
    /// Finished successfully.
    Succeeded,
    /// Finished in error.
    Failed(ArmError),
}

/// Follows one long-running operation.
#[derive(Debug, Clone)]
pub struct LroPoller {
    client: ArmClient,
    monitor: Monitor,
    url: Url,
    retry_after: Duration,
}

#[derive(Deserialize)]
struct StatusBody {
    #[serde(default)]
    status: String,
    #[serde(default)]
    error: Option<ArmErrorBody>,
}

impl LroPoller {
    /// The poller for a 201/202 answer, if it names a monitor URL.
    pub(crate) fn from_response(client: &ArmClient, resp: &RawResponse) -> Result<Option<Self>, ArmError> {
        let (monitor, link) = if let Some(link) = resp.header("azure-asyncoperation") {
            (Monitor::AsyncOperation, link)
        } else if let Some(link) = resp.header("location") {
            (Monitor::Location, link)
        } else {
            return Ok(None);
        };
        Ok(Some(Self {
            client: client.clone(),
            monitor,
            url: client.follow(link)?,
            retry_after: crate::retry::retry_after(&resp.headers).unwrap_or(DEFAULT_POLL).min(MAX_POLL),
        }))
    }

    /// Follows a monitor again, e.g. after a restart: `path_and_query` (from
    /// [`monitor`](Self::monitor)) is re-based on this client's endpoint, so it stays valid when
    /// only the endpoint's address changed, and cannot point anywhere else.
    pub fn resume(client: &ArmClient, monitor: Monitor, path_and_query: &str) -> Result<Self, ArmError> {
        if !path_and_query.starts_with('/') || path_and_query.starts_with("//") {
            return Err(ArmError::Decode(format!("bad monitor path '{path_and_query}'")));
        }
        let url = client
            .endpoint()
            .join(path_and_query)
            .map_err(|e| ArmError::Decode(format!("bad monitor path '{path_and_query}': {e}")))?;
        Ok(Self { client: client.clone(), monitor, url, retry_after: DEFAULT_POLL })
    }

    /// The monitor's kind and its path and query, to store for [`resume`](Self::resume).
    pub fn monitor(&self) -> (Monitor, String) {
        let query = self.url.query().map(|q| format!("?{q}")).unwrap_or_default();
        (self.monitor, format!("{}{query}", self.url.path()))
    }

    /// How long ARM asked us to wait before the next poll.
    pub fn retry_after(&self) -> Duration {
        self.retry_after
    }

    /// One status request.
    pub async fn poll(&mut self) -> Result<LroStatus, ArmError> {
        let resp = self.client.send(Method::GET, self.url.clone(), None).await?;
        if let Some(wait) = crate::retry::retry_after(&resp.headers) {
            self.retry_after = wait.min(MAX_POLL);
        }
        match self.monitor {
            Monitor::AsyncOperation => {
                let body: StatusBody = resp.json()?;
                Ok(match body.status.to_ascii_lowercase().as_str() {
                    "succeeded" => LroStatus::Succeeded,
                    "failed" | "canceled" | "cancelled" => LroStatus::Failed(ArmError::OperationFailed {
                        status: body.status,
                        error: body.error.unwrap_or_default(),
                    }),
                    _ => LroStatus::InProgress,
                })
            }
            Monitor::Location => {
                if resp.status == 202 {
                    if let Some(next) = resp.header("location") {
                        self.url = self.client.follow(next)?;
                    }
                    Ok(LroStatus::InProgress)
                } else {
                    Ok(LroStatus::Succeeded)
                }
            }
        }
    }

    /// Polls until the operation ends, sleeping as ARM asks. A monitor that is briefly
    /// unreachable or answers 5xx does not mean the operation failed, so such errors are
    /// tolerated a few times in a row; the whole wait is bounded by a deadline.
    pub async fn wait(mut self) -> Result<(), ArmError> {
        let started = std::time::Instant::now();
        let mut failures = 0;
        loop {
            if started.elapsed() > DEADLINE {
                return Err(ArmError::TimedOut(DEADLINE));
            }
            match self.poll().await {
                Ok(LroStatus::Succeeded) => return Ok(()),
                Ok(LroStatus::Failed(e)) => return Err(e),
                Ok(LroStatus::InProgress) => failures = 0,
                Err(e) if transient(&e) && failures < MONITOR_FAILURES => {
                    failures += 1;
                    tracing::warn!(error = %e, failures, "operation monitor failed; polling on");
                }
                Err(e) => return Err(e),
            }
            tokio::time::sleep(self.retry_after).await;
        }
    }
}

fn transient(e: &ArmError) -> bool {
    e.is_transient()
}
