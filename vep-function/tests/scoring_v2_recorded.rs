//! The V2 client's reading and writing of the Open Inference Protocol against exchanges
//! recorded from a real MLServer 1.7.1 (`tests/scoring/mlserver-1.7.1`, see its README).

use serde_json::{json, Value};
use vep::scoring::settings::Datatype;
use vep::scoring::v2::{error_message, Batch, InferResponse, V2Error};

fn recording(name: &str) -> Value {
    let path = format!(
        "{}/tests/scoring/mlserver-1.7.1/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn response_body(r: &Value) -> Vec<u8> {
    r["response"]["body_text"]
        .as_str()
        .unwrap()
        .as_bytes()
        .to_vec()
}

fn request_body(r: &Value) -> Value {
    serde_json::from_str(r["request"]["body"].as_str().unwrap()).unwrap()
}

#[test]
fn the_client_writes_the_request_mlserver_accepted() {
    let r = recording("infer_ok_flat_with_id");
    let rows = vec![vec![0.0, 1.0], vec![0.9, 0.1]];
    let batch = Batch {
        input_name: "input-0",
        datatype: Datatype::Fp32,
        rows: &rows,
        output: None,
    };
    assert_eq!(batch.body("req-1"), request_body(&r));

    let r = recording("infer_ok_request_output_predict_proba");
    let rows = vec![vec![0.05, 0.98]];
    let batch = Batch {
        input_name: "x",
        datatype: Datatype::Fp32,
        rows: &rows,
        output: Some("predict_proba"),
    };
    let mut expected = request_body(&r);
    expected["id"] = json!("any");
    assert_eq!(batch.body("any"), expected);
}

#[test]
fn a_column_output_gives_one_scalar_per_row() {
    let r = recording("infer_ok_flat_with_id");
    let answer = InferResponse::parse(&response_body(&r)).unwrap();
    assert_eq!(answer.model_name.as_deref(), Some("toy-lr"));
    assert_eq!(answer.model_version.as_deref(), Some("v1"));
    assert_eq!(answer.id.as_deref(), Some("req-1"));
    let out = answer.output(None).unwrap();
    assert_eq!(
        (out.name.as_str(), out.datatype.as_str()),
        ("predict", "INT64")
    );
    assert_eq!(out.rows(2).unwrap(), vec![json!(1), json!(0)]);
}

#[test]
fn a_matrix_output_gives_one_list_per_row_and_is_found_by_name() {
    let r = recording("infer_ok_request_output_predict_proba");
    let answer = InferResponse::parse(&response_body(&r)).unwrap();
    let out = answer.output(Some("predict_proba")).unwrap();
    let rows = out.rows(1).unwrap();
    let p = rows[0].as_array().unwrap();
    assert_eq!(p.len(), 2);
    let sum: f64 = p.iter().filter_map(Value::as_f64).sum();
    assert!(
        (sum - 1.0).abs() < 1e-6,
        "class probabilities sum to 1: {sum}"
    );
    let err = answer.output(Some("predict")).unwrap_err();
    assert!(err.to_string().contains("predict_proba"), "{err}");
}

#[test]
fn a_row_count_mismatch_is_an_error_not_a_misaligned_score() {
    let r = recording("infer_ok_versioned_path");
    let answer = InferResponse::parse(&response_body(&r)).unwrap();
    let err = answer.output(None).unwrap().rows(2).unwrap_err();
    assert!(matches!(err, V2Error::Decode(_)), "{err}");
}

#[test]
fn shapes_as_strings_nested_data_and_a_different_model_name_are_accepted() {
    // ModelMesh suffixes model names and int64 shapes may arrive as strings.
    let body = br#"{"model_name":"toy-lr__isvc-1a2b3c","outputs":[
        {"name":"predict_proba","shape":["2","2"],"datatype":"FP32","data":[[0.25,0.75],[0.5,0.5]]}]}"#;
    let answer = InferResponse::parse(body).unwrap();
    assert_eq!(answer.model_name.as_deref(), Some("toy-lr__isvc-1a2b3c"));
    assert_eq!(answer.model_version, None);
    let rows = answer.output(None).unwrap().rows(2).unwrap();
    assert_eq!(rows, vec![json!([0.25, 0.75]), json!([0.5, 0.5])]);
}

#[test]
fn unreadable_answers_are_decode_errors() {
    for body in [
        &b"Internal Server Error"[..],
        b"{}",
        b"{\"outputs\":[{\"name\":\"p\"}]}",
    ] {
        assert!(matches!(
            InferResponse::parse(body),
            Err(V2Error::Decode(_))
        ));
    }
}

#[test]
fn error_bodies_in_all_three_shapes_become_readable_messages() {
    // Spec shape {"error": ...}
    let r = recording("infer_err_unknown_model");
    assert_eq!(error_message(&response_body(&r)), "Model nope not found");
    // FastAPI validation shape {"detail": [...]}: place and message, not our echoed input.
    let r = recording("infer_err_missing_shape_datatype");
    let m = error_message(&response_body(&r));
    assert_eq!(
        m,
        "body.inputs.0.shape: Field required; body.inputs.0.datatype: Field required"
    );
    let r = recording("infer_err_truncated_json");
    assert_eq!(
        error_message(&response_body(&r)),
        "body.22: JSON decode error"
    );
    // Plain text.
    let r = recording("infer_err_wrong_feature_count_debug_false");
    assert_eq!(error_message(&response_body(&r)), "Internal Server Error");
    assert_eq!(error_message(b""), "empty body");
}

#[test]
fn only_gateway_errors_and_connection_failures_are_retried() {
    let status = |status| V2Error::Status {
        status,
        message: String::new(),
    };
    for s in [502, 503, 504] {
        assert!(status(s).retryable(), "{s}");
    }
    for s in [400, 404, 422, 500] {
        assert!(!status(s).retryable(), "{s}");
    }
    assert!(V2Error::Connect("refused".into()).retryable());
    assert!(!V2Error::Timeout(std::time::Duration::from_secs(1)).retryable());
}
