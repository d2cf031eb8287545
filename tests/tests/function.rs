//! vep-function as Knative drives it: binary-mode CloudEvents on `POST /`, results to K_SINK.

use std::time::Duration;

use e2e::process::start_function;
use e2e::recorder::Recorder;
use e2e::schema::assert_conforms;
use serde_json::{json, Value};

const SUBMITTED: &str = "dev.genomics.variants.submitted.v1";

fn submission(variants: &[&str]) -> Value {
    json!({
        "analysis_id": "a-1", "session_id": "s-1", "request_id": "r-1",
        "chunk_index": 0, "chunk_count": 1, "variants": variants
    })
}

async fn post_event(url: &str, id: &str, ty: &str, data: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .timeout(Duration::from_secs(30))
        .header("ce-specversion", "1.0")
        .header("ce-id", id)
        .header("ce-type", ty)
        .header("ce-source", "urn:genomics:gateway")
        .header("ce-subject", "s-1")
        .header("ce-sessionid", "s-1")
        .header("ce-analysisid", "a-1")
        .header("ce-partitionkey", "a-1")
        .header(
            "ce-dataschema",
            "urn:genomics:schemas:variants-submitted:v1",
        )
        .header("content-type", "application/json")
        .body(data.to_string())
        .send()
        .await
        .expect("function answers")
}

#[tokio::test]
async fn with_k_sink_the_result_goes_to_the_sink_and_the_reply_is_202() {
    let sink = Recorder::start(202).await;
    let function = start_function(Some(&sink.url()), &[]).await;
    let resp = post_event(
        &function.url("/"),
        "ev-1",
        SUBMITTED,
        &submission(&[
            "21 25585733 rs142513484 C T",
            "21 25585733 . G T",
            "nonsense",
        ]),
    )
    .await;
    assert_eq!(resp.status(), 202);
    assert!(resp.bytes().await.unwrap().is_empty(), "202 has no body");

    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    let event = got[0].event();
    assert_conforms(&event);
    assert_eq!(event["type"], "dev.genomics.variants.annotated.v1");
    let data = &event["data"];
    assert_eq!(data["variant_count"], 3);
    let annotations = data["annotations"].as_array().unwrap();
    assert_eq!(annotations.len(), 1, "{data}");
    let a = &annotations[0];
    assert_eq!(a["input_index"], 0);
    assert_eq!(a["most_severe_consequence"], "missense_variant");
    let mrpl39 = a["transcript_consequences"]
        .as_array()
        .unwrap()
        .iter()
        // Ensembl REST reports Ensembl transcripts unversioned; the version is in HGVSc.
        .find(|t| t["transcript_id"] == "ENST00000352957")
        .expect("MRPL39 transcript annotated");
    assert_eq!(mrpl39["hgvsc"], "ENST00000352957.8:c.991G>A");
    let errors = data["errors"].as_array().unwrap();
    let codes: Vec<(u64, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["input_index"].as_u64().unwrap(),
                e["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(codes.len(), 2, "{errors:?}");
    assert_eq!(codes[0].0, 1);
    assert_eq!(codes[0].1, "reference_mismatch");
    assert_eq!(codes[1].0, 2);
}

#[tokio::test]
async fn without_k_sink_the_result_is_the_reply() {
    let function = start_function(None, &[]).await;
    let resp = post_event(
        &function.url("/"),
        "ev-2",
        SUBMITTED,
        &submission(&["21 25585733 . C T"]),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["ce-type"],
        "dev.genomics.variants.annotated.v1"
    );
    assert_eq!(resp.headers()["ce-partitionkey"], "a-1");
}

#[tokio::test]
async fn redelivery_yields_the_same_result_id() {
    let sink = Recorder::start(202).await;
    let function = start_function(Some(&sink.url()), &[]).await;
    let data = submission(&["21 25585733 . C T"]);
    for _ in 0..2 {
        let resp = post_event(&function.url("/"), "ev-same", SUBMITTED, &data).await;
        assert_eq!(resp.status(), 202);
    }
    let resp = post_event(&function.url("/"), "ev-other", SUBMITTED, &data).await;
    assert_eq!(resp.status(), 202);
    let got = sink.wait_for(3, Duration::from_secs(10)).await;
    let ids: Vec<&str> = got.iter().map(|r| r.headers["ce-id"].as_str()).collect();
    assert_eq!(ids[0], ids[1], "redelivered input, same result id");
    assert_ne!(ids[0], ids[2], "different input, different result id");
}

#[tokio::test]
async fn a_failing_sink_makes_the_function_answer_5xx_so_knative_retries() {
    let sink = Recorder::start(503).await;
    let function = start_function(
        Some(&sink.url()),
        &[
            ("SINK_ATTEMPTS", "2".into()),
            ("SINK_TIMEOUT_MS", "2000".into()),
        ],
    )
    .await;
    let resp = post_event(
        &function.url("/"),
        "ev-3",
        SUBMITTED,
        &submission(&["21 25585733 . C T"]),
    )
    .await;
    assert!(resp.status().is_server_error(), "{}", resp.status());
    assert_eq!(sink.received().len(), 2, "bounded retries");
}

#[tokio::test]
async fn a_malformed_event_is_a_400_and_nothing_is_sent() {
    let sink = Recorder::start(202).await;
    let function = start_function(Some(&sink.url()), &[]).await;
    let resp = reqwest::Client::new()
        .post(function.url("/"))
        .header("content-type", "application/json")
        .body("{not an event")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "malformed_event");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn a_poison_event_for_a_known_session_becomes_a_failed_event() {
    let sink = Recorder::start(202).await;
    let function = start_function(Some(&sink.url()), &[]).await;
    let mut data = submission(&[]);
    data["variants"] = json!([]);
    let resp = post_event(&function.url("/"), "ev-4", SUBMITTED, &data).await;
    assert_eq!(resp.status(), 202);
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    let event = got[0].event();
    assert_conforms(&event);
    assert_eq!(event["type"], "dev.genomics.analysis.failed.v1");
    assert_eq!(event["data"]["code"], "no_variants");
    assert_eq!(event["data"]["retryable"], false);
}

#[tokio::test]
async fn an_event_of_another_type_is_rejected_without_emitting_anything() {
    let sink = Recorder::start(202).await;
    let function = start_function(Some(&sink.url()), &[]).await;
    let resp = post_event(
        &function.url("/"),
        "ev-5",
        "dev.genomics.variants.annotated.v1",
        &submission(&["21 25585733 . C T"]),
    )
    .await;
    // Answering another type with an event could loop through the broker.
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "wrong_event_type");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn health_and_metrics_are_served() {
    let function = start_function(None, &[]).await;
    let client = reqwest::Client::new();
    for path in ["/health/liveness", "/health/readiness"] {
        let r = client.get(function.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    post_event(
        &function.url("/"),
        "ev-6",
        SUBMITTED,
        &submission(&["21 25585733 . C T"]),
    )
    .await;
    let text = client
        .get(function.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("vep_variants_total"), "{text}");
}
