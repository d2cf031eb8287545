//! The cluster's event path when Knative redelivers, with the real binaries: a KafkaSource
//! stand-in (this file) delivers each submission to vep-function with the dispatcher's retry
//! rules (5xx/404/408/409/429 retried, retry n after backoff x 2^n), and the function posts
//! its result to the gateway's events port (K_SINK), as in the cluster.
//!
//! The revision that answers 503 first is the real failure of issue #16.2: a function running
//! under Knative (`K_SERVICE`) before the SinkBinding injected `K_SINK`. The redelivery lands
//! on a revision that has its sink. Time is scaled down (seconds for the cluster's minutes);
//! the arithmetic of the real budget is in eventing/README.md, "Chunk deadline".

use std::time::{Duration, Instant};

use e2e::ledger::Ledger;
use e2e::observer::{Next, Observer};
use e2e::process::{start_function, start_function_live, start_gateway, Gateway, Service};
use e2e::recorder::{Received, Recorder};
use e2e::trigger::with_event_headers;
use serde_json::Value;

const SETTLE: Duration = Duration::from_secs(30);
/// Listening after the last expected frame, so a late duplicate would be seen.
const QUIET: Duration = Duration::from_millis(1500);

fn env(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

/// Variants of the bundled chr21 region.
fn variants(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("21 {} . A G", 25585740 + i))
        .collect()
}

/// vep-function as a Knative revision started before the SinkBinding patched it: `K_SERVICE`
/// set, no `K_SINK`. It must never become ready: returned once live.
async fn function_without_sink() -> Service {
    start_function_live(None, &env(&[("K_SERVICE", "vep-function")])).await
}

/// The cluster's path with two revisions of the function: the gateway (submissions recorded
/// by `broker`), a revision without `K_SINK` and one whose `K_SINK` is the gateway's events
/// port, and a client that submitted `variants(4)` as two chunks, recorded in `ledger`.
struct TwoRevisions {
    submitted: Vec<Received>,
    without_sink: Service,
    with_sink: Service,
    client: Observer,
    ledger: Ledger,
    _gateway: Gateway,
    _broker: Recorder,
}

async fn two_revisions(request_id: &str, chunk_timeout_secs: &str) -> TwoRevisions {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(
        &broker.url(),
        &env(&[
            ("CHUNK_SIZE", "2"),
            ("CHUNK_TIMEOUT_SECS", chunk_timeout_secs),
        ]),
    )
    .await;
    let without_sink = function_without_sink().await;
    let with_sink = start_function(
        Some(&gateway.events_url()),
        &env(&[("K_SERVICE", "vep-function")]),
    )
    .await;
    let mut client = Observer::connect(&gateway.ws_url()).await;
    let mut ledger = Ledger::default();
    client
        .analyze(&mut ledger, request_id, &variants(4), 2)
        .await;
    let submitted = broker.wait_for(2, Duration::from_secs(10)).await;
    TwoRevisions {
        submitted,
        without_sink,
        with_sink,
        client,
        ledger,
        _gateway: gateway,
        _broker: broker,
    }
}

/// POSTs a recorded submission to a function as the KafkaSource does; the status, 0 when the
/// request itself failed.
async fn post(function: &Service, submitted: &Received) -> u16 {
    let req = reqwest::Client::new()
        .post(function.url("/"))
        .timeout(Duration::from_secs(30));
    match with_event_headers(req, &submitted.headers)
        .body(submitted.body.clone())
        .send()
        .await
    {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

/// eventing-kafka-broker's WebClientCloudEventSender.isRetryableStatusCode.
fn retryable(status: u16) -> bool {
    status >= 500 || matches!(status, 0 | 404 | 408 | 409 | 429)
}

/// The KafkaSource stand-in: attempt n goes to `revisions[n]` (the last one for later
/// attempts), retry n waits `backoff` x 2^n; returns every attempt's status.
async fn deliver_with_retries(
    submitted: &Received,
    revisions: &[&Service],
    retries: u32,
    backoff: Duration,
) -> Vec<u16> {
    let mut statuses = Vec::new();
    for attempt in 0..=retries {
        if attempt > 0 {
            tokio::time::sleep(backoff * 2u32.pow(attempt)).await;
        }
        let target = revisions[(attempt as usize).min(revisions.len() - 1)];
        let status = post(target, submitted).await;
        statuses.push(status);
        if !retryable(status) {
            break;
        }
    }
    statuses
}

fn error_codes(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .filter(|f| f["type"] == "error")
        .filter_map(|f| f["code"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn under_knative_without_k_sink_the_function_is_not_ready_and_answers_503() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &env(&[("CHUNK_SIZE", "2")])).await;
    let function = function_without_sink().await;

    let ready = reqwest::get(function.url("/health/readiness"))
        .await
        .expect("readiness answers");
    assert_eq!(
        ready.status(),
        503,
        "a revision without K_SINK must not take traffic"
    );
    let body: Value = ready.json().await.expect("json");
    assert_eq!(body["reason"], "sink_missing", "{body}");

    let mut client = Observer::connect(&gateway.ws_url()).await;
    let mut ledger = Ledger::default();
    client
        .analyze(&mut ledger, "no-sink", &variants(2), 2)
        .await;
    let submitted = broker.wait_for(1, Duration::from_secs(10)).await;
    let resp = with_event_headers(
        reqwest::Client::new().post(function.url("/")),
        &submitted[0].headers,
    )
    .body(submitted[0].body.clone())
    .send()
    .await
    .expect("function answers");
    // 503: retried by the KafkaSource; never a 2xx (an inline reply a KafkaSource discards).
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    let problem: Value = resp.json().await.expect("typed error");
    assert_eq!(problem["code"], "sink_missing", "{problem}");
    // Nothing but the acceptance reached the user: the chunk is still being delivered.
    while let Next::Json(f) = client.next(QUIET).await {
        assert_eq!(f["type"], "accepted", "{f}");
    }
}

#[tokio::test]
async fn a_result_redelivered_after_a_503_reaches_the_user_once() {
    // Scaled down: a 6 s chunk deadline, redeliveries after 1 s.
    let mut t = two_revisions("retried", "6").await;
    let started = Instant::now();
    // Each chunk: the first attempt meets the revision without K_SINK (503), the retry the
    // one with it. Chunk 1 (same partition, ordered) only after chunk 0 is done.
    let revisions = [&t.without_sink, &t.with_sink];
    for chunk in &t.submitted {
        let statuses = deliver_with_retries(chunk, &revisions, 2, Duration::from_millis(500)).await;
        assert_eq!(statuses, vec![503, 202]);
    }
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "each result came only after a retry"
    );
    // A redelivery whose ack was lost: the function annotates again, the gateway keeps one.
    assert_eq!(post(&t.with_sink, &t.submitted[1]).await, 202);

    let frames = t.client.settle_keep(&mut t.ledger, SETTLE, QUIET).await;
    assert!(error_codes(&frames).is_empty(), "{frames:?}");
    assert_eq!(
        frames.iter().filter(|f| f["type"] == "result").count(),
        2,
        "{frames:?}"
    );
    t.ledger.assert_exactly_once();
}

#[tokio::test]
async fn a_result_later_than_the_chunk_deadline_is_refused_and_the_user_told_once() {
    // The deadline (2 s) is shorter than the second chunk's retries (503, then 2 s): what
    // the deadline arithmetic makes rare in the cluster.
    let mut t = two_revisions("late", "2").await;
    assert_eq!(post(&t.with_sink, &t.submitted[0]).await, 202);
    // Chunk 1 misses the deadline: the user gets chunk_timeout for it, and complete.
    let frames = t.client.settle_keep(&mut t.ledger, SETTLE, QUIET).await;
    assert_eq!(error_codes(&frames), vec!["chunk_timeout"], "{frames:?}");

    // Its result arrives after all: the analysis is closed, the gateway takes it (202, so
    // the sender stops retrying) and shows nothing more.
    let revisions = [&t.without_sink, &t.with_sink];
    let late = deliver_with_retries(&t.submitted[1], &revisions, 2, Duration::from_secs(1)).await;
    assert_eq!(late, vec![503, 202]);
    if let Next::Json(f) = t.client.next(QUIET).await {
        panic!("a late result reached the user: {f}");
    }
    t.ledger.assert_exactly_once();
}

/// Knative Eventing sender identity (`authentication-oidc`): the Broker ingress and the
/// KafkaSink refuse requests without a token for their audience. With `BROKER_TOKEN_FILE` the
/// gateway, and with `SINK_TOKEN_FILE` the function, send their projected token as
/// `Authorization: Bearer`; a sink that keeps refusing the identity (401) is an
/// outage, answered 503 so the KafkaSource redelivers, never a refused (dropped) result.
#[tokio::test]
async fn sends_carry_their_tokens_and_a_refused_identity_is_redelivered_not_dropped() {
    let broker = Recorder::start(202).await;
    let broker_token = e2e::bin_dir().join(format!("broker-token-{}", std::process::id()));
    std::fs::write(&broker_token, "gateway.sa.token").expect("token file");
    let gateway = start_gateway(
        &broker.url(),
        &env(&[(
            "BROKER_TOKEN_FILE",
            broker_token.to_str().expect("utf-8 path"),
        )]),
    )
    .await;
    let sink = Recorder::start(401).await;
    let token = e2e::bin_dir().join(format!("sink-token-{}", std::process::id()));
    std::fs::write(&token, "projected.sa.token\n").expect("token file");
    let function = start_function(
        Some(&sink.url()),
        &env(&[("SINK_TOKEN_FILE", token.to_str().expect("utf-8 path"))]),
    )
    .await;
    let mut client = Observer::connect(&gateway.ws_url()).await;
    let mut ledger = Ledger::default();
    client
        .analyze(&mut ledger, "identity", &variants(1), 1)
        .await;
    let submitted = broker.wait_for(1, Duration::from_secs(10)).await;
    // The gateway's submissions carry its own token, for the Broker's audience.
    assert_eq!(
        submitted[0]
            .headers
            .get("authorization")
            .map(String::as_str),
        Some("Bearer gateway.sa.token")
    );

    assert_eq!(post(&function, &submitted[0]).await, 503);
    let refused = sink.received();
    assert!(!refused.is_empty());
    for r in &refused {
        assert_eq!(
            r.headers.get("authorization").map(String::as_str),
            Some("Bearer projected.sa.token")
        );
    }
    // The identity is accepted again (e.g. the EventPolicy fixed): the redelivery goes through.
    sink.set_status(202);
    assert_eq!(post(&function, &submitted[0]).await, 202);
    let all = sink
        .wait_for(refused.len() + 1, Duration::from_secs(10))
        .await;
    let delivered = &all[refused.len()..];
    assert!(delivered
        .iter()
        .all(|r| r.headers.get("ce-type").map(String::as_str)
            == Some("dev.genomics.variants.annotated.v2")));
    let _ = std::fs::remove_file(token);
    let _ = std::fs::remove_file(broker_token);
}
