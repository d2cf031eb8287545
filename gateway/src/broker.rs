//! Sends submitted events to the Knative Broker (binary mode) with a per-attempt timeout and
//! bounded, exponentially backed-off retries on 5xx, 429, timeouts and connection errors.

use std::time::Duration;

use cloudevents::binding::reqwest::RequestBuilderExt;
use reqwest::StatusCode;
use url::Url;

use crate::events::OutboundEvent;

const BACKOFF_BASE: Duration = Duration::from_millis(100);
const BACKOFF_CAP: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BrokerError {
    #[error("the broker rejected the event with HTTP {0}")]
    Rejected(u16),
    #[error("the broker answered HTTP {status} after {attempts} attempts")]
    Unavailable { status: u16, attempts: u32 },
    #[error("the broker did not answer within the timeout ({attempts} attempts)")]
    Timeout { attempts: u32 },
    #[error("the broker could not be reached ({attempts} attempts): {reason}")]
    Unreachable { attempts: u32, reason: String },
    #[error("the event could not be encoded: {0}")]
    Encode(String),
    /// The last attempt failed, but an earlier one (or this one) timed out or lost its
    /// connection after the request was written: the broker may have the event.
    #[error("{last} (an attempt may have reached the broker)")]
    Uncertain { last: Box<BrokerError> },
}

impl BrokerError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Rejected(_) => "broker_rejected",
            Self::Unavailable { .. } => "broker_unavailable",
            Self::Timeout { .. } => "broker_timeout",
            Self::Unreachable { .. } => "broker_unreachable",
            Self::Encode(_) => "internal",
            Self::Uncertain { last } => last.code(),
        }
    }

    /// A timed-out attempt may have reached the broker (and the event its consumer): its
    /// outcome is unknown, unlike a refusal or a failed connect.
    pub fn may_have_been_delivered(&self) -> bool {
        matches!(self, Self::Timeout { .. } | Self::Uncertain { .. })
    }

    /// This failure, marked uncertain when some attempt may have reached the broker.
    fn after(self, maybe_delivered: bool) -> Self {
        if maybe_delivered && !self.may_have_been_delivered() {
            Self::Uncertain {
                last: Box::new(self),
            }
        } else {
            self
        }
    }
}

/// What to do with a broker reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    Retry,
    Fail,
}

pub fn classify(status: StatusCode) -> Verdict {
    if status.is_success() {
        Verdict::Accepted
    } else if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        Verdict::Retry
    } else {
        Verdict::Fail
    }
}

/// Delay before retry number `attempt` (1-based): 100 ms, 200 ms, 400 ms ... capped at 2 s.
pub fn backoff(attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
    BACKOFF_BASE.saturating_mul(factor).min(BACKOFF_CAP)
}

#[derive(Clone)]
pub struct Broker {
    client: reqwest::Client,
    url: Url,
    timeout: Duration,
    retries: u32,
}

impl Broker {
    pub fn new(url: Url, timeout: Duration, retries: u32) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()?;
        Ok(Self {
            client,
            url,
            timeout,
            retries,
        })
    }

    /// Sends one event; Ok only once the broker answered 2xx.
    pub async fn send(&self, event: &OutboundEvent) -> Result<(), BrokerError> {
        let mut attempt = 0;
        let mut maybe_delivered = false;
        loop {
            attempt += 1;
            let request = self
                .client
                .post(self.url.clone())
                .timeout(self.timeout)
                .event(event.clone())
                .map_err(|e| BrokerError::Encode(e.to_string()))?;
            let failure = match request.send().await {
                Ok(reply) => match classify(reply.status()) {
                    Verdict::Accepted => return Ok(()),
                    Verdict::Fail => {
                        let e = BrokerError::Rejected(reply.status().as_u16());
                        return Err(e.after(maybe_delivered));
                    }
                    Verdict::Retry => BrokerError::Unavailable {
                        status: reply.status().as_u16(),
                        attempts: attempt,
                    },
                },
                Err(e) if e.is_timeout() => {
                    maybe_delivered = true;
                    BrokerError::Timeout { attempts: attempt }
                }
                Err(e) => {
                    // Only a failed connect proves the request never left.
                    maybe_delivered |= !e.is_connect();
                    BrokerError::Unreachable {
                        attempts: attempt,
                        reason: e.to_string(),
                    }
                }
            };
            if attempt > self.retries {
                return Err(failure.after(maybe_delivered));
            }
            tracing::warn!(attempt, error = %failure, "broker send failed, retrying");
            tokio::time::sleep(backoff(attempt)).await;
        }
    }
}

#[cfg(test)]
mod tests;
