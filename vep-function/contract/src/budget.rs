//! The byte budget of one event on any hop (issue #16.1): the Knative Kafka data plane
//! produces with `max.request.size` 1 MiB by default, and a bigger record is refused (503,
//! retried, dead-lettered). Both services keep every event they send within
//! `EVENT_MAX_BYTES` (default 1,000,000), counting its attributes as the `ce-*` headers they
//! become (and the Kafka record headers after them) besides its data; the arithmetic is in
//! eventing/README.md, "Event size".

use cloudevents::{Data, Event};

use crate::config::Source;

pub const EVENT_MAX_BYTES: &str = "EVENT_MAX_BYTES";
pub const DEFAULT_EVENT_MAX_BYTES: usize = 1_000_000;
/// The smallest budget accepted: one submitted variant of the longest kind (10,000
/// characters, each escaped to at most 6 bytes in JSON) and the headers fit in it.
pub const MIN_EVENT_MAX_BYTES: usize = 64 * 1024;

/// The most bytes one event may take, headers included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget(usize);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{EVENT_MAX_BYTES}={value:?} is not valid: expected a number of bytes from {MIN_EVENT_MAX_BYTES}")]
pub struct BudgetError {
    pub value: String,
}

impl Default for Budget {
    fn default() -> Self {
        Self(DEFAULT_EVENT_MAX_BYTES)
    }
}

impl Budget {
    pub fn new(bytes: usize) -> Option<Self> {
        (bytes >= MIN_EVENT_MAX_BYTES).then_some(Self(bytes))
    }

    pub fn from_source(src: &dyn Source) -> Result<Self, BudgetError> {
        match src.get(EVENT_MAX_BYTES) {
            None => Ok(Self::default()),
            Some(v) => v
                .trim()
                .parse()
                .ok()
                .and_then(Self::new)
                .ok_or(BudgetError { value: v }),
        }
    }

    pub fn bytes(self) -> usize {
        self.0
    }

    /// Whether `event` fits.
    pub fn fits(self, event: &Event) -> bool {
        event_bytes(event) <= self.0
    }
}

/// `ce-<name>: <value>\r\n`: what each attribute adds in binary HTTP mode. A Kafka record
/// header (`ce_<name>`, two varint lengths) takes no more.
const HEADER_FRAMING: usize = "ce-".len() + ": ".len() + "\r\n".len();

/// The bytes of the attribute headers of `event` in binary mode (`content-type` for
/// `datacontenttype`, `ce-*` for the rest, extensions included).
pub fn header_bytes(event: &Event) -> usize {
    event
        .iter()
        .map(|(name, value)| {
            let value = value.to_string();
            if name == "datacontenttype" {
                "content-type: \r\n".len() + value.len()
            } else {
                HEADER_FRAMING + name.len() + value.len()
            }
        })
        .sum()
}

pub fn data_len(event: &Event) -> usize {
    match event.data() {
        None => 0,
        Some(Data::Binary(b)) => b.len(),
        Some(Data::String(s)) => s.len(),
        Some(Data::Json(v)) => serde_json::to_vec(v).map_or(0, |b| b.len()),
    }
}

/// What `event` takes on the wire: its headers and its data.
pub fn event_bytes(event: &Event) -> usize {
    header_bytes(event) + data_len(event)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use cloudevents::{EventBuilder, EventBuilderV10};

    use super::*;

    #[test]
    fn the_budget_defaults_to_a_million_bytes_and_refuses_tiny_or_bad_values() {
        let none = HashMap::<&str, &str>::new();
        assert_eq!(Budget::from_source(&none).unwrap().bytes(), 1_000_000);
        let set = HashMap::from([(EVENT_MAX_BYTES, "500000")]);
        assert_eq!(Budget::from_source(&set).unwrap().bytes(), 500_000);
        for bad in ["1000", "lots", "-1"] {
            let err = Budget::from_source(&HashMap::from([(EVENT_MAX_BYTES, bad)])).unwrap_err();
            assert!(err.to_string().contains(EVENT_MAX_BYTES), "{err}");
        }
    }

    #[test]
    fn event_bytes_count_every_header_as_sent_in_binary_mode() {
        let event = EventBuilderV10::new()
            .id("1")
            .ty("t")
            .source("s")
            .data("application/x", b"12345".to_vec())
            .extension("k", "vv")
            .build()
            .unwrap();
        // ce-specversion: 1.0 / ce-id: 1 / ce-type: t / ce-source: s / ce-k: vv /
        // content-type: application/x, each with CRLF; then 5 bytes of data.
        let expected = [
            "ce-specversion: 1.0\r\n",
            "ce-id: 1\r\n",
            "ce-type: t\r\n",
            "ce-source: s\r\n",
            "ce-k: vv\r\n",
            "content-type: application/x\r\n",
        ]
        .iter()
        .map(|h| h.len())
        .sum::<usize>();
        assert_eq!(header_bytes(&event), expected);
        assert_eq!(event_bytes(&event), expected + 5);
    }
}
