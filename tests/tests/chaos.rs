//! Fault injection end to end, with real processes: the gateway, vep-function and
//! redis-server binaries, a loopback TCP proxy that delays, swallows, resets or answers 500,
//! SIGSTOP/SIGCONT and SIGKILL. Each test ends with the count check (`e2e::ledger`): every
//! submitted variant ends exactly once, as a result or a typed error; no chunk is delivered
//! twice; every analysis completes or is refused; nothing hangs.
//!
//! `scripts/chaos.sh` runs these and prints the `CHAOS-TALLY` rows as a table.

use std::time::Duration;

use e2e::cluster::{start_replica, RedisServer};
use e2e::ledger::Ledger;
use e2e::observer::{Next, Observer};
use e2e::process::{start_function, start_gateway, Gateway, Service};
use e2e::proxy::{Fault, Proxy};
use e2e::recorder::Recorder;
use e2e::signal::{freeze, thaw};
use e2e::trigger::{annotate, deliver};
use serde_json::Value;

const SETTLE: Duration = Duration::from_secs(60);
/// Listening after the last expected frame, so late duplicates would be seen.
const QUIET: Duration = Duration::from_millis(1500);

/// Real variants of the bundled data, one that does not parse, one off the reference.
fn variants(n: usize) -> Vec<String> {
    const MIX: [&str; 5] = [
        "21 25585733 . C T",
        "17:g.43106487A>C",
        "21 25585733 . C T,G",
        "not a variant",
        "21 25585740 . A G",
    ];
    (0..n).map(|i| MIX[i % MIX.len()].to_owned()).collect()
}

fn env(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

/// `make run`'s wiring with the proxy as the gateway's broker endpoint:
/// gateway -> proxy -> vep-function -> (K_SINK) gateway's internal port.
async fn proxied_pipeline(gateway_env: &[(&'static str, &str)]) -> (Gateway, Proxy, Service) {
    let proxy = Proxy::start(e2e::free_port()).await;
    let gateway = start_gateway(&proxy.url(), &env(gateway_env)).await;
    let function = start_function(Some(&gateway.events_url()), &[]).await;
    proxy.set_upstream(function.port);
    (gateway, proxy, function)
}

async fn run_and_settle(
    client: &mut Observer,
    ledger: &mut Ledger,
    request_id: &str,
    n: usize,
    chunk: usize,
) {
    client
        .analyze(ledger, request_id, &variants(n), chunk)
        .await;
    client.settle(ledger, SETTLE, Duration::ZERO).await;
}

fn codes(ledger_frames: &[Value]) -> Vec<String> {
    ledger_frames
        .iter()
        .filter(|f| f["type"] == "error")
        .filter_map(|f| f["code"].as_str().map(str::to_owned))
        .collect()
}

/// A connection reset: when it comes after the request was written, the gateway cannot know
/// whether the broker took it, so the analysis is accepted and each chunk ends as
/// `broker_unreachable`; when it comes first (it does, on a loaded machine), nothing can have
/// got through and the request is refused whole with the same code. Either way: typed, once.
fn assert_unreachable(frames: &[Value], chunks: usize) {
    if frames[0]["type"] == "accepted" {
        assert_eq!(
            codes(frames),
            vec!["broker_unreachable"; chunks],
            "{frames:?}"
        );
    } else {
        assert_eq!(codes(frames), vec!["broker_unreachable"], "{frames:?}");
    }
}

/// Reads every frame until all requests settled, keeping them for assertions.
async fn settle_keep(client: &mut Observer, ledger: &mut Ledger) -> Vec<Value> {
    client.settle_keep(ledger, SETTLE, QUIET).await
}

#[tokio::test]
async fn function_answering_500_fails_only_the_chunks_it_refused() {
    let (gateway, proxy, _function) =
        proxied_pipeline(&[("CHUNK_SIZE", "2"), ("BROKER_RETRIES", "2")]).await;
    let mut client = Observer::connect(&gateway.ws_url()).await;
    let mut ledger = Ledger::default();

    // Two chunks pass, then every request (retries included) gets a 500.
    proxy.fault_after(2, Fault::Status(500));
    client.analyze(&mut ledger, "partly", &variants(8), 2).await;
    let frames = settle_keep(&mut client, &mut ledger).await;
    assert_eq!(frames[0]["type"], "accepted", "{frames:?}");
    assert_eq!(
        codes(&frames),
        vec!["broker_unavailable", "broker_unavailable"],
        "{frames:?}"
    );

    // Every chunk refused: the request is refused as a whole, nothing accepted.
    client
        .analyze(&mut ledger, "refused", &variants(3), 2)
        .await;
    let frames = settle_keep(&mut client, &mut ledger).await;
    assert_eq!(codes(&frames), vec!["broker_unavailable"], "{frames:?}");

    // Healthy again: the next analysis completes.
    proxy.set_fault(Fault::Pass);
    run_and_settle(&mut client, &mut ledger, "healthy", 5, 2).await;
    ledger.assert_exactly_once();
    ledger.report("function answers 500");
}

#[tokio::test]
async fn a_function_slower_than_the_broker_timeout_gives_a_typed_error_and_no_late_result() {
    let (gateway, proxy, function) = proxied_pipeline(&[
        ("BROKER_TIMEOUT_MS", "800"),
        ("BROKER_RETRIES", "1"),
        ("CHUNK_SIZE", "3"),
    ])
    .await;
    let mut client = Observer::connect(&gateway.ws_url()).await;
    let mut ledger = Ledger::default();

    // Frozen: the kernel still accepts the connection, nothing answers.
    freeze(&function);
    client.analyze(&mut ledger, "frozen", &variants(3), 3).await;
    let frames = settle_keep(&mut client, &mut ledger).await;
    assert_eq!(codes(&frames), vec!["broker_timeout"], "{frames:?}");
    // Thawed, it works through the queued attempts and posts their results: too late, the
    // chunk already ended as broker_timeout, so they must not reach the client.
    thaw(&function);
    while let Next::Json(f) = client.next(Duration::from_secs(3)).await {
        ledger.see(&f);
    }

    // The function annotates and delivers at once, but its answer is late: the result is
    // already stored when the gateway's attempts time out.
    proxy.set_fault(Fault::DelayReply(Duration::from_millis(1500)));
    client
        .analyze(&mut ledger, "late-ack", &variants(3), 3)
        .await;
    settle_keep(&mut client, &mut ledger).await;

    proxy.set_fault(Fault::Pass);
    run_and_settle(&mut client, &mut ledger, "healthy", 6, 3).await;
    ledger.assert_exactly_once();
    ledger.report("function slower than broker timeout");
}

#[tokio::test]
async fn a_connection_lost_after_the_function_delivered_ends_each_chunk_once() {
    let (gateway, proxy, _function) =
        proxied_pipeline(&[("CHUNK_SIZE", "2"), ("BROKER_RETRIES", "1")]).await;
    let mut client = Observer::connect(&gateway.ws_url()).await;
    let mut ledger = Ledger::default();
    // The function annotates and delivers chunk 0 (twice: the retry is deduplicated), but
    // its answers are lost to resets: the gateway never learns that chunk 0 got through.
    proxy.set_fault(Fault::ResetReply);
    client
        .analyze(&mut ledger, "lost-ack", &variants(4), 2)
        .await;
    let frames = settle_keep(&mut client, &mut ledger).await;
    assert_eq!(frames[0]["type"], "accepted", "{frames:?}");
    assert_eq!(
        codes(&frames),
        vec!["broker_unreachable"],
        "chunk 1 only: {frames:?}"
    );

    proxy.set_fault(Fault::Pass);
    run_and_settle(&mut client, &mut ledger, "healthy", 4, 2).await;
    ledger.assert_exactly_once();
    ledger.report("connection lost after delivery (ack reset)");
}

#[tokio::test]
async fn a_function_killed_with_a_big_chunk_in_flight_and_restarted_loses_nothing() {
    let (gateway, proxy, mut function) = proxied_pipeline(&[
        ("CHUNK_SIZE", "500"),
        ("BROKER_TIMEOUT_MS", "30000"),
        ("BROKER_RETRIES", "10"),
    ])
    .await;
    let mut client = Observer::connect(&gateway.ws_url()).await;
    let mut ledger = Ledger::default();
    client
        .analyze(&mut ledger, "big", &variants(1000), 500)
        .await;
    // The second 500-variant chunk is in the function when it dies.
    proxy.wait_for_requests(2, Duration::from_secs(30)).await;
    function.kill().await;
    // Its replacement comes up on another port behind the same address; the gateway's
    // retries (backoff up to 2 s) reach it.
    let replacement = start_function(Some(&gateway.events_url()), &[]).await;
    proxy.set_upstream(replacement.port);
    let frames = settle_keep(&mut client, &mut ledger).await;
    assert!(frames.iter().any(|f| f["type"] == "complete"), "{frames:?}");
    ledger.assert_exactly_once();
    ledger.report("function SIGKILL mid-request, restarted");
}

#[tokio::test]
async fn a_broker_endpoint_down_then_slow_gives_typed_errors_or_delayed_results() {
    let (gateway, proxy, function) = proxied_pipeline(&[
        ("BROKER_TIMEOUT_MS", "1000"),
        ("BROKER_RETRIES", "2"),
        ("CHUNK_SIZE", "2"),
    ])
    .await;
    let mut client = Observer::connect(&gateway.ws_url()).await;
    let mut ledger = Ledger::default();

    // Down: nothing listens behind the address, so the proxy (a Service in front of dead
    // pods) resets each connection once it is open.
    proxy.set_upstream(e2e::free_port());
    client.analyze(&mut ledger, "down", &variants(4), 2).await;
    let frames = settle_keep(&mut client, &mut ledger).await;
    assert_unreachable(&frames, 2);

    // Resets every request.
    proxy.set_upstream(function.port);
    proxy.set_fault(Fault::Reset);
    client.analyze(&mut ledger, "reset", &variants(4), 2).await;
    let frames = settle_keep(&mut client, &mut ledger).await;
    assert_unreachable(&frames, 2);

    // Slow but within the timeout: results are only later.
    proxy.set_fault(Fault::DelayRequest(Duration::from_millis(400)));
    let started = std::time::Instant::now();
    run_and_settle(&mut client, &mut ledger, "slow", 4, 2).await;
    assert!(started.elapsed() >= Duration::from_millis(800));

    // A black hole: every attempt times out. The broker may have taken the event, so the
    // analysis is accepted and each chunk ends as a broker_timeout error (or its result).
    proxy.set_fault(Fault::Blackhole);
    client.analyze(&mut ledger, "hung", &variants(4), 2).await;
    let frames = settle_keep(&mut client, &mut ledger).await;
    assert_eq!(frames[0]["type"], "accepted", "{frames:?}");
    assert_eq!(
        codes(&frames),
        vec!["broker_timeout", "broker_timeout"],
        "{frames:?}"
    );

    proxy.set_fault(Fault::Pass);
    run_and_settle(&mut client, &mut ledger, "healthy", 4, 2).await;
    ledger.assert_exactly_once();
    ledger.report("broker down, reset, slow, hung");
}

#[tokio::test]
async fn redis_restarted_mid_analysis_with_two_replicas_loses_nothing() {
    let mut redis = RedisServer::start_persistent().await;
    // Replica B takes the function's results; the client is on replica A.
    let proxy = Proxy::start(e2e::free_port()).await;
    let extra = env(&[
        ("CHUNK_SIZE", "100"),
        ("BROKER_TIMEOUT_MS", "30000"),
        ("BROKER_RETRIES", "10"),
    ]);
    let a = start_replica(&proxy.url(), &redis, &extra).await;
    let b = start_replica(&proxy.url(), &redis, &extra).await;
    let function = start_function(
        Some(&b.events_url()),
        &env(&[("SINK_ATTEMPTS", "10"), ("SINK_TIMEOUT_MS", "5000")]),
    )
    .await;
    proxy.set_upstream(function.port);
    let mut client = Observer::connect(&a.ws_url()).await;
    let mut ledger = Ledger::default();
    client
        .analyze(&mut ledger, "long", &variants(1000), 100)
        .await;
    proxy.wait_for_requests(3, Duration::from_secs(30)).await;
    redis.restart().await;
    let frames = settle_keep(&mut client, &mut ledger).await;
    assert!(frames.iter().any(|f| f["type"] == "complete"), "{frames:?}");
    run_and_settle(&mut client, &mut ledger, "after", 10, 100).await;
    ledger.assert_exactly_once();
    ledger.report("Redis restart mid-analysis (2 replicas)");
}

/// A fixed permutation of 0..n (stride coprime with n), different for each `round`.
fn shuffled(n: usize, round: usize) -> Vec<usize> {
    let stride = [7usize, 11, 13, 17, 19, 23]
        .into_iter()
        .find(|s| !n.is_multiple_of(*s))
        .unwrap_or(1);
    (0..n).map(|i| (i * stride + round * 5) % n).collect()
}

#[tokio::test]
async fn duplicate_and_out_of_order_deliveries_reach_the_client_once() {
    const CHUNKS: usize = 12;
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &env(&[("CHUNK_SIZE", "1")])).await;
    let function = start_function(None, &[]).await;
    let mut client = Observer::connect(&gateway.ws_url()).await;
    let mut ledger = Ledger::default();
    client
        .analyze(&mut ledger, "shuffled", &variants(CHUNKS), 1)
        .await;
    let submitted = broker.wait_for(CHUNKS, Duration::from_secs(10)).await;
    let mut annotated = Vec::new();
    for s in &submitted {
        annotated.push(annotate(&function, s).await);
    }
    // Every event twice, each round in another shuffled order, as an at-least-once broker
    // without ordering may deliver them.
    for round in 0..2 {
        for i in shuffled(CHUNKS, round) {
            assert_eq!(deliver(&gateway, &annotated[i]).await, 202);
        }
    }
    let frames = settle_keep(&mut client, &mut ledger).await;
    assert_eq!(
        frames.iter().filter(|f| f["type"] == "result").count(),
        CHUNKS
    );
    ledger.assert_exactly_once();
    ledger.report("duplicate + out-of-order delivery");
}

#[tokio::test]
async fn a_gateway_killed_mid_analysis_resumes_on_the_other_replica() {
    const CHUNKS: usize = 10;
    let redis = RedisServer::start().await;
    let broker = Recorder::start(202).await;
    let function = start_function(None, &[]).await;
    let extra = env(&[("CHUNK_SIZE", "1")]);
    let mut a = start_replica(&broker.url(), &redis, &extra).await;
    let b = start_replica(&broker.url(), &redis, &extra).await;

    let mut client = Observer::connect(&a.ws_url()).await;
    let mut ledger = Ledger::default();
    client
        .analyze(&mut ledger, "survives", &variants(CHUNKS), 1)
        .await;
    let submitted = broker.wait_for(CHUNKS, Duration::from_secs(10)).await;
    let mut annotated = Vec::new();
    for s in &submitted {
        annotated.push(annotate(&function, s).await);
    }
    // Half the results arrive (to either replica) and the client reads some of them.
    for (i, event) in annotated.iter().take(CHUNKS / 2).enumerate() {
        let target = if i % 2 == 0 { &a } else { &b };
        assert_eq!(deliver(target, event).await, 202);
    }
    let mut results = 0;
    client
        .read_until(&mut ledger, SETTLE, |_, f| {
            results += usize::from(f["type"] == "result");
            results == 3
        })
        .await;
    let last_seen = client.last_cursor.clone();

    a.service.kill().await;
    // The rest, plus a redelivery of an early one, to the survivor.
    for event in annotated.iter().skip(CHUNKS / 2) {
        assert_eq!(deliver(&b, event).await, 202);
    }
    assert_eq!(deliver(&b, &annotated[0]).await, 202);
    let mut resumed = Observer::resume(
        &b.ws_url(),
        &client.session_id,
        &client.resume_secret,
        last_seen.as_deref(),
    )
    .await;
    resumed.settle(&mut ledger, SETTLE, QUIET).await;
    ledger.assert_exactly_once();
    ledger.report("gateway SIGKILL mid-analysis, resume on replica B");
}

#[tokio::test]
async fn chunks_accepted_but_never_answered_time_out_once_and_late_results_are_dropped() {
    const CHUNKS: usize = 3;
    // The broker takes every event (202) and the test decides which ever come back.
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(
        &broker.url(),
        &env(&[("CHUNK_SIZE", "2"), ("CHUNK_TIMEOUT_SECS", "2")]),
    )
    .await;
    let function = start_function(None, &[]).await;
    let mut client = Observer::connect(&gateway.ws_url()).await;
    let mut ledger = Ledger::default();
    client
        .analyze(&mut ledger, "unanswered", &variants(2 * CHUNKS), 2)
        .await;
    let mut submitted = broker.wait_for(CHUNKS, Duration::from_secs(10)).await;
    submitted.sort_by_key(|s| s.event()["data"]["chunk_index"].as_u64());
    // Only chunk 0 comes back in time; the others time out.
    let first = annotate(&function, &submitted[0]).await;
    assert_eq!(deliver(&gateway, &first).await, 202);
    let mut annotated = Vec::new();
    for s in &submitted[1..] {
        annotated.push(annotate(&function, s).await);
    }
    let frames = settle_keep(&mut client, &mut ledger).await;
    assert_eq!(
        codes(&frames),
        vec!["chunk_timeout"; CHUNKS - 1],
        "{frames:?}"
    );
    // Their results turn up after all: the client already has one outcome per chunk.
    for event in &annotated {
        let status = deliver(&gateway, event).await;
        assert!(matches!(status, 202 | 400), "{status}");
    }
    while let Next::Json(f) = client.next(QUIET).await {
        ledger.see(&f);
    }
    ledger.assert_exactly_once();
    ledger.report("chunks accepted, never answered (deadline)");
}

#[tokio::test]
async fn a_gateway_killed_while_submitting_still_completes_the_analysis_on_resume() {
    let redis = RedisServer::start().await;
    // The function is slow to take each chunk, so replica A dies between two chunks.
    let proxy = Proxy::start(e2e::free_port()).await;
    let extra = env(&[("CHUNK_SIZE", "2"), ("CHUNK_TIMEOUT_SECS", "2")]);
    let mut a = start_replica(&proxy.url(), &redis, &extra).await;
    let b = start_replica(&proxy.url(), &redis, &extra).await;
    let function = start_function(Some(&b.events_url()), &[]).await;
    proxy.set_upstream(function.port);
    proxy.set_fault(Fault::DelayRequest(Duration::from_millis(300)));

    let mut client = Observer::connect(&a.ws_url()).await;
    let mut ledger = Ledger::default();
    client.analyze(&mut ledger, "cut", &variants(10), 2).await;
    proxy.wait_for_requests(2, Duration::from_secs(10)).await;
    a.service.kill().await;
    // No `accepted` ever reached the client; what the dead replica sent comes back, the
    // chunks it never sent time out, and `complete` follows on the other replica.
    let mut resumed =
        Observer::resume(&b.ws_url(), &client.session_id, &client.resume_secret, None).await;
    resumed.settle(&mut ledger, SETTLE, QUIET).await;
    ledger.assert_exactly_once();
    ledger.report("gateway SIGKILL while submitting, resume on B");
}
