//! Building `dev.genomics.variants.submitted.v1` events from an accepted request.

use cloudevents::{EventBuilder, EventBuilderV10};
use contract::event::Submitted;

use super::{
    OutboundEvent, EXT_ANALYSIS, EXT_PARTITION, EXT_SESSION, EXT_TRACEPARENT, SCHEMA_SUBMITTED,
    TYPE_SUBMITTED,
};

/// One slice of a submission's variants, in submission order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub index: usize,
    pub count: usize,
    /// Index within the analysis of this chunk's first variant.
    pub first_index: usize,
    pub variants: Vec<String>,
}

/// Splits variants into chunks of at most `chunk_size` (0 is treated as 1).
pub fn chunk(variants: Vec<String>, chunk_size: usize) -> Vec<Chunk> {
    let size = chunk_size.max(1);
    let count = variants.len().div_ceil(size);
    let mut out = Vec::with_capacity(count);
    let mut rest = variants.into_iter().peekable();
    let mut index = 0;
    while rest.peek().is_some() {
        let variants: Vec<String> = rest.by_ref().take(size).collect();
        out.push(Chunk {
            index,
            count,
            first_index: index * size,
            variants,
        });
        index += 1;
    }
    out
}

/// Identifies whose analysis a chunk belongs to.
#[derive(Debug, Clone)]
pub struct Submission<'a> {
    pub source: &'a str,
    pub session_id: &'a str,
    pub analysis_id: &'a str,
    pub request_id: &'a str,
    /// W3C trace context of the browser request (CloudEvents distributed-tracing extension).
    pub traceparent: Option<&'a str>,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("could not build the submitted event: {0}")]
    Build(#[from] cloudevents::event::EventBuilderError),
    #[error("could not encode the submitted data: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("chunk {index} of {count} is beyond the contract's chunk numbers (u32)")]
    ChunkOutOfRange { index: usize, count: usize },
}

pub fn build_submitted(sub: &Submission<'_>, chunk: &Chunk) -> Result<OutboundEvent, SubmitError> {
    let out_of_range = || SubmitError::ChunkOutOfRange {
        index: chunk.index,
        count: chunk.count,
    };
    let data = serde_json::to_vec(&Submitted {
        analysis_id: sub.analysis_id.to_owned(),
        chunk_count: u32::try_from(chunk.count).map_err(|_| out_of_range())?,
        chunk_index: u32::try_from(chunk.index).map_err(|_| out_of_range())?,
        first_index: Some(chunk.first_index as u64),
        request_id: sub.request_id.to_owned(),
        session_id: sub.session_id.to_owned(),
        variants: chunk.variants.clone(),
    })?;
    let mut builder = EventBuilderV10::new()
        .id(uuid::Uuid::new_v4().to_string())
        .source(sub.source)
        .ty(TYPE_SUBMITTED)
        .subject(sub.session_id)
        .time(chrono::Utc::now())
        .extension(EXT_SESSION, sub.session_id)
        .extension(EXT_ANALYSIS, sub.analysis_id)
        .extension(EXT_PARTITION, sub.analysis_id)
        .data_with_schema("application/json", SCHEMA_SUBMITTED, data);
    if let Some(t) = sub.traceparent {
        builder = builder.extension(EXT_TRACEPARENT, t);
    }
    Ok(builder.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudevents::AttributesReader;
    use serde_json::{json, Value};

    fn schema(name: &str) -> jsonschema::Validator {
        let path = format!("{}/../eventing/schemas/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("schema file readable");
        let value: Value = serde_json::from_str(&text).expect("schema is JSON");
        jsonschema::validator_for(&value).expect("schema compiles")
    }

    /// The attributes as they appear in structured mode, the shape the envelope schema checks.
    fn attributes(event: &OutboundEvent) -> Value {
        let mut v = serde_json::to_value(event).expect("event serialises");
        if let Some(map) = v.as_object_mut() {
            map.remove("data");
        }
        v
    }

    fn variants(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("1 {} . A T", 1000 + i)).collect()
    }

    #[test]
    fn chunking_keeps_order_and_indexes() {
        let chunks = chunk(variants(5), 2);
        assert_eq!(chunks.len(), 3);
        assert_eq!(
            chunks
                .iter()
                .map(|c| (c.index, c.count, c.first_index, c.variants.len()))
                .collect::<Vec<_>>(),
            vec![(0, 3, 0, 2), (1, 3, 2, 2), (2, 3, 4, 1)]
        );
        assert_eq!(chunks[2].variants, vec!["1 1004 . A T".to_owned()]);
    }

    #[test]
    fn chunk_larger_than_input_gives_one_chunk() {
        let chunks = chunk(variants(3), 1000);
        assert_eq!(chunks.len(), 1);
        assert_eq!((chunks[0].index, chunks[0].count), (0, 1));
    }

    #[test]
    fn built_event_matches_envelope_and_data_schemas() {
        let sub = Submission {
            source: "urn:genomics:gateway",
            session_id: "0b8f6c1e-aaaa-4bbb-8ccc-123456789abc",
            analysis_id: "5d1c9a2e-aaaa-4bbb-8ccc-123456789abc",
            request_id: "req-1",
            traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        };
        let chunks = chunk(
            vec!["21 25585733 . C T".into(), "17:g.43094077C>T".into()],
            1000,
        );
        let event = build_submitted(&sub, &chunks[0]).expect("event builds");

        let envelope = schema("cloudevent-envelope.v1.json");
        let attrs = attributes(&event);
        let errors: Vec<String> = envelope
            .iter_errors(&attrs)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "envelope: {errors:?} in {attrs}");
        assert_eq!(attrs["type"], TYPE_SUBMITTED);
        assert_eq!(attrs["partitionkey"], sub.analysis_id);
        assert_eq!(event.subject(), Some(sub.session_id));

        let data: Value = match event.data() {
            Some(cloudevents::Data::Binary(bytes)) => {
                serde_json::from_slice(bytes).expect("data is JSON")
            }
            other => panic!("expected JSON bytes, got {other:?}"),
        };
        let body = schema("variants-submitted.v1.json");
        let errors: Vec<String> = body.iter_errors(&data).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "data: {errors:?} in {data}");
        assert_eq!(
            data["variants"],
            json!(["21 25585733 . C T", "17:g.43094077C>T"])
        );
        assert_eq!(
            (data["chunk_index"].clone(), data["chunk_count"].clone()),
            (json!(0), json!(1))
        );
    }

    #[test]
    fn every_event_gets_a_fresh_id() {
        let sub = Submission {
            source: "s",
            session_id: "s1",
            analysis_id: "a1",
            request_id: "r1",
            traceparent: None,
        };
        let c = &chunk(variants(1), 10)[0];
        let a = build_submitted(&sub, c).expect("builds");
        let b = build_submitted(&sub, c).expect("builds");
        assert_ne!(a.id(), b.id());
    }
}
