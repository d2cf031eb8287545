//! Submitted events: chunks cut by count and bytes, each event within the budget, signed,
//! keyed by chunk, conforming to the schemas.

use super::*;
use crate::analysis::chunks::{chunk, Chunker};
use cloudevents::AttributesReader;
use contract::signing::{SigningKey, EXT_SIGNATURE};
use serde_json::{json, Value};

fn signing() -> Signing {
    Signing::Key(SigningKey::from_bytes(&[5u8; 32], std::path::Path::new("t")).expect("key"))
}

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
        Chunker::new(1000, 1 << 20),
    );
    let event = build_submitted(&sub, &chunks[0], &signing()).expect("event builds");
    assert!(signing().verify(&event).is_ok(), "signed");
    assert!(event.extension(EXT_SIGNATURE).is_some());

    let envelope = schema("cloudevent-envelope.v1.json");
    let attrs = attributes(&event);
    let errors: Vec<String> = envelope
        .iter_errors(&attrs)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "envelope: {errors:?} in {attrs}");
    assert_eq!(attrs["type"], TYPE_SUBMITTED);
    // Keyed by chunk, so one upload's chunks spread over partitions.
    assert_eq!(attrs["partitionkey"], format!("{}:0", sub.analysis_id));
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
    let c = &chunk(variants(1), Chunker::new(10, 1 << 20))[0];
    let a = build_submitted(&sub, c, &signing()).expect("builds");
    let b = build_submitted(&sub, c, &signing()).expect("builds");
    assert_ne!(a.id(), b.id());
}

#[test]
fn long_variants_are_cut_by_bytes_so_every_event_fits_the_budget() {
    let sub = Submission {
        source: "urn:genomics:gateway",
        session_id: "0b8f6c1e-aaaa-4bbb-8ccc-123456789abc",
        analysis_id: "5d1c9a2e-aaaa-4bbb-8ccc-123456789abc",
        request_id: &"r".repeat(128),
        traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    };
    // 1000 variants of 10,000 characters, control characters included (6 bytes each in
    // JSON): 10 MB as one chunk of 1000.
    let long: Vec<String> = (0..1000)
        .map(|i| format!("21 {i} . {}\u{1} T", "A".repeat(9_980)))
        .collect();
    let budget = Budget::default();
    let per_event = variant_bytes(&sub, &signing(), budget);
    let chunks = chunk(long, Chunker::new(1000, per_event));
    assert!(chunks.len() >= 10, "{} chunks", chunks.len());
    let mut next = 0;
    for c in &chunks {
        assert_eq!(c.first_index, next, "contiguous");
        next += c.variants.len();
        let event = build_within(&sub, c, &signing(), budget).expect("within the budget");
        let bytes = event_bytes(&event);
        assert!(bytes <= budget.bytes(), "chunk {}: {bytes} bytes", c.index);
        // Not wastefully small either: one more variant would not have fitted.
        if c.index + 1 < chunks.len() {
            assert!(
                bytes + 10_000 > budget.bytes() - 64 * 2,
                "chunk {}: {bytes} bytes",
                c.index
            );
        }
    }
    assert_eq!(next, 1000);
}
