//! Exactly-once with parts (issue #16.1) through the real gateway, with the memory store and
//! with two replicas sharing Redis: the real function splits a chunk's result into parts
//! (a small `EVENT_MAX_BYTES`), and a Trigger stand-in delivers them reversed, duplicated,
//! to either replica, or split another way by another function version. The user sees each
//! input exactly once and one `complete` whose counts add up.

use std::time::Duration;

use e2e::cluster::{start_replica, RedisServer};
use e2e::ledger::Ledger;
use e2e::observer::Observer;
use e2e::process::{start_function, start_gateway, Gateway, Service};
use e2e::recorder::{Received, Recorder};
use e2e::trigger::{deliver, deliver_to, Event};
use e2e::variants::generate_variants;

const WAIT: Duration = Duration::from_secs(20);
/// Small enough that a 1000-variant chunk of the bundled region comes back in several parts.
const BUDGET: &str = "65536";

/// The parts the real function makes of `submitted` with budget `budget`, in the order it
/// sent them.
async fn parts(submitted: &Received, budget: &str) -> Vec<Event> {
    let sink = Recorder::start(202).await;
    let function: Service =
        start_function(Some(&sink.url()), &[("EVENT_MAX_BYTES", budget.into())]).await;
    assert_eq!(deliver_to(&function, submitted).await, 202);
    sink.received()
        .into_iter()
        .map(|r| (r.headers, r.body))
        .collect()
}

/// A session with one 1000-variant analysis (one chunk) submitted through `gateway`, whose
/// broker is `broker`; the submitted event.
async fn analysis(
    gateway: &Gateway,
    broker: &Recorder,
    ledger: &mut Ledger,
) -> (Observer, Received) {
    let mut client = Observer::connect(&gateway.ws_url()).await;
    client
        .analyze(ledger, "parts", &generate_variants(1000, 29), 1000)
        .await;
    let submitted = broker.wait_for(1, WAIT).await.remove(0);
    (client, submitted)
}

#[tokio::test]
async fn reversed_and_duplicated_parts_reach_the_user_once_with_the_memory_store() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &[]).await;
    let mut ledger = Ledger::default();
    let (mut client, submitted) = analysis(&gateway, &broker, &mut ledger).await;
    let parts = parts(&submitted, BUDGET).await;
    assert!(parts.len() >= 3, "{} parts", parts.len());
    // Last part first, each twice, the first part three times.
    for event in parts.iter().rev() {
        assert_eq!(deliver(&gateway, event).await, 202);
        assert_eq!(
            deliver(&gateway, event).await,
            202,
            "a duplicate is accepted and ignored"
        );
    }
    assert_eq!(deliver(&gateway, &parts[0]).await, 202);
    client
        .settle(&mut ledger, WAIT, Duration::from_secs(1))
        .await;
    ledger.assert_exactly_once();
    ledger.report(&format!(
        "{} parts reversed and duplicated (memory)",
        parts.len()
    ));
}

#[tokio::test]
async fn parts_spread_over_two_redis_replicas_and_redelivered_to_the_other_count_once() {
    let redis = RedisServer::start().await;
    let broker = Recorder::start(202).await;
    let a = start_replica(&broker.url(), &redis, &[]).await;
    let b = start_replica(&broker.url(), &redis, &[]).await;
    let mut ledger = Ledger::default();
    let (mut client, submitted) = analysis(&a, &broker, &mut ledger).await;
    let parts = parts(&submitted, BUDGET).await;
    assert!(parts.len() >= 3, "{} parts", parts.len());
    // Odd parts to replica B, even ones to A, last first; then every part again to the
    // other replica (a Trigger retry after a lost acknowledgement).
    for (i, event) in parts.iter().enumerate().rev() {
        let (first, second) = if i % 2 == 1 { (&b, &a) } else { (&a, &b) };
        assert_eq!(deliver(first, event).await, 202);
        assert_eq!(deliver(second, event).await, 202);
    }
    client
        .settle(&mut ledger, WAIT, Duration::from_secs(1))
        .await;
    ledger.assert_exactly_once();
    ledger.report(&format!(
        "{} parts over two Redis replicas, each twice",
        parts.len()
    ));
}

#[tokio::test]
async fn a_redelivery_split_another_way_is_refused_where_it_overlaps_and_the_rest_times_out() {
    for redis in [false, true] {
        let server = if redis {
            Some(RedisServer::start().await)
        } else {
            None
        };
        let broker = Recorder::start(202).await;
        let settings = [("CHUNK_TIMEOUT_SECS", "3".to_owned())];
        let gateway = match &server {
            Some(r) => start_replica(&broker.url(), r, &settings).await,
            None => start_gateway(&broker.url(), &settings).await,
        };
        let mut ledger = Ledger::default();
        let (mut client, submitted) = analysis(&gateway, &broker, &mut ledger).await;
        // Version 1 of the function sent its first part, then died; version 2 (another
        // budget) splits the chunk another way.
        let v1 = parts(&submitted, BUDGET).await;
        let v2 = parts(&submitted, "100000").await;
        assert_ne!(v1.len(), v2.len());
        assert_eq!(deliver(&gateway, &v1[0]).await, 202);
        let mut refused = 0;
        for event in &v2 {
            match deliver(&gateway, event).await {
                202 => {}
                400 => refused += 1,
                other => panic!("unexpected {other}"),
            }
        }
        assert!(refused >= 1, "the overlapping part of version 2 is refused");
        // What neither covers ends with the chunk timeout; nothing twice.
        client
            .settle(&mut ledger, WAIT, Duration::from_secs(1))
            .await;
        ledger.assert_exactly_once();
        let t = ledger.tally();
        assert!(t.errors >= 1, "{t}");
        ledger.report(&format!(
            "another split after a partial delivery ({})",
            if redis { "Redis" } else { "memory" }
        ));
    }
}
