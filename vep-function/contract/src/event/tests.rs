//! Event data: typed, yet the same bytes as the sorted `serde_json::Value` objects sent before.

use super::*;
use crate::annotation::tests::engine_like;

/// The bytes the services sent before the data became typed: a `serde_json::Value`, whose
/// object keys are sorted.
fn as_value_bytes<T: Serialize>(data: &T) -> Vec<u8> {
    serde_json::to_vec(&serde_json::to_value(data).unwrap()).unwrap()
}

#[test]
fn typed_event_data_serialises_to_the_bytes_of_its_json_value() {
    let submitted = Submitted {
        analysis_id: "a-1".into(),
        chunk_count: 3,
        chunk_index: 1,
        first_index: Some(250),
        request_id: "r".into(),
        session_id: "s-1".into(),
        variants: vec!["21 25585733 . C T".into()],
    };
    assert_eq!(
        serde_json::to_vec(&submitted).unwrap(),
        as_value_bytes(&submitted)
    );
    let mut annotation = engine_like();
    annotation.input_index = Some(250);
    let annotated = Annotated {
        analysis_id: "a-1".into(),
        annotations: vec![annotation],
        annotator: AnnotatorInfo {
            assembly: Some("GRCh38".into()),
            backend: Backend::LocalEnsembl,
            gene_models: None,
            reference: None,
            version: "test".into(),
        },
        chunk_count: 3,
        chunk_index: 1,
        errors: vec![VariantError {
            allele: None,
            code: "unparsable".into(),
            input: "x".into(),
            input_index: 251,
            message: "no".into(),
        }],
        first_index: 250,
        part_count: 1,
        part_index: 0,
        session_id: "s-1".into(),
        variant_count: 2,
    };
    assert_eq!(
        serde_json::to_vec(&annotated).unwrap(),
        as_value_bytes(&annotated)
    );
    let failed = Failed::of(
        Chunk {
            analysis_id: "a".into(),
            session_id: "s".into(),
            chunk_index: 0,
            chunk_count: 1,
            first_index: None,
            variant_count: 4,
        },
        "backend_unavailable",
        "down".into(),
        true,
    );
    assert_eq!(
        serde_json::to_vec(&failed).unwrap(),
        as_value_bytes(&failed)
    );
}

#[test]
fn annotated_data_reads_back_what_it_wrote() {
    let data = r#"{"analysis_id":"a","annotations":[],"annotator":{"backend":"local+ensembl","version":"v"},"chunk_count":1,"chunk_index":0,"errors":[],"first_index":0,"part_count":1,"part_index":0,"session_id":"s","variant_count":0}"#;
    let annotated: Annotated = serde_json::from_str(data).unwrap();
    assert_eq!(annotated.annotator.backend, Backend::LocalEnsembl);
    assert_eq!(serde_json::to_string(&annotated).unwrap(), data);
}

#[test]
fn submitted_data_refuses_unknown_fields() {
    let data = r#"{"analysis_id":"a","chunk_count":1,"chunk_index":0,"request_id":"r","session_id":"s","variants":["x"],"surprise":1}"#;
    assert!(serde_json::from_str::<Submitted>(data).is_err());
}

#[test]
fn ids_are_short_plain_ascii() {
    assert!(valid_id("5d1c9a2e-aaaa-4bbb-8ccc-123456789abc"));
    for bad in ["", "../x", "a b", "a_b", &"a".repeat(65), "é"] {
        assert!(!valid_id(bad), "{bad:?}");
    }
}
