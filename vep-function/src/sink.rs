//! The function's sink (`K_SINK`): delivering the events of one chunk, and what a pod
//! without a sink must do under Knative. Sending itself is `contract::delivery`, shared with
//! the gateway.
//!
//! A chunk's result may be several events (its parts). Each is sent in turn. A part the sink
//! refuses for good (a 4xx other than 408/429: e.g. 413 when the sink's record limit is lower
//! than `EVENT_MAX_BYTES`, or the gateway's 400 for a range it already closed) is replaced
//! by a non-retryable `failed` event for the same range, naming the cause, so the user hears
//! it; a refusal is never turned into a 5xx, which Knative would retry for nothing
//! (issue #17.3). An outage (5xx, timeouts) stops the delivery: the caller answers 503 and
//! the redelivered input sends every part again (the gateway counts each range once).

use cloudevents::Event;
use contract::delivery::{Delivery, DeliveryError};
use url::Url;

use crate::events::{Chunk, Emitter, Failed};

/// One event to deliver, and the inputs it answers for when it is a part.
pub struct Outgoing {
    pub event: Event,
    /// The part's range, `None` for a `failed` event (nothing replaces a refused failure).
    pub part: Option<Chunk>,
}

/// How a chunk's delivery ended, when no outage stopped it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub delivered: usize,
    /// Parts refused and replaced by a delivered `failed` event: (status, inputs).
    pub replaced: Vec<(u16, u64)>,
    /// Inputs no event could be delivered for (the sink refused the part and its failure):
    /// with the last refusal's status.
    pub undeliverable: Option<(u16, u64)>,
}

impl Report {
    fn undeliverable(&mut self, status: u16, inputs: u64) {
        let before = self.undeliverable.map_or(0, |(_, n)| n);
        self.undeliverable = Some((status, before + inputs));
    }
}

/// The code a refused part's inputs get: `result_too_large` for a 413, else
/// `result_refused`.
pub fn refusal_code(status: u16) -> &'static str {
    if status == 413 {
        crate::events::RESULT_TOO_LARGE
    } else {
        "result_refused"
    }
}

/// Sends `outgoing` in order. `Err` on the first failure a retry may fix.
pub async fn deliver(
    sink: &Delivery,
    emitter: &Emitter<'_>,
    outgoing: Vec<Outgoing>,
) -> Result<Report, DeliveryError> {
    let mut report = Report::default();
    for out in outgoing {
        let refused = match sink.send(&out.event).await {
            Ok(()) => {
                report.delivered += 1;
                continue;
            }
            Err(e) => match e.refused_status() {
                Some(status) => (status, e),
                None => return Err(e),
            },
        };
        let (status, error) = refused;
        tracing::warn!(status, error = %error, "the sink refused an event");
        let Some(part) = out.part else {
            report.undeliverable(status, 0);
            continue;
        };
        let inputs = part.variant_count;
        let failed = Failed::of(
            part,
            refusal_code(status),
            format!("the result could not be delivered: {error}"),
            false,
        );
        let event = match emitter.failed(&failed) {
            Ok(event) => event,
            Err(e) => {
                tracing::error!(error = %e, "the failure of a refused part could not be built");
                report.undeliverable(status, inputs);
                continue;
            }
        };
        match sink.send(&event).await {
            Ok(()) => report.replaced.push((status, inputs)),
            Err(e) if e.refused_status().is_some() => {
                tracing::warn!(error = %e, "the sink refused the failure of a refused part too");
                report.undeliverable(status, inputs);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(report)
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
