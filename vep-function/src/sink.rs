//! Delivery of result events to `K_SINK` (binary-mode CloudEvents over HTTP).

use std::time::Duration;

use cloudevents::binding::reqwest::RequestBuilderExt;
use cloudevents::Event;
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("the sink rejected the event with status {0}")]
    Rejected(u16),
    #[error("the sink answered {status} after {attempts} attempts")]
    Unavailable { status: u16, attempts: u32 },
    #[error("the sink could not be reached after {attempts} attempts: {reason}")]
    Unreachable { reason: String, attempts: u32 },
    #[error("the event could not be serialized: {0}")]
    Encode(String),
}

/// Running as a Knative Service (`K_SERVICE` set) without `K_SINK`. A KafkaSource discards
/// replies, so an inline answer would lose the result without a trace; this happens when a
/// revision starts before the SinkBinding has injected `K_SINK` (eventing/README.md).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("running as Knative service {service} without K_SINK: results could not be delivered (is the SinkBinding applied and the Knative Service labelled bindings.knative.dev/include=true?)")]
pub struct MissingSink {
    pub service: String,
}

impl MissingSink {
    pub fn code(&self) -> &'static str {
        "sink_missing"
    }

    /// `Some` when this process must refuse work: under Knative, and no sink configured.
    pub fn check(knative_service: Option<&str>, sink: Option<&Url>) -> Option<Self> {
        match (knative_service, sink) {
            (Some(service), None) => Some(Self {
                service: service.to_owned(),
            }),
            _ => None,
        }
    }
}

/// Posts events to one sink, with a timeout per attempt and a bounded number of retries on
/// transient answers. Beyond that, the caller answers 5xx so Knative redelivers the input.
#[derive(Clone)]
pub struct Sink {
    client: reqwest::Client,
    url: Url,
    attempts: u32,
    backoff: Duration,
}

impl Sink {
    pub fn new(url: Url, timeout: Duration, attempts: u32) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .build()?;
        Ok(Self {
            client,
            url,
            attempts: attempts.max(1),
            backoff: Duration::from_millis(100),
        })
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    pub async fn send(&self, event: &Event) -> Result<(), SinkError> {
        let mut last = SinkError::Unreachable {
            reason: "no attempt made".into(),
            attempts: 0,
        };
        for attempt in 1..=self.attempts {
            if attempt > 1 {
                tokio::time::sleep(self.backoff * 2u32.pow(attempt - 2)).await;
            }
            let request = self
                .client
                .post(self.url.clone())
                .event(event.clone())
                .map_err(|e| SinkError::Encode(e.to_string()))?;
            match request.send().await {
                Ok(resp) if resp.status().is_success() => return Ok(()),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let transient = status == 429 || status == 408 || status >= 500;
                    if !transient {
                        return Err(SinkError::Rejected(status));
                    }
                    last = SinkError::Unavailable {
                        status,
                        attempts: attempt,
                    };
                }
                Err(e) => {
                    last = SinkError::Unreachable {
                        reason: e.to_string(),
                        attempts: attempt,
                    };
                }
            }
            tracing::warn!(attempt, error = %last, "result delivery to sink failed");
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_knative_pod_without_k_sink_misses_its_sink() {
        let sink = Url::parse("http://sink.local/").unwrap();
        let missing = MissingSink::check(Some("vep-function"), None).unwrap();
        assert_eq!(missing.code(), "sink_missing");
        assert!(missing.to_string().contains("vep-function"), "{missing}");
        assert_eq!(MissingSink::check(Some("vep-function"), Some(&sink)), None);
        // Outside Knative (make run, tests) the inline reply is the local wiring.
        assert_eq!(MissingSink::check(None, None), None);
        assert_eq!(MissingSink::check(None, Some(&sink)), None);
    }
}
