//! The cluster's event path when Knative redelivers, with the real binaries: a KafkaSource
//! stand-in (this file) delivers each submission to vep-function with the dispatcher's retry
//! rules (5xx/404/408/409/429 retried, retry n after backoff x 2^n), and the function posts
//! its result to the gateway's events port (K_SINK), as in the cluster.
//!
//! The revision that answers 503 first is the real failure of issue #16.2: a function running
//! under Knative (`K_SERVICE`) before the SinkBinding injected `K_SINK`. The redelivery lands
//! on a revision that has its sink. Time is scaled down (seconds for the cluster's minutes);
//! the arithmetic of the real budget is in eventing/README.md, "Chunk deadline".

use std::process::Stdio;
use std::time::{Duration, Instant};

use e2e::ledger::Ledger;
use e2e::observer::{Next, Observer};
use e2e::process::{start_function, start_gateway, Service};
use e2e::recorder::{Received, Recorder};
use e2e::trigger::with_event_headers;
use serde_json::Value;
use tokio::process::Command;

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
/// set, no `K_SINK`. Started without waiting for readiness (it must never become ready);
/// returned once its liveness endpoint answers.
async fn function_without_sink() -> Service {
    for _ in 0..5 {
        let port = e2e::free_port();
        let child = Command::new(e2e::bin_dir().join("vep-function"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .env("PORT", port.to_string())
            .env("K_SERVICE", "vep-function")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start vep-function");
        let mut svc = Service {
            name: "vep-function",
            port,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = svc.child.try_wait() {
                break; // port taken meanwhile: try another
            }
            if let Ok(r) = reqwest::get(svc.url("/health/liveness")).await {
                if r.status() == 200 {
                    return svc;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    panic!("vep-function (K_SERVICE, no K_SINK) did not start");
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

/// Reads frames until every request settled, then for `QUIET` more; returns them all.
async fn settle_keep(client: &mut Observer, ledger: &mut Ledger) -> Vec<Value> {
    let mut frames = Vec::new();
    client
        .read_until(ledger, SETTLE, |l, f| {
            frames.push(f.clone());
            l.settled()
        })
        .await;
    while let Next::Json(f) = client.next(QUIET).await {
        ledger.see(&f);
        frames.push(f);
    }
    frames
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
    assert_eq!(problem["error"]["code"], "sink_missing", "{problem}");
    // Nothing but the acceptance reached the user: the chunk is still being delivered.
    while let Next::Json(f) = client.next(QUIET).await {
        assert_eq!(f["type"], "accepted", "{f}");
    }
}

#[tokio::test]
async fn a_result_redelivered_after_a_503_reaches_the_user_once() {
    // Scaled down: a 6 s chunk deadline, redeliveries after 1 s then 2 s.
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(
        &broker.url(),
        &env(&[("CHUNK_SIZE", "2"), ("CHUNK_TIMEOUT_SECS", "6")]),
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
        .analyze(&mut ledger, "retried", &variants(4), 2)
        .await;
    let submitted = broker.wait_for(2, Duration::from_secs(10)).await;

    let started = Instant::now();
    // Chunk 0: the first attempt meets the revision without K_SINK (503), the retry the one
    // with it. Chunk 1 (same partition, ordered) only after chunk 0 is done.
    let first = deliver_with_retries(
        &submitted[0],
        &[&without_sink, &with_sink],
        2,
        Duration::from_millis(500),
    )
    .await;
    assert_eq!(first, vec![503, 202]);
    let second = deliver_with_retries(
        &submitted[1],
        &[&without_sink, &with_sink],
        2,
        Duration::from_millis(500),
    )
    .await;
    assert_eq!(second, vec![503, 202]);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "each result came only after a retry"
    );
    // A redelivery whose ack was lost: the function annotates again, the gateway keeps one.
    assert_eq!(post(&with_sink, &submitted[1]).await, 202);

    let frames = settle_keep(&mut client, &mut ledger).await;
    assert!(error_codes(&frames).is_empty(), "{frames:?}");
    assert_eq!(
        frames.iter().filter(|f| f["type"] == "result").count(),
        2,
        "{frames:?}"
    );
    ledger.assert_exactly_once();
}

#[tokio::test]
async fn a_result_later_than_the_chunk_deadline_is_refused_and_the_user_told_once() {
    // The deadline (2 s) is shorter than the second chunk's retries (503, then 2 s + 4 s):
    // what the deadline arithmetic makes rare in the cluster.
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(
        &broker.url(),
        &env(&[("CHUNK_SIZE", "2"), ("CHUNK_TIMEOUT_SECS", "2")]),
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
    client.analyze(&mut ledger, "late", &variants(4), 2).await;
    let submitted = broker.wait_for(2, Duration::from_secs(10)).await;

    assert_eq!(post(&with_sink, &submitted[0]).await, 202);
    // Chunk 1 misses the deadline: the user gets chunk_timeout for it, and complete.
    let frames = settle_keep(&mut client, &mut ledger).await;
    assert_eq!(error_codes(&frames), vec!["chunk_timeout"], "{frames:?}");

    // Its result arrives after all: the analysis is closed, the gateway takes it (202, so
    // the sender stops retrying) and shows nothing more.
    let late = deliver_with_retries(
        &submitted[1],
        &[&without_sink, &with_sink],
        2,
        Duration::from_secs(1),
    )
    .await;
    assert_eq!(late, vec![503, 202]);
    if let Next::Json(f) = client.next(QUIET).await {
        panic!("a late result reached the user: {f}");
    }
    ledger.assert_exactly_once();
}
