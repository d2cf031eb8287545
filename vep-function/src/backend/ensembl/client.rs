//! One batch of notations to one Ensembl POST endpoint, with the server's rules: the shared
//! rate limit, `Retry-After` on 429, backoff on 5xx, halving a batch that keeps timing out or
//! is rejected as a whole, and a circuit breaker. Every input gets exactly one answer.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use url::Url;

use super::breaker::Breaker;
use super::input::Endpoint;
use super::limiter::Limiter;
use super::response::{error_message, match_to_inputs, parse_batch};
use super::{codes, failure};
use crate::config::EnsemblSettings;
use crate::service::VariantOutcome;

/// Consecutive timeouts after which a batch of several variants is halved.
const TIMEOUTS_BEFORE_SPLIT: u32 = 2;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// A 429 without a usable `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("VEP_API_URL {0} cannot be a base URL")]
    BadUrl(String),
    #[error("building the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

pub struct Client {
    http: reqwest::Client,
    base: Url,
    species: String,
    options: String,
    request_timeout: Duration,
    attempts: u32,
    limiter: Limiter,
    breaker: Breaker,
    /// Bounds requests in flight to Ensembl across all chunks of this instance.
    in_flight: Semaphore,
}

/// What one request round (with its retries) came to.
enum Round {
    Answered(Vec<Value>),
    /// A 400 for the batch as a whole: permanent for at least one of its variants.
    Rejected(String),
    /// The batch keeps timing out: smaller batches may go through.
    TimedOut,
    /// Ensembl is down, overloaded, or the chunk's time is up.
    Unavailable(String),
}

impl Client {
    pub fn new(settings: &EnsemblSettings) -> Result<Self, ClientError> {
        let mut base = settings.url.clone();
        if base.cannot_be_a_base() {
            return Err(ClientError::BadUrl(settings.url.to_string()));
        }
        // A mirror may live under a path prefix: keep it when joining endpoint paths.
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(settings.request_timeout.min(Duration::from_secs(10)))
            .timeout(settings.request_timeout)
            .user_agent(concat!("vep-function/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            base,
            species: settings.species.clone(),
            options: settings.options.clone(),
            request_timeout: settings.request_timeout,
            attempts: settings.attempts,
            limiter: Limiter::new(settings.rate),
            breaker: Breaker::new(settings.breaker_failures, settings.breaker_cooldown),
            in_flight: Semaphore::new(settings.concurrency),
        })
    }

    pub fn circuit_open(&self) -> bool {
        self.breaker.is_open()
    }

    fn url(&self, endpoint: Endpoint) -> Result<Url, url::ParseError> {
        let mut url = self
            .base
            .join(&format!("vep/{}/{}", self.species, endpoint.path()))?;
        url.set_query(
            Some(&self.options)
                .filter(|o| !o.is_empty())
                .map(|o| o.as_str()),
        );
        Ok(url)
    }

    /// Annotates `texts` (distinct, normalised) with one answer each, in any order.
    pub async fn annotate(
        &self,
        endpoint: Endpoint,
        texts: Vec<String>,
        deadline: Instant,
    ) -> Vec<(String, VariantOutcome)> {
        let mut answers = Vec::with_capacity(texts.len());
        let mut pending = vec![texts];
        while let Some(batch) = pending.pop() {
            match self.round(endpoint, &batch, deadline).await {
                Round::Answered(items) => {
                    let (mut matched, strays) = match_to_inputs(items, &batch);
                    if strays > 0 {
                        tracing::warn!(strays, "Ensembl answered for inputs it was not sent");
                    }
                    for text in batch {
                        let answer = match matched.remove(&text) {
                            Some(Ok(annotations)) => Ok(annotations),
                            Some(Err(e)) => Err(failure(
                                codes::INVALID_ANSWER,
                                &format!("Ensembl's answer is not a VEP annotation: {e}"),
                            )),
                            None => Err(failure(
                                codes::NOT_ANNOTATED,
                                "Ensembl returned no annotation for this input (it could not \
                                 parse or place it)",
                            )),
                        };
                        answers.push((text, answer));
                    }
                }
                Round::Rejected(message) if batch.len() == 1 => {
                    answers.extend(batch.into_iter().map(|t| {
                        (
                            t,
                            Err(failure(codes::REJECTED, &format!("Ensembl: {message}"))),
                        )
                    }));
                }
                Round::Rejected(_) | Round::TimedOut if batch.len() > 1 => {
                    let mut first = batch;
                    let second = first.split_off(first.len() / 2);
                    pending.push(second);
                    pending.push(first);
                }
                Round::TimedOut => answers.extend(batch.into_iter().map(|t| {
                    (
                        t,
                        Err(failure(
                            codes::UNAVAILABLE,
                            "Ensembl timed out on this variant; retry later",
                        )),
                    )
                })),
                Round::Unavailable(reason) | Round::Rejected(reason) => {
                    let message = format!("Ensembl unavailable ({reason}); retry later");
                    answers.extend(
                        batch
                            .into_iter()
                            .map(|t| (t, Err(failure(codes::UNAVAILABLE, &message)))),
                    );
                }
            }
        }
        answers
    }

    /// One batch, retried on the failures a retry can fix.
    async fn round(&self, endpoint: Endpoint, batch: &[String], deadline: Instant) -> Round {
        let url = match self.url(endpoint) {
            Ok(url) => url,
            Err(e) => return Round::Unavailable(format!("bad endpoint URL: {e}")),
        };
        let body = json!({ endpoint.body_key(): batch });
        let mut timeouts = 0;
        let mut failures = 0;
        let mut last = String::from("no attempt made");
        while failures < self.attempts {
            if !self.breaker.allow() {
                return Round::Unavailable("circuit open after repeated failures".into());
            }
            if self.limiter.acquire(deadline).await.is_err() {
                return Round::Unavailable(format!("chunk deadline reached; last: {last}"));
            }
            let Ok(Ok(_permit)) = tokio::time::timeout_at(deadline, self.in_flight.acquire()).await
            else {
                return Round::Unavailable(format!("chunk deadline reached; last: {last}"));
            };
            let budget = deadline.saturating_duration_since(Instant::now());
            let timeout = self.request_timeout.min(budget);
            if timeout.is_zero() {
                return Round::Unavailable(format!("chunk deadline reached; last: {last}"));
            }
            let sent = self
                .http
                .post(url.clone())
                .header(reqwest::header::ACCEPT, "application/json")
                .json(&body)
                .timeout(timeout)
                .send()
                .await;
            let mut wait = None;
            match sent {
                Ok(response) => {
                    let status = response.status();
                    let retry_after = retry_after(response.headers());
                    let bytes = response.bytes().await;
                    metrics::counter!("vep_ensembl_requests_total", "status" => status.as_str().to_owned())
                        .increment(1);
                    match (status, bytes) {
                        (StatusCode::OK, Ok(bytes)) => match parse_batch(&bytes) {
                            Ok(items) => {
                                self.breaker.success();
                                return Round::Answered(items);
                            }
                            Err(e) => {
                                self.breaker.failure();
                                last = e.to_string();
                            }
                        },
                        (StatusCode::BAD_REQUEST, Ok(bytes)) => {
                            self.breaker.success();
                            return Round::Rejected(error_message(&bytes));
                        }
                        (StatusCode::TOO_MANY_REQUESTS, _) => {
                            // Not a failure of Ensembl, and not counted against the attempts:
                            // the server told us when to come back, and the deadline bounds it.
                            let pause = retry_after.unwrap_or(DEFAULT_RETRY_AFTER);
                            tracing::info!(
                                retry_after_ms = pause.as_millis() as u64,
                                "Ensembl rate limit hit: pausing all requests"
                            );
                            self.limiter.pause_until(Instant::now() + pause);
                            last = "rate limited (HTTP 429)".into();
                            continue;
                        }
                        (StatusCode::GATEWAY_TIMEOUT, _) => {
                            self.breaker.failure();
                            timeouts += 1;
                            last = "HTTP 504".into();
                            wait = retry_after;
                        }
                        (status, Ok(_)) if status.is_server_error() => {
                            self.breaker.failure();
                            timeouts = 0;
                            last = format!("HTTP {}", status.as_u16());
                            wait = retry_after;
                        }
                        (status, Ok(bytes)) => {
                            // 404/405/413...: the URL, species or options are wrong; retrying
                            // cannot help.
                            self.breaker.failure();
                            return Round::Unavailable(format!(
                                "HTTP {}: {}",
                                status.as_u16(),
                                error_message(&bytes)
                            ));
                        }
                        (status, Err(e)) => {
                            self.breaker.failure();
                            if e.is_timeout() {
                                timeouts += 1;
                            }
                            last = format!("HTTP {} with an unreadable body: {e}", status.as_u16());
                        }
                    }
                }
                Err(e) if e.is_timeout() => {
                    metrics::counter!("vep_ensembl_requests_total", "status" => "timeout")
                        .increment(1);
                    self.breaker.failure();
                    timeouts += 1;
                    last = format!("no answer within {} ms", timeout.as_millis());
                }
                Err(e) => {
                    metrics::counter!("vep_ensembl_requests_total", "status" => "error")
                        .increment(1);
                    self.breaker.failure();
                    timeouts = 0;
                    last = format!("request failed: {e}");
                }
            }
            failures += 1;
            if timeouts >= TIMEOUTS_BEFORE_SPLIT && batch.len() > 1 {
                return Round::TimedOut;
            }
            if failures >= self.attempts {
                break;
            }
            let wait = wait.unwrap_or_else(|| backoff(failures));
            if Instant::now() + wait > deadline {
                return Round::Unavailable(format!("chunk deadline reached; last: {last}"));
            }
            // The wait is also a pause for everyone: the server is struggling.
            self.limiter.pause_until(Instant::now() + wait);
        }
        if timeouts > 0 && batch.len() == 1 && last.starts_with("no answer") {
            return Round::TimedOut;
        }
        Round::Unavailable(format!("{last} after {failures} attempts"))
    }
}

fn backoff(failures: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(1 << failures.saturating_sub(1).min(10))
        .min(MAX_BACKOFF)
}

/// `Retry-After` as Ensembl sends it: seconds, possibly fractional (`0.35`).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let seconds: f64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (seconds.is_finite() && seconds >= 0.0)
        .then(|| Duration::from_secs_f64(seconds).min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    #[test]
    fn retry_after_takes_fractional_seconds_and_ignores_nonsense() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("0.35"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(350)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("-1"));
        assert_eq!(retry_after(&h), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(2), Duration::from_millis(400));
        assert_eq!(backoff(30), MAX_BACKOFF);
    }
}
