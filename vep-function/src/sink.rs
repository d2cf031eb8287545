//! The function's sink (`K_SINK`) under Knative: what a pod without one must do. Delivery
//! itself is `contract::delivery`, shared with the gateway.

use url::Url;

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
