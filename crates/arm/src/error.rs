//! ARM failures as typed errors.

use std::time::Duration;

use serde::Deserialize;

/// The `error` object of ARM's `{"error": {...}}` envelope (common-types v5 `ErrorDetail`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct ArmErrorBody {
    /// ARM or RP error code, e.g. `ResourceNotFound`.
    #[serde(default)]
    pub code: String,
    /// Human-readable text from ARM.
    #[serde(default)]
    pub message: String,
}

#[derive(Deserialize)]
struct Envelope {
    error: ArmErrorBody,
}

impl ArmErrorBody {
    /// Parses an ARM error response body; `None` if it is not the envelope.
    pub fn parse(body: &[u8]) -> Option<Self> {
        serde_json::from_slice::<Envelope>(body).ok().map(|e| e.error)
    }
}

/// Everything that can go wrong talking to ARM.
#[derive(Debug, thiserror::Error)]
pub enum ArmError {
    /// No token could be obtained.
    #[error("could not get an access token: {0}")]
    Credential(String),
    /// The request did not get an HTTP answer (connection refused, reset, time-out).
    #[error("could not reach Azure Resource Manager: {0}")]
    Transport(String),
    /// ARM answered with an error status.
    #[error("ARM returned {status}: ({code}) {message}")]
    Status {
        /// HTTP status.
        status: u16,
        /// ARM error code (empty if the body was not an ARM envelope).
        code: String,
        /// ARM error message.
        message: String,
        /// `x-ms-request-id` of the failed response.
        request_id: Option<String>,
        /// `Retry-After`, when ARM sent one.
        retry_after: Option<Duration>,
    },
    /// A long-running operation ended in `Failed` or `Canceled`.
    #[error("the operation ended {status}: ({code}) {message}", code = .error.code, message = .error.message)]
    OperationFailed {
        /// Final status word.
        status: String,
        /// The error ARM reported.
        error: ArmErrorBody,
    },
    /// The response body was not what the API promises.
    #[error("unexpected response from ARM: {0}")]
    Decode(String),
    /// A long-running operation did not end within the deadline.
    #[error("the operation did not finish within {0:?}")]
    TimedOut(Duration),
    /// A link from ARM pointed outside the configured endpoint; the token is not sent there.
    #[error("refusing to follow a link outside the ARM endpoint: {0}")]
    ForeignLink(String),
}

impl ArmError {
    /// Whether asking again later may give another answer: the network, ARM's own trouble
    /// (408, 429, 5xx) or the credential (a sign-in outage). A write ARM accepted is not known
    /// to have failed while only these errors come back.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport(_) | Self::Credential(_) => true,
            Self::Status { status, .. } => *status == 408 || *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// HTTP status when ARM answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// ARM 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// ARM 409.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    /// ARM 429.
    pub fn is_throttled(&self) -> bool {
        self.status() == Some(429)
    }

    /// How long ARM asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A sentence safe to show any user: ARM's own words for ARM's answers, a generic line for
    /// everything else (transport and credential errors can carry URLs with signed query
    /// strings, tenant ids or tool output, which belong in the server log only).
    pub fn public_message(&self) -> String {
        match self {
            Self::Status { .. } | Self::OperationFailed { .. } => self.user_message(),
            Self::Credential(_) => "The portal could not get an Azure access token; see the server log.".into(),
            Self::Transport(_) => "Azure Resource Manager could not be reached.".into(),
            Self::Decode(_) => "Azure Resource Manager sent a response the portal could not read.".into(),
            Self::ForeignLink(_) => {
                "Azure Resource Manager pointed to a host outside its endpoint; the request was stopped.".into()
            }
            Self::TimedOut(_) => {
                "The operation did not finish in time; its state will show once ARM reports it.".into()
            }
        }
    }

    /// A sentence for people: ARM's own code and message when there is one.
    pub fn user_message(&self) -> String {
        match self {
            Self::Status { code, message, .. } if !code.is_empty() => format!("{message} ({code})"),
            Self::OperationFailed { error, .. } if !error.code.is_empty() => {
                format!("{} ({})", error.message, error.code)
            }
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_arm_envelope() {
        let body = br#"{"error":{"code":"ResourceNotFound","message":"The Resource 'x' was not found.","details":[]}}"#;
        let e = ArmErrorBody::parse(body).unwrap();
        assert_eq!(e.code, "ResourceNotFound");
        assert_eq!(e.message, "The Resource 'x' was not found.");
        assert!(ArmErrorBody::parse(b"<html>").is_none());
    }
}
