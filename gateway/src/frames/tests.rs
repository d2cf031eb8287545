//! Frames as a session reads them.

use serde_json::json;

use super::*;

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
