//! vep-function as Knative drives it: binary-mode CloudEvents on `POST /`, results to K_SINK.

use std::time::Duration;

use e2e::process::start_function;
use e2e::recorder::Recorder;
use e2e::schema::assert_conforms;
use e2e::signing::{signature_with, signed_request};
use serde_json::{json, Value};

const SUBMITTED: &str = "dev.genomics.variants.submitted.v1";

fn submission(variants: &[&str]) -> Value {
    json!({
        "analysis_id": "a-1", "session_id": "s-1", "request_id": "r-1",
        "chunk_index": 0, "chunk_count": 1, "variants": variants
    })
}

/// A submitted event as the gateway sends it, signed with the test key.
async fn post_event(url: &str, id: &str, ty: &str, data: &Value) -> reqwest::Response {
    let req = reqwest::Client::new()
        .post(url)
        .timeout(Duration::from_secs(30));
    signed_request(req, &headers(id, ty), data.to_string().into_bytes())
        .send()
        .await
        .expect("function answers")
}

use e2e::trigger::submitted_headers as headers;

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
    assert_eq!(event["type"], "dev.genomics.variants.annotated.v2");
    let data = &event["data"];
    assert_eq!(data["variant_count"], 3);
    assert_eq!(
        (data["part_index"].as_u64(), data["part_count"].as_u64()),
        (Some(0), Some(1))
    );
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
        "dev.genomics.variants.annotated.v2"
    );
    assert_eq!(resp.headers()["ce-partitionkey"], "a-1:0");
    assert!(resp.headers()["ce-signature"]
        .to_str()
        .unwrap()
        .starts_with("v1="));
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
        "dev.genomics.variants.annotated.v2",
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

#[tokio::test]
async fn unsigned_forged_and_tampered_submissions_are_refused_and_nothing_is_sent() {
    let sink = Recorder::start(202).await;
    let function = start_function(Some(&sink.url()), &[]).await;
    let data = submission(&["21 25585733 . C T"]).to_string().into_bytes();
    let send = |extra: Option<(String, String)>, body: Vec<u8>| {
        let mut req = reqwest::Client::new().post(function.url("/"));
        for (k, v) in headers("ev-x", SUBMITTED) {
            req = req.header(k, v);
        }
        if let Some((k, v)) = extra {
            req = req.header(k, v);
        }
        async move { req.body(body).send().await.expect("answers") }
    };
    // Unsigned: 401.
    let resp = send(None, data.clone()).await;
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "unsigned_event");
    // Signed with another key, or signed and then changed: 403.
    let other = contract::signing::SigningKey::from_bytes(&[1; 48], std::path::Path::new("x"))
        .expect("key");
    let forged = signature_with(&other, headers("ev-x", SUBMITTED), &data);
    assert_eq!(send(Some(forged), data.clone()).await.status(), 403);
    let genuine = e2e::signing::signature(headers("ev-x", SUBMITTED), &data);
    let mut tampered = data.clone();
    let at = tampered.len() - 5;
    tampered[at] = b'G';
    let resp = send(Some(genuine.clone()), tampered).await;
    assert_eq!(resp.status(), 403);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "invalid_signature");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        sink.received().is_empty(),
        "nothing signed for a forged submission"
    );
    // The genuine event goes through.
    assert_eq!(send(Some(genuine), data).await.status(), 202);
}

#[tokio::test]
async fn an_event_over_the_byte_budget_is_refused_with_413_before_it_is_read() {
    let sink = Recorder::start(202).await;
    let function = start_function(Some(&sink.url()), &[("EVENT_MAX_BYTES", "100000".into())]).await;
    let variants: Vec<String> = (0..200)
        .map(|i| format!("21 {} . {} T", 25_000_000 + i, "C".repeat(600)))
        .collect();
    let refs: Vec<&str> = variants.iter().map(String::as_str).collect();
    let resp = post_event(&function.url("/"), "ev-big", SUBMITTED, &submission(&refs)).await;
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "event_too_large");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(sink.received().is_empty());
}

/// Variants on the bundled chr21 region that annotate like real calls.
fn region_variants(n: usize) -> Vec<String> {
    e2e::variants::generate_variants(n, 16)
}

#[tokio::test]
async fn a_chunk_whose_result_exceeds_the_budget_arrives_as_parts_each_within_it() {
    let sink = Recorder::start(202).await;
    let budget = 65_536;
    let function = start_function(
        Some(&sink.url()),
        &[("EVENT_MAX_BYTES", budget.to_string())],
    )
    .await;
    let variants = region_variants(1000);
    let refs: Vec<&str> = variants.iter().map(String::as_str).collect();
    let mut data = submission(&refs);
    data["first_index"] = json!(5000);
    let resp = post_event(&function.url("/"), "ev-parts", SUBMITTED, &data).await;
    assert_eq!(resp.status(), 202);
    let got = sink.received();
    assert!(got.len() > 1, "{} events", got.len());
    let mut seen = std::collections::BTreeSet::new();
    for (i, r) in got.iter().enumerate() {
        let head: usize = r.headers.iter().map(|(k, v)| k.len() + v.len() + 4).sum();
        assert!(
            head + r.body.len() <= budget,
            "event {i}: {} bytes",
            head + r.body.len()
        );
        let event = r.event();
        assert_conforms(&event);
        let d = &event["data"];
        assert_eq!(d["part_count"].as_u64(), Some(got.len() as u64));
        let first = d["first_index"].as_u64().unwrap();
        let count = d["variant_count"].as_u64().unwrap();
        let mut indexes: std::collections::BTreeSet<u64> = d["annotations"]
            .as_array()
            .unwrap()
            .iter()
            .chain(d["errors"].as_array().unwrap())
            .map(|e| e["input_index"].as_u64().unwrap())
            .collect();
        assert_eq!(
            indexes.len() as u64,
            count,
            "part {i} answers each of its inputs"
        );
        assert_eq!(indexes.first(), Some(&first));
        seen.append(&mut indexes);
    }
    assert_eq!(
        seen,
        (5000..6000).collect(),
        "every input once, in some part"
    );
}

#[tokio::test]
async fn a_sink_that_refuses_a_part_gets_its_failure_instead_and_never_a_502() {
    // 413 for every event but small ones: the parts are refused, their failures taken.
    let sink = Recorder::start(202).await;
    sink.refuse_larger_than(2_000, 413);
    let function = start_function(Some(&sink.url()), &[]).await;
    let variants = region_variants(50);
    let refs: Vec<&str> = variants.iter().map(String::as_str).collect();
    let resp = post_event(&function.url("/"), "ev-413", SUBMITTED, &submission(&refs)).await;
    assert_eq!(resp.status(), 202, "refused part replaced by its failure");
    let accepted: Vec<Value> = sink
        .received()
        .iter()
        .filter(|r| r.body.len() <= 2_000)
        .map(|r| r.event())
        .collect();
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    assert_eq!(accepted[0]["type"], "dev.genomics.analysis.failed.v1");
    let d = &accepted[0]["data"];
    assert_eq!(
        (d["code"].as_str(), d["retryable"].as_bool()),
        (Some("result_too_large"), Some(false))
    );
    assert_eq!(
        (d["first_index"].as_u64(), d["variant_count"].as_u64()),
        (Some(0), Some(50))
    );

    // A sink that refuses everything (a 400 for the failure too): final, 422, not retried.
    let wall = Recorder::start(400).await;
    let function = start_function(Some(&wall.url()), &[]).await;
    let resp = post_event(&function.url("/"), "ev-400", SUBMITTED, &submission(&refs)).await;
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "result_refused");
    assert_eq!(
        wall.received().len(),
        2,
        "the part and its failure, each once"
    );
}
