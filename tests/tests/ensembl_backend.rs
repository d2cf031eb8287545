//! The whole WebSocket flow with `VEP_BACKEND=ensembl`: the real gateway and vep-function
//! binaries, the function's `VEP_API_URL` at a loopback stand-in for Ensembl serving the real
//! recorded Ensembl answers. Ensembl-sourced annotations (SIFT/PolyPhen, colocated variants)
//! reach the browser, and every Ensembl failure reaches it as a typed per-variant error without
//! losing the chunk's other variants.

#[path = "ensembl_backend/stub.rs"]
mod stub;

use std::time::Duration;

use e2e::free_port;
use e2e::process::{start_function, start_gateway, Gateway, Service};
use e2e::ws::Client;
use serde_json::Value;

use stub::Stub;

const MISSENSE_X: &str = "X 31180437 31180437 C/T 1";
const STOP_GAINED: &str = "16 89279135 89279135 G/C 1";
const AGT_HGVS: &str = "AGT:c.803T>C";
/// Not in the recordings: left out of the answer, as Ensembl does with what it cannot place.
const UNKNOWN: &str = "7 100 100 A/T 1";
/// The stand-in rejects any batch holding this one with a 400, as Ensembl does.
const REJECTED: &str = "21 5000 5000 G/C 1";

async fn start(stub: &Stub) -> (Gateway, Service) {
    let events_port = free_port();
    let function = start_function(
        Some(&format!("http://127.0.0.1:{events_port}/")),
        &[
            ("VEP_BACKEND", "ensembl".into()),
            ("VEP_API_URL", stub.url.clone()),
            ("VEP_API_ATTEMPTS", "2".into()),
            ("VEP_API_BREAKER_FAILURES", "2".into()),
            ("VEP_API_BREAKER_COOLDOWN_MS", "60000".into()),
        ],
    )
    .await;
    let gateway = start_gateway(
        &function.url("/"),
        &[("EVENTS_PORT", events_port.to_string())],
    )
    .await;
    (gateway, function)
}

/// (annotations, errors) of all `result` frames of one analysis.
fn results(frames: &[Value]) -> (Vec<Value>, Vec<Value>) {
    let types: Vec<&str> = frames.iter().filter_map(|f| f["type"].as_str()).collect();
    assert_eq!(types.last(), Some(&"complete"), "{frames:?}");
    let mut annotations = Vec::new();
    let mut errors = Vec::new();
    for f in frames.iter().filter(|f| f["type"] == "result") {
        annotations.extend(f["annotations"].as_array().cloned().unwrap_or_default());
        errors.extend(f["errors"].as_array().cloned().unwrap_or_default());
    }
    (annotations, errors)
}

fn error_code<'a>(errors: &'a [Value], input: &str) -> &'a str {
    errors
        .iter()
        .find(|e| e["input"] == input)
        .and_then(|e| e["code"].as_str())
        .unwrap_or_else(|| panic!("no error for {input}: {errors:?}"))
}

#[tokio::test]
async fn ensembl_annotations_and_ensembl_failures_reach_the_browser() {
    let stub = Stub::start(REJECTED).await;
    let (gateway, _function) = start(&stub).await;
    let recorded = stub::recordings();
    let mut client = Client::connect(&gateway.ws_url()).await;

    let inputs = [MISSENSE_X, UNKNOWN, "not a variant", REJECTED, AGT_HGVS];
    let (annotations, errors) = results(&client.analyze("r1", &inputs).await);
    assert_eq!(annotations.len() + errors.len(), inputs.len(), "{errors:?}");

    let x = annotations
        .iter()
        .find(|a| a["input"] == MISSENSE_X)
        .expect("the X missense variant is annotated");
    assert_eq!(
        x["most_severe_consequence"],
        recorded[MISSENSE_X]["most_severe_consequence"]
    );
    let transcripts = x["transcript_consequences"]
        .as_array()
        .expect("transcripts");
    assert!(transcripts
        .iter()
        .any(|t| t["sift_prediction"].is_string() && t["polyphen_prediction"].is_string()));
    assert!(x["colocated_variants"].is_array());
    assert!(annotations.iter().any(|a| a["input"] == AGT_HGVS));

    assert_eq!(error_code(&errors, UNKNOWN), "not_annotated");
    assert_eq!(error_code(&errors, "not a variant"), "unparsable");
    assert_eq!(error_code(&errors, REJECTED), "backend_rejected");

    // Ensembl goes down: the cached variant is still answered, the new one is a typed error
    // telling the user to retry later, and once the circuit is open nothing more is sent.
    stub.set_down(true);
    let (annotations, errors) = results(&client.analyze("r2", &[MISSENSE_X, STOP_GAINED]).await);
    assert!(annotations.iter().any(|a| a["input"] == MISSENSE_X));
    assert_eq!(error_code(&errors, STOP_GAINED), "backend_unavailable");
    let message = errors[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("retry later"), "{message}");

    let sent = stub.requests();
    let started = std::time::Instant::now();
    let (annotations, errors) = results(&client.analyze("r3", &[STOP_GAINED]).await);
    assert!(annotations.is_empty(), "nothing invented: {annotations:?}");
    assert_eq!(error_code(&errors, STOP_GAINED), "backend_unavailable");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        stub.requests(),
        sent,
        "an open circuit sends nothing to Ensembl"
    );
}
