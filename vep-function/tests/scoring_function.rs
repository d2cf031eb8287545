//! The acceptance path through the real `vep-function` binary: a missense variant
//! annotated by the built-in engine comes back with BLOSUM62/Grantham, Condel saying why it
//! did not apply, and a real MLServer model's output beside them; with MLServer stopped, the
//! result still comes back, its model score marked "score unavailable".

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vep::scoring::LABEL;

#[path = "scoring/harness.rs"]
mod harness;

use harness::{client, free_port, venv, MlServer, MODEL};

/// MRPL39 c.971C>G, p.Thr324Ser on ENST00000307301 (in the bundled chr21 gene models).
const MISSENSE: &str = "21:g.25587788G>C";
const TRANSCRIPT: &str = "ENST00000307301";

struct Function(Child);

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_function(mlserver: &url::Url) -> (Function, String) {
    let port = free_port();
    let models = json!([{
        "name": MODEL, "version": "v1", "url": mlserver.as_str(),
        "inputs": ["blosum62", "grantham"], "output": "predict_proba"
    }]);
    let child = Command::new(env!("CARGO_BIN_EXE_vep-function"))
        .env("PORT", port.to_string())
        .env("SCORING_MODELS", models.to_string())
        .env("SCORING_TIMEOUT_MS", "5000")
        .env("SCORING_FIRST_TIMEOUT_MS", "20000")
        .env_remove("K_SINK")
        // Scoring is under test here, not event signing (tests/tests/security.rs covers that).
        .env("EVENT_SIGNING_INSECURE", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("vep-function starts");
    let mut function = Function(child);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        if let Ok(Some(status)) = function.0.try_wait() {
            panic!("vep-function exited before it was ready: {status}");
        }
        let ready = http
            .get(format!("{base}/health/readiness"))
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        if matches!(ready, Ok(r) if r.status().is_success()) {
            return (function, base);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("vep-function did not become ready");
}

async fn annotate(base: &str, id: &str) -> Value {
    let body = json!({
        "analysis_id": "a1", "session_id": "s1", "request_id": id,
        "chunk_index": 0, "chunk_count": 1, "variants": [MISSENSE]
    });
    let response = reqwest::Client::new()
        .post(format!("{base}/"))
        .header("ce-specversion", "1.0")
        .header("ce-id", id)
        .header("ce-source", "urn:test:scoring")
        .header("ce-type", "dev.genomics.variants.submitted.v1")
        .header("ce-sessionid", "s1")
        .header("ce-analysisid", "a1")
        .header("content-type", "application/json")
        .body(body.to_string())
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .expect("vep-function answers");
    assert!(response.status().is_success(), "{}", response.status());
    // The inline reply is an annotated.v2 part (its compact encoding), read as consumers read it.
    let bytes = response.bytes().await.expect("annotated event data");
    let part = contract::wire::decode(&bytes).expect("an annotated.v2 part");
    serde_json::to_value(part).expect("the part as JSON")
}

fn missense_consequence(result: &Value) -> &Value {
    result["annotations"][0]["transcript_consequences"]
        .as_array()
        .expect("transcript consequences")
        .iter()
        .find(|t| {
            t["transcript_id"]
                .as_str()
                .is_some_and(|id| id.split('.').next() == Some(TRANSCRIPT))
        })
        .unwrap_or_else(|| panic!("{TRANSCRIPT} in {result}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missense_result_carries_features_condel_reason_and_model_output_and_survives_mlserver_stopping(
) {
    let Some(venv) = venv() else { return };
    let mut mlserver = MlServer::start(&venv);
    let probe = client(&mlserver.base, MODEL, None);
    mlserver.wait_ready(&probe).await;
    let (_function, base) = start_function(&mlserver.base).await;

    let result = annotate(&base, "r1").await;
    assert_eq!(result["errors"], json!([]), "{result}");
    let tc = missense_consequence(&result);
    assert_eq!(tc["amino_acids"], "T/S");
    // T/S: BLOSUM62 1, Grantham 58 (published matrices).
    assert_eq!(
        (tc["blosum62"].clone(), tc["grantham"].clone()),
        (json!(1), json!(58))
    );
    assert_eq!(tc["condel"]["status"], "not_applicable");
    assert!(
        tc["condel"]["reason"]
            .as_str()
            .unwrap()
            .contains("built-in engine"),
        "{}",
        tc["condel"]
    );
    let entry = &tc["ml_scores"][0];
    assert_eq!(entry["status"], "ok", "{entry}");
    assert_eq!(entry["model"], MODEL);
    assert_eq!(entry["version"], "v1");
    assert_eq!(entry["label"], LABEL);
    assert_eq!(entry["output"].as_array().map(Vec::len), Some(2), "{entry}");

    mlserver.stop();
    let result = annotate(&base, "r2").await;
    assert_eq!(result["errors"], json!([]), "{result}");
    let tc = missense_consequence(&result);
    assert_eq!(tc["grantham"], 58);
    let entry = &tc["ml_scores"][0];
    assert_eq!(entry["status"], "unavailable", "{entry}");
    assert!(
        entry["reason"]
            .as_str()
            .unwrap()
            .starts_with("score unavailable:"),
        "{entry}"
    );
}
