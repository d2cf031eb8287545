use serde_json::json;

use super::*;

fn annotation(input_index: Option<u64>, allele_string: &str) -> VariantAnnotation {
    VariantAnnotation {
        input_index,
        allele_string: allele_string.into(),
        ..Default::default()
    }
}

#[test]
fn multi_allelic_line_counts_once_and_errors_of_annotated_inputs_do_not_count() {
    let annotations = vec![
        annotation(Some(0), "C/T"),
        annotation(Some(0), "C/G"),
        annotation(Some(2), "A/G"),
    ];
    assert_eq!(
        count_inputs(&annotations, &[1, 2]),
        Ok(Counts {
            annotated: 2,
            failed: 1
        })
    );
}

#[test]
fn annotation_without_input_index_is_an_error() {
    assert_eq!(
        count_inputs(&[annotation(None, "C/T")], &[]),
        Err(CountError::MissingIndex(0))
    );
}

#[test]
fn frame_adds_request_id_trace_context_and_cursor() {
    let stored = complete_message("a1", 2, 1);
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let v = frame(&stored, Some("r1"), Some(tp), "17-0").expect("object");
    assert_eq!(
        v,
        json!({"type": "complete", "analysis_id": "a1", "annotated": 2, "failed": 1,
               "request_id": "r1", "traceparent": tp, "cursor": "17-0"})
    );
}
