//! Fault injection: rules that make matching ARM requests slow or fail
//! (429 throttling, 5xx, any 4xx), and rules that make the next replica
//! created in a region end `Failed`.

use std::time::Duration;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::assumptions as a;
use crate::error::ArmError;

/// One fault rule, as accepted by `POST /_emulator/faults` (camelCase JSON).
///
/// A request rule has `status` and/or `delayMs` and matches on `method` and
/// `pathContains` (both optional, case-insensitive). A replica rule has
/// `failReplicaIn`. `times` limits how often the rule fires: unlimited by
/// default for request rules, once by default for replica rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_contains: Option<String>,
    /// HTTP status to answer with instead of serving the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `Retry-After` seconds (429 defaults to 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Wait this long before answering (then fail if `status` is set, else serve).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Error code override (defaults: 429 `SubscriptionRequestsThrottled`,
    /// 5xx `InternalServerError`, else `InjectedFault`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Region whose next created replica ends Failed with `code`/`message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_replica_in: Option<String>,
    /// Replica deletes matching `method`/`pathContains` leave a tombstone:
    /// re-creating the replica (same name or location) within this many ms
    /// after the delete finished answers 409 (see `assumptions.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recreate_conflict_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

impl FaultRule {
    /// 429 `SubscriptionRequestsThrottled` with `Retry-After: retry_after`.
    pub fn throttle(retry_after: u64) -> Self {
        Self { status: Some(429), retry_after: Some(retry_after), ..Self::default() }
    }

    /// Answer with `status` (e.g. 500, 503).
    pub fn status(status: u16) -> Self {
        Self { status: Some(status), ..Self::default() }
    }

    /// Delay matching requests, then serve them normally.
    pub fn delay(delay: Duration) -> Self {
        Self { delay_ms: Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)), ..Self::default() }
    }

    /// The next replica created in `region` ends Failed.
    pub fn fail_replica_in(region: &str) -> Self {
        Self { fail_replica_in: Some(region.into()), ..Self::default() }
    }

    /// Re-creating a replica within `window` after its delete finished fails with 409.
    pub fn recreate_conflict(window: Duration) -> Self {
        Self { recreate_conflict_ms: Some(u64::try_from(window.as_millis()).unwrap_or(u64::MAX)), ..Self::default() }
    }

    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.into());
        self
    }

    pub fn path_contains(mut self, fragment: &str) -> Self {
        self.path_contains = Some(fragment.into());
        self
    }

    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    pub fn with_error(mut self, code: &str, message: &str) -> Self {
        self.code = Some(code.into());
        self.message = Some(message.into());
        self
    }

    /// Rejects rules that would do nothing or answer a non-error status.
    pub fn validate(&self) -> Result<(), String> {
        if self.status.is_none()
            && self.delay_ms.is_none()
            && self.fail_replica_in.is_none()
            && self.recreate_conflict_ms.is_none()
        {
            return Err("a fault rule needs one of status, delayMs, failReplicaIn or recreateConflictMs".into());
        }
        match self.status {
            Some(s) if !(400..=599).contains(&s) => Err(format!("status {s} is not an error status (400-599)")),
            _ => Ok(()),
        }
    }

    /// `method`/`pathContains` filters only (no kind check).
    fn matches_filters(&self, method: &str, path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.path_contains.as_deref().is_none_or(|p| path.to_ascii_lowercase().contains(&p.to_ascii_lowercase()))
    }

    /// Request rules act in the middleware; replica and recreate rules act
    /// inside the handlers and never match there.
    fn matches_request(&self, method: &str, path: &str) -> bool {
        self.fail_replica_in.is_none() && self.recreate_conflict_ms.is_none() && self.matches_filters(method, path)
    }
}

/// What a delete must leave behind when a recreate rule is armed.
pub(crate) struct RecreateConflict {
    pub window: Duration,
    pub code: String,
    pub message: Option<String>,
}

/// What the middleware must do for one request.
pub(crate) struct RequestFault {
    pub delay: Option<Duration>,
    pub error: Option<ArmError>,
}

/// The active rules, in the order they were added; the first match wins.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub rules: Vec<FaultRule>,
    /// Resource Graph answers 403 `AuthorizationFailed` while set
    /// (`PUT /_emulator/faults/resource-graph`), so the ARM fallback can be tested.
    pub resource_graph_refused: bool,
}

impl Faults {
    /// Finds the first rule matching the request and consumes one use of it.
    pub fn for_request(&mut self, method: &str, path: &str) -> Option<RequestFault> {
        let idx = self.rules.iter().position(|r| r.matches_request(method, path))?;
        let rule = self.consume(idx);
        let error = rule.status.map(|s| injected_error(&rule, s, method, path));
        Some(RequestFault { delay: rule.delay_ms.map(Duration::from_millis), error })
    }

    /// The failure for the next replica created in `region`, if one is armed.
    pub fn take_replica_failure(&mut self, region: &str) -> Option<(String, String)> {
        let wanted = crate::regions::normalize(region);
        let idx = self
            .rules
            .iter()
            .position(|r| r.fail_replica_in.as_deref().is_some_and(|l| crate::regions::normalize(l) == wanted))?;
        // Replica rules fire once unless `times` says otherwise.
        if self.rules[idx].times.is_none() {
            self.rules[idx].times = Some(1);
        }
        let rule = self.consume(idx);
        let code = rule.code.unwrap_or_else(|| a::DEFAULT_INJECTED_FAILURE_CODE.into());
        let message = rule.message.unwrap_or_else(|| a::DEFAULT_INJECTED_FAILURE_MESSAGE.into());
        Some((code, message))
    }

    /// The recreate-conflict rule for a replica DELETE on `path`, if one is
    /// armed (consumes one use).
    pub fn take_recreate_conflict(&mut self, path: &str) -> Option<RecreateConflict> {
        let idx =
            self.rules.iter().position(|r| r.recreate_conflict_ms.is_some() && r.matches_filters("DELETE", path))?;
        let rule = self.consume(idx);
        Some(RecreateConflict {
            window: Duration::from_millis(rule.recreate_conflict_ms.unwrap_or_default()),
            code: rule.code.unwrap_or_else(|| a::RECREATE_CONFLICT_CODE.into()),
            message: rule.message,
        })
    }

    /// Returns the rule and decrements its count, dropping it when used up.
    fn consume(&mut self, idx: usize) -> FaultRule {
        let rule = self.rules[idx].clone();
        if let Some(n) = self.rules[idx].times.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.rules.remove(idx);
            }
        }
        rule
    }
}

fn injected_error(rule: &FaultRule, status: u16, method: &str, path: &str) -> ArmError {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let sub = path.split('/').skip_while(|s| !s.eq_ignore_ascii_case("subscriptions")).nth(1).unwrap_or("unknown");
    let (code, message, retry_after) = if status == StatusCode::TOO_MANY_REQUESTS {
        let secs = rule.retry_after.unwrap_or(1);
        let kind = match method {
            "GET" | "HEAD" => "read",
            "DELETE" => "delete",
            _ => "write",
        };
        let msg = format!(
            "Number of '{kind}' requests for subscription '{sub}' actor '{}' \
             exceeded. Please try again after '{secs}' seconds after additional tokens are available. \
             Refer to https://aka.ms/arm-throttling for additional information.",
            a::DEFAULT_ACTOR
        );
        ("SubscriptionRequestsThrottled", msg, Some(secs))
    } else if status.is_server_error() {
        let msg = format!(
            "Encountered internal server error. Diagnostic information: timestamp '{}', subscription id '{sub}'.",
            crate::docs::now()
        );
        ("InternalServerError", msg, rule.retry_after)
    } else {
        ("InjectedFault", "The emulator was told to fail this request.".to_owned(), rule.retry_after)
    };
    let mut err = ArmError::new(status, rule.code.as_deref().unwrap_or(code), rule.message.clone().unwrap_or(message));
    err.retry_after = retry_after;
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_limits_a_rule_and_first_match_wins() {
        let mut f = Faults::default();
        f.rules.push(FaultRule::throttle(2).method("PUT").path_contains("/replications/").times(1));
        assert!(f.for_request("GET", "/x/replications/a").is_none());
        let hit = f.for_request("put", "/X/Replications/a").unwrap();
        let err = hit.error.unwrap();
        assert_eq!(err.code, "SubscriptionRequestsThrottled");
        assert_eq!(err.retry_after, Some(2));
        assert!(f.for_request("PUT", "/x/replications/a").is_none());
    }

    #[test]
    fn replica_failure_fires_once_and_ignores_requests() {
        let mut f = Faults::default();
        f.rules.push(FaultRule::fail_replica_in("westeurope"));
        assert!(f.for_request("PUT", "/anything").is_none());
        assert!(f.take_replica_failure("japaneast").is_none());
        assert!(f.take_replica_failure("West Europe").is_some());
        assert!(f.take_replica_failure("westeurope").is_none());
    }

    #[test]
    fn recreate_rules_only_act_on_deletes() {
        let mut f = Faults::default();
        f.rules.push(FaultRule::recreate_conflict(Duration::from_secs(5)).times(1));
        assert!(f.for_request("DELETE", "/r/replications/x").is_none());
        let c = f.take_recreate_conflict("/r/replications/x").unwrap();
        assert_eq!(c.window, Duration::from_secs(5));
        assert_eq!(c.code, a::RECREATE_CONFLICT_CODE);
        assert!(f.take_recreate_conflict("/r/replications/x").is_none());
    }

    #[test]
    fn validation_rejects_empty_and_success_rules() {
        assert!(FaultRule::default().validate().is_err());
        assert!(FaultRule::status(200).validate().is_err());
        assert!(FaultRule::status(503).validate().is_ok());
    }
}
