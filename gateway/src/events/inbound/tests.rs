//! Inbound results: signed v2 parts and failures decode with their ranges; unsigned, forged,
//! tampered or self-contradicting ones are refused.

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use contract::event::{Annotated as Part, AnnotatorInfo, Backend, CONTENT_TYPE_JSON};
use contract::signing::{Signed, SigningKey, EXT_SIGNATURE};
use serde_json::json;

use super::*;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[3u8; 32], std::path::Path::new("test")).expect("key")
}

fn signing() -> Signing {
    Signing::Key(key())
}

fn annotation(index: u64, allele: &str) -> VariantAnnotation {
    VariantAnnotation::try_from(json!({
        "input": "21 25585733 . C T,G", "input_index": index, "seq_region_name": "21",
        "start": 25585733, "end": 25585733, "allele_string": format!("C/{allele}"),
        "most_severe_consequence": "missense_variant"
    }))
    .expect("annotation")
}

fn error(index: u64, allele: Option<&str>) -> VariantError {
    VariantError {
        allele: allele.map(str::to_owned),
        code: "invalid_allele".into(),
        input: "x".into(),
        input_index: index,
        message: "not an allele".into(),
    }
}

/// Inputs 10..13 of chunk 1 of 2: 10 multi-allelic (two ALTs and a bad third), 11 failed,
/// 12 annotated.
fn part() -> Part {
    Part {
        analysis_id: "a1".into(),
        annotations: vec![
            annotation(10, "T"),
            annotation(10, "G"),
            annotation(12, "T"),
        ],
        annotator: AnnotatorInfo {
            assembly: None,
            backend: Backend::Local,
            gene_models: None,
            reference: None,
            version: "t".into(),
        },
        chunk_count: 2,
        chunk_index: 1,
        errors: vec![error(10, Some("<script>")), error(11, None)],
        first_index: 10,
        part_count: 2,
        part_index: 1,
        session_id: "s1".into(),
        variant_count: 3,
    }
}

/// A binary-mode HTTP event: headers (signed with `key` when given) and body.
fn http(ty: &str, content_type: &str, body: &[u8], key: Option<&SigningKey>) -> HeaderMap {
    let mut h = HeaderMap::new();
    let pairs = [
        ("ce-specversion", "1.0"),
        ("ce-id", "evt-1"),
        ("ce-source", "urn:genomics:vep-function"),
        ("ce-type", ty),
        ("ce-subject", "s1"),
        ("ce-sessionid", "s1"),
        ("ce-analysisid", "a1"),
        ("ce-partitionkey", "a1:1"),
        ("content-type", content_type),
    ];
    for (k, v) in pairs {
        h.insert(
            HeaderName::from_static(k),
            HeaderValue::from_str(v).expect("header"),
        );
    }
    if let Some(key) = key {
        let signature = key.sign(&Signed {
            ty,
            id: "evt-1",
            source: "urn:genomics:vep-function",
            session: "s1",
            analysis: "a1",
            partition: "a1:1",
            content_type,
            data: body,
        });
        h.insert(
            HeaderName::from_bytes(format!("ce-{EXT_SIGNATURE}").as_bytes()).expect("name"),
            HeaderValue::from_str(&signature).expect("header"),
        );
    }
    h
}

/// A part as received for an analysis that shows `result` frames (decoded whole).
fn annotated(p: &Part, key: Option<&SigningKey>) -> Result<Inbound, InboundError> {
    let body = contract::wire::encode(p);
    let h = http(TYPE_ANNOTATED, CONTENT_TYPE_ANNOTATED, &body, key);
    decode_inbound(&h, body, &signing(), |_| true)
}

#[test]
fn a_signed_part_decodes_with_its_range_and_distinct_input_counts() {
    let inbound = annotated(&part(), Some(&key())).expect("valid");
    assert_eq!((inbound.chunk_index, inbound.chunk_count), (1, 2));
    assert_eq!(inbound.covers, Covers::Range(Span::new(10, 3)));
    match inbound.kind {
        InboundKind::Annotated(a) => {
            // Input 10: two ALTs annotated and one allele error: annotated, counted once.
            assert_eq!((a.annotated, a.failed), (2, 1));
            let (annotations, errors) = a.decoded.expect("decoded for its frame");
            assert_eq!(annotations.len(), 3);
            assert_eq!(errors[0].allele.as_deref(), Some("<script>"));
            assert_eq!(&a.data[..], &contract::wire::encode(&part())[..]);
        }
        other => panic!("expected a part, got {other:?}"),
    }
}

#[test]
fn a_part_nobody_shows_is_counted_from_a_scan_and_not_decoded() {
    let body = contract::wire::encode(&part());
    let h = http(TYPE_ANNOTATED, CONTENT_TYPE_ANNOTATED, &body, Some(&key()));
    let inbound = decode_inbound(&h, body, &signing(), |analysis| {
        assert_eq!(analysis, "a1");
        false
    })
    .expect("valid");
    match inbound.kind {
        InboundKind::Annotated(a) => {
            assert_eq!((a.annotated, a.failed, a.decoded), (2, 1, None));
        }
        other => panic!("expected a part, got {other:?}"),
    }
}

#[test]
fn unsigned_forged_and_tampered_events_are_refused_before_their_data_counts() {
    let err = annotated(&part(), None).expect_err("unsigned");
    assert_eq!((err.code(), err.status()), ("unsigned_event", 401));
    let other = SigningKey::from_bytes(&[4u8; 32], std::path::Path::new("t")).expect("key");
    let err = annotated(&part(), Some(&other)).expect_err("forged");
    assert_eq!((err.code(), err.status()), ("invalid_signature", 403));
    // Signed, then the data changed on the way.
    let body = contract::wire::encode(&part());
    let h = http(TYPE_ANNOTATED, CONTENT_TYPE_ANNOTATED, &body, Some(&key()));
    let mut tampered = body.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let err = decode_inbound(&h, tampered, &signing(), |_| true).expect_err("tampered");
    assert_eq!(err.status(), 403);
}

#[test]
fn a_part_that_misses_an_input_of_its_range_or_names_one_outside_it_is_inconsistent() {
    let mut missing = part();
    missing.errors.pop();
    let err = annotated(&missing, Some(&key())).expect_err("input 11 missing");
    assert_eq!(err.code(), "inconsistent_event");
    assert!(err.to_string().contains("input 11"), "{err}");
    let mut outside = part();
    outside.errors.push(error(13, None));
    let err = annotated(&outside, Some(&key())).expect_err("input 13");
    assert!(err.to_string().contains("outside the part"), "{err}");
    let mut huge = part();
    huge.variant_count = 1_000_000_000_000_000;
    assert_eq!(
        annotated(&huge, Some(&key()))
            .expect_err("forged count")
            .code(),
        "inconsistent_event"
    );
}

#[test]
fn failed_events_cover_their_range_or_the_whole_chunk() {
    let data = |first: Option<u64>| {
        let mut d = json!({"analysis_id": "a1", "session_id": "s1", "chunk_index": 1,
            "chunk_count": 2, "variant_count": 7, "code": "result_refused", "message": "413",
            "retryable": false});
        if let Some(f) = first {
            d["first_index"] = json!(f);
        }
        d.to_string().into_bytes()
    };
    for (first, covers) in [
        (Some(12), Covers::Range(Span::new(12, 7))),
        (None, Covers::Chunk),
    ] {
        let body = data(first);
        let h = http(TYPE_FAILED, CONTENT_TYPE_JSON, &body, Some(&key()));
        let inbound = decode_inbound(&h, body, &signing(), |_| true).expect("valid");
        assert_eq!(inbound.covers, covers);
        assert_eq!(
            inbound.kind,
            InboundKind::Failed(Failed {
                variant_count: 7,
                code: "result_refused".into(),
                message: "413".into()
            })
        );
    }
}

#[test]
fn a_v2_type_with_json_data_or_an_unknown_type_is_refused() {
    let body = b"{}".to_vec();
    let h = http(TYPE_ANNOTATED, CONTENT_TYPE_JSON, &body, Some(&key()));
    assert_eq!(
        decode_inbound(&h, body.clone(), &signing(), |_| true)
            .expect_err("json")
            .code(),
        "wrong_content_type"
    );
    let h = http(
        "dev.genomics.variants.annotated.v1",
        CONTENT_TYPE_JSON,
        &body,
        Some(&key()),
    );
    assert_eq!(
        decode_inbound(&h, body, &signing(), |_| true)
            .expect_err("v1")
            .code(),
        "unknown_event_type"
    );
}

#[test]
fn extensions_that_disagree_with_the_data_are_inconsistent() {
    let mut p = part();
    p.session_id = "someone-else".into();
    assert_eq!(
        annotated(&p, Some(&key())).expect_err("mismatch").code(),
        "inconsistent_event"
    );
}

#[test]
fn plain_json_without_ce_headers_is_not_a_cloudevent() {
    let mut h = HeaderMap::new();
    h.insert(
        HeaderName::from_static("content-type"),
        HeaderValue::from_static("application/json"),
    );
    let err = decode_inbound(&h, b"{}".to_vec(), &signing(), |_| true).expect_err("not an event");
    assert_eq!(err.code(), "not_a_cloudevent");
}
