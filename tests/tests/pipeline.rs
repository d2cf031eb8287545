//! The whole path on loopback, as `make run` wires it: WebSocket client -> gateway ->
//! CloudEvent -> vep-function -> CloudEvent -> gateway -> client.

use std::time::Duration;

use e2e::process::{start_function, start_gateway, start_pipeline};
use e2e::recorder::{Received, Recorder};
use e2e::schema::assert_conforms;
use e2e::signing::signed_request;
use e2e::ws::Client;
use serde_json::{json, Value};

/// Re-sends a recorded binary-mode CloudEvent to `url`, as a Trigger would deliver it.
async fn redeliver(event: &Received, url: &str) -> u16 {
    let mut req = reqwest::Client::new()
        .post(url)
        .timeout(Duration::from_secs(10));
    for (k, v) in &event.headers {
        if k.starts_with("ce-") || k == "content-type" {
            req = req.header(k, v);
        }
    }
    req.body(event.body.clone())
        .send()
        .await
        .expect("gateway events port answers")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_submitted_variant_comes_back_annotated() {
    let (gateway, _function) = start_pipeline().await;
    let mut client = Client::connect(&gateway.ws_url()).await;
    let frames = client
        .analyze("req-1", &["21 25585733 . C T", "17:g.43106487A>C"])
        .await;
    let types: Vec<&str> = frames.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(types.first(), Some(&"accepted"), "{frames:?}");
    assert_eq!(types.last(), Some(&"complete"), "{frames:?}");
    assert!(types.contains(&"result"), "{frames:?}");
    let accepted = &frames[0];
    assert_eq!(accepted["request_id"], "req-1");
    let analysis = accepted["analysis_id"].as_str().unwrap();
    let results: Vec<&Value> = frames.iter().filter(|f| f["type"] == "result").collect();
    assert!(results.iter().all(|r| r["analysis_id"] == analysis));
    let annotations: Vec<&Value> = results
        .iter()
        .flat_map(|r| r["annotations"].as_array().unwrap())
        .collect();
    let errors: Vec<&Value> = results
        .iter()
        .flat_map(|r| r["errors"].as_array().unwrap())
        .collect();
    // Every variant ends up once, annotated or as a typed error.
    assert_eq!(annotations.len() + errors.len(), 2, "{results:?}");
    let first = annotations
        .iter()
        .find(|a| a["input"] == "21 25585733 . C T")
        .expect("chr21 variant annotated");
    assert_eq!(first["most_severe_consequence"], "missense_variant");
    assert_eq!(first["seq_region_name"], "21");
    assert_eq!(first["allele_string"], "C/T");
}

#[tokio::test]
async fn bad_frames_get_typed_errors_and_the_connection_stays_open() {
    let (gateway, _function) = start_pipeline().await;
    let mut client = Client::connect(&gateway.ws_url()).await;

    client.send_text("{not json").await;
    let f = client.next_json(Duration::from_secs(5)).await;
    assert_eq!(f["type"], "error");
    assert_eq!(f["code"], "malformed_json");

    client
        .send_json(&json!({"type": "launch", "request_id": "x"}))
        .await;
    let f = client.next_json(Duration::from_secs(5)).await;
    assert_eq!(f["type"], "error");
    assert_eq!(f["code"], "unknown_type");

    let many: Vec<String> = (0..5000)
        .map(|i| format!("21 {} . C T", 25_000_000 + i))
        .collect();
    client
        .send_json(&json!({"type": "analyze", "request_id": "big", "variants": many}))
        .await;
    let f = client.next_json(Duration::from_secs(5)).await;
    assert_eq!(f["type"], "error");
    assert_eq!(f["code"], "too_many_variants");
    assert_eq!(f["request_id"], "big");

    // Still usable afterwards.
    let frames = client.analyze("ok", &["21 25585733 . C T"]).await;
    assert_eq!(frames.last().unwrap()["type"], "complete");
}

#[tokio::test]
async fn an_unreachable_broker_gives_a_typed_error_and_nothing_hangs() {
    let closed = format!("http://127.0.0.1:{}/", e2e::free_port());
    let gateway = start_gateway(
        &closed,
        &[
            ("BROKER_TIMEOUT_MS", "500".into()),
            ("BROKER_RETRIES", "1".into()),
        ],
    )
    .await;
    let mut client = Client::connect(&gateway.ws_url()).await;
    let started = std::time::Instant::now();
    let frames = client.analyze("r", &["21 25585733 . C T"]).await;
    let last = frames.last().unwrap();
    assert_eq!(last["type"], "error", "{frames:?}");
    assert_eq!(last["request_id"], "r");
    assert!(
        !frames.iter().any(|f| f["type"] == "accepted"),
        "never accepted: {frames:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test]
async fn a_duplicate_annotated_event_reaches_the_browser_once() {
    // The broker is a recorder, so the test holds the real submitted event.
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &[]).await;
    let sink = Recorder::start(202).await;
    let function = start_function(Some(&sink.url()), &[]).await;

    let mut client = Client::connect(&gateway.ws_url()).await;
    client
        .send_json(
            &json!({"type": "analyze", "request_id": "d", "variants": ["21 25585733 . C T"]}),
        )
        .await;
    let accepted = client.next_json(Duration::from_secs(10)).await;
    assert_eq!(accepted["type"], "accepted", "{accepted}");

    let submitted = broker.wait_for(1, Duration::from_secs(10)).await;
    let event = submitted[0].event();
    assert_conforms(&event);
    assert_eq!(event["type"], "dev.genomics.variants.submitted.v1");
    assert_eq!(event["sessionid"], client.session_id.as_str());
    assert_eq!(event["analysisid"], accepted["analysis_id"]);

    // The real function annotates it; its result goes to our sink.
    assert_eq!(redeliver(&submitted[0], &function.url("/")).await, 202);
    let annotated = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_conforms(&annotated[0].event());

    // The Trigger delivers it twice.
    assert_eq!(redeliver(&annotated[0], &gateway.events_url()).await, 202);
    assert_eq!(redeliver(&annotated[0], &gateway.events_url()).await, 202);

    let frames = client.drain(Duration::from_millis(1500)).await;
    let results = frames.iter().filter(|f| f["type"] == "result").count();
    let completes = frames.iter().filter(|f| f["type"] == "complete").count();
    assert_eq!((results, completes), (1, 1), "{frames:?}");
}

#[tokio::test]
async fn a_malformed_event_on_the_internal_port_is_a_400_once_signed_and_a_401_unsigned() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &[]).await;
    let headers = [
        ("ce-specversion", "1.0"),
        ("ce-id", "x"),
        ("ce-type", "dev.genomics.variants.annotated.v2"),
        ("ce-source", "urn:test"),
        ("ce-sessionid", "s"),
        ("ce-analysisid", "a"),
        ("ce-partitionkey", "a:0"),
        (
            "content-type",
            "application/vnd.genomics.variants-annotated.v2",
        ),
    ];
    let body = b"GVA\x02 broken".to_vec();
    let signed = signed_request(
        reqwest::Client::new().post(gateway.events_url()),
        &headers,
        body.clone(),
    );
    assert_eq!(signed.send().await.unwrap().status(), 400);
    let mut unsigned = reqwest::Client::new().post(gateway.events_url());
    for (k, v) in headers {
        unsigned = unsigned.header(k, v);
    }
    assert_eq!(unsigned.body(body).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn the_public_port_does_not_accept_cloudevents() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &[]).await;
    let resp = reqwest::Client::new()
        .post(gateway.url("/"))
        .header("ce-specversion", "1.0")
        .header("ce-id", "forged")
        .header("ce-type", "dev.genomics.variants.annotated.v2")
        .header("ce-source", "urn:attacker")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error(), "{}", resp.status());
}

#[tokio::test]
async fn the_page_and_health_endpoints_are_served() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &[]).await;
    let client = reqwest::Client::new();
    let page = client.get(gateway.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers().contains_key("content-security-policy"));
    assert!(page.text().await.unwrap().contains("<html"));
    for path in ["/q/health/live", "/q/health/ready"] {
        assert_eq!(
            client.get(gateway.url(path)).send().await.unwrap().status(),
            200
        );
    }
}
