//! Delivering a CloudEvent to a Knative addressable (binary mode over HTTP): the gateway's
//! submitted events to the Broker, the function's results to `K_SINK`. One per-attempt
//! timeout, bounded retries with capped exponential backoff on what a retry can fix (5xx,
//! 408, 429, timeouts, connection errors); any other answer is final.
//!
//! The SDK's reqwest binding is used only here; callers hand over a built event.
//!
//! With Knative Eventing's sender identity on (`authentication-oidc`), the Broker ingress and
//! the KafkaSink receiver refuse requests without an OIDC token for their own audience
//! (`<group>/<kind>/<namespace>/<name>`, knative/eventing `pkg/auth.GetAudience`). A sender
//! configured with a token file ([`Delivery::with_token_file`]: a projected service-account
//! token, which the kubelet refreshes in place) sends `Authorization: Bearer` with the file's
//! current content on every attempt. Such a sender retries 401 and 403 (the next attempt
//! re-reads the token); when they persist they are an authorization failure of the sender, not
//! a refusal of the event: the function answers 503, so the KafkaSource redelivers within its
//! retry budget (then dead-letters; the user's chunk ends as `chunk_timeout`). Without a token
//! they stay final refusals: this project's own receivers answer them for unsigned or forged
//! events.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cloudevents::binding::reqwest::RequestBuilderExt;
use cloudevents::Event;
use reqwest::StatusCode;
use url::Url;

const BACKOFF_BASE: Duration = Duration::from_millis(100);
const BACKOFF_CAP: Duration = Duration::from_secs(2);

/// Why an event was not delivered. The codes are the ones the gateway reports to users
/// (`broker_*`: its destination is the Knative Broker); vep-function answers any of these
/// with its own `sink_unavailable` (HTTP 502 or 503, see [`DeliveryError::is_refusal`]).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DeliveryError {
    #[error("the destination rejected the event with HTTP {0}")]
    Rejected(u16),
    #[error("the destination answered HTTP {status} after {attempts} attempts")]
    Unavailable { status: u16, attempts: u32 },
    #[error("the destination did not answer within the timeout ({attempts} attempts)")]
    Timeout { attempts: u32 },
    #[error("the destination could not be reached ({attempts} attempts): {reason}")]
    Unreachable { attempts: u32, reason: String },
    #[error("the event could not be encoded: {0}")]
    Encode(String),
    /// 401/403 on every attempt: the sender's identity (its token) is not accepted.
    #[error("the destination refused the sender's identity with HTTP {status} ({attempts} attempts): check the token file and the destination's audience")]
    Unauthorized { status: u16, attempts: u32 },
    /// The configured token file could not be read.
    #[error("the sender's token could not be read from {path}: {reason}")]
    Token { path: String, reason: String },
    /// The last attempt failed, but an earlier one (or this one) timed out or lost its
    /// connection after the request was written: the destination may have the event.
    #[error("{last} (an attempt may have reached the destination)")]
    Uncertain { last: Box<DeliveryError> },
}

impl DeliveryError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Rejected(_) => "broker_rejected",
            Self::Unavailable { .. } => "broker_unavailable",
            Self::Timeout { .. } => "broker_timeout",
            Self::Unreachable { .. } => "broker_unreachable",
            Self::Encode(_) => "internal",
            Self::Unauthorized { .. } => "broker_unauthorized",
            Self::Token { .. } => "sender_token_unavailable",
            Self::Uncertain { last } => last.code(),
        }
    }

    /// A timed-out attempt may have reached the destination (and the event its consumer):
    /// its outcome is unknown, unlike a refusal or a failed connect.
    pub fn may_have_been_delivered(&self) -> bool {
        matches!(self, Self::Timeout { .. } | Self::Uncertain { .. })
    }

    /// The destination refused this event (or it could not be encoded): sending it again
    /// gives the same answer, unlike an outage.
    pub fn is_refusal(&self) -> bool {
        match self {
            Self::Rejected(_) | Self::Encode(_) => true,
            Self::Uncertain { last } => last.is_refusal(),
            _ => false,
        }
    }

    /// The HTTP status of a refusal (`None` for anything else).
    pub fn refused_status(&self) -> Option<u16> {
        match self {
            Self::Rejected(status) => Some(*status),
            Self::Uncertain { last } => last.refused_status(),
            _ => None,
        }
    }

    /// This failure, marked uncertain when some attempt may have reached the destination.
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

/// What to do with an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    Retry,
    /// 401/403: retried with the token read again; never a refusal of the event.
    Unauthorized,
    Fail,
}

pub fn classify(status: StatusCode) -> Verdict {
    if status.is_success() {
        Verdict::Accepted
    } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        Verdict::Unauthorized
    } else if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
    {
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

/// Sends events to one destination.
#[derive(Clone)]
pub struct Delivery {
    client: reqwest::Client,
    url: Url,
    timeout: Duration,
    retries: u32,
    token_file: Option<PathBuf>,
}

impl Delivery {
    /// `timeout` bounds each attempt (connect included); `retries` attempts follow the first.
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
            token_file: None,
        })
    }

    /// Sends `Authorization: Bearer <the file's content>` on every attempt (see the module
    /// documentation).
    pub fn with_token_file(mut self, path: PathBuf) -> Self {
        self.token_file = Some(path);
        self
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// [`classify`], except that 401/403 are about the sender's identity only when it sends
    /// one: without a token they are the destination's verdict on the event itself (this
    /// project's own receivers answer them for unsigned or forged events), final.
    fn verdict(&self, status: StatusCode) -> Verdict {
        match classify(status) {
            Verdict::Unauthorized if self.token_file.is_none() => Verdict::Fail,
            verdict => verdict,
        }
    }

    async fn token(path: &Path) -> Result<String, DeliveryError> {
        token_of(path, tokio::fs::read_to_string(path).await)
    }

    /// Sends one event; Ok only once the destination answered 2xx.
    pub async fn send(&self, event: &Event) -> Result<(), DeliveryError> {
        let mut attempt = 0;
        let mut maybe_delivered = false;
        loop {
            attempt += 1;
            let mut request = self.client.post(self.url.clone()).timeout(self.timeout);
            if let Some(path) = &self.token_file {
                let token = Self::token(path)
                    .await
                    .map_err(|e| e.after(maybe_delivered))?;
                request = request.bearer_auth(token);
            }
            let request = request
                .event(event.clone())
                .map_err(|e| DeliveryError::Encode(e.to_string()))?;
            let failure = match request.send().await {
                Ok(reply) => match self.verdict(reply.status()) {
                    Verdict::Accepted => return Ok(()),
                    Verdict::Fail => {
                        let e = DeliveryError::Rejected(reply.status().as_u16());
                        return Err(e.after(maybe_delivered));
                    }
                    Verdict::Retry => DeliveryError::Unavailable {
                        status: reply.status().as_u16(),
                        attempts: attempt,
                    },
                    Verdict::Unauthorized => DeliveryError::Unauthorized {
                        status: reply.status().as_u16(),
                        attempts: attempt,
                    },
                },
                Err(e) if e.is_timeout() => {
                    maybe_delivered = true;
                    DeliveryError::Timeout { attempts: attempt }
                }
                Err(e) => {
                    // Only a failed connect proves the request never left.
                    maybe_delivered |= !e.is_connect();
                    DeliveryError::Unreachable {
                        attempts: attempt,
                        reason: e.to_string(),
                    }
                }
            };
            if attempt > self.retries {
                return Err(failure.after(maybe_delivered));
            }
            tracing::warn!(attempt, error = %failure, "event delivery failed, retrying");
            tokio::time::sleep(backoff(attempt)).await;
        }
    }
}

/// Reads a token file once, as a start-up check: a token that cannot be read is a deployment
/// error, better said at start than as a failure of every event.
pub fn check_token_file(path: &Path) -> Result<(), DeliveryError> {
    token_of(path, std::fs::read_to_string(path)).map(drop)
}

/// The token a token file's content holds (one line of visible ASCII, as a JWT is).
fn token_of(path: &Path, read: std::io::Result<String>) -> Result<String, DeliveryError> {
    let failed = |reason: String| DeliveryError::Token {
        path: path.display().to_string(),
        reason,
    };
    let text = read.map_err(|e| failed(e.to_string()))?;
    let token = text.trim();
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(failed("the file holds no token".into()));
    }
    Ok(token.to_owned())
}

#[cfg(test)]
mod tests;
