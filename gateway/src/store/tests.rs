use serde_json::json;

use super::*;

#[test]
fn multi_allelic_line_counts_once_and_errors_of_annotated_inputs_do_not_count() {
    let annotations = vec![
        json!({"input_index": 0, "allele_string": "C/T"}),
        json!({"input_index": 0, "allele_string": "C/G"}),
        json!({"input_index": 2}),
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
        count_inputs(&[json!({"input": "x"})], &[]),
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
