//! Large inputs through the real binaries on loopback: chunk deadlines (a function that
//! never answers), and the REST upload path.

use std::time::Duration;

use e2e::cluster::{start_replica, RedisServer};
use e2e::process::start_gateway;
use e2e::recorder::Recorder;
use e2e::ws::Client;
use serde_json::{json, Value};

/// Collects frames until `complete`; chunk errors carry the request id, so `Client::analyze`
/// (which stops at the first error) is not enough here.
async fn until_complete(client: &mut Client, timeout: Duration) -> Vec<Value> {
    let mut frames = Vec::new();
    loop {
        let f = client.next_json(timeout).await;
        let done = f["type"] == "complete";
        frames.push(f);
        if done {
            return frames;
        }
    }
}

fn of_type<'a>(frames: &'a [Value], ty: &str) -> Vec<&'a Value> {
    frames.iter().filter(|f| f["type"] == ty).collect()
}

/// The recorder stands in for a broker that accepts every chunk and never delivers a
/// result: only the deadline can end the analysis.
#[tokio::test]
async fn chunks_that_never_return_time_out_into_typed_errors_and_the_analysis_completes() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(
        &broker.url(),
        &[
            ("CHUNK_SIZE", "2".into()),
            ("CHUNK_TIMEOUT_SECS", "1".into()),
        ],
    )
    .await;
    let mut client = Client::connect(&gateway.ws_url()).await;
    client
        .send_json(&json!({"type": "analyze", "request_id": "r1",
            "variants": ["21 25585733 . C T", "21 25585734 . G A", "21 25585735 . A G"]}))
        .await;
    let frames = until_complete(&mut client, Duration::from_secs(15)).await;
    assert_eq!(frames[0]["type"], "accepted", "{frames:?}");
    let errors = of_type(&frames, "error");
    let mut chunks: Vec<u64> = errors
        .iter()
        .map(|e| {
            assert_eq!(e["code"], "chunk_timeout", "{e}");
            e["chunk_index"]
                .as_u64()
                .expect("chunk error names its chunk")
        })
        .collect();
    chunks.sort_unstable();
    assert_eq!(chunks, vec![0, 1]);
    let complete = frames.last().expect("complete");
    assert_eq!(
        (complete["annotated"].as_u64(), complete["failed"].as_u64()),
        (Some(0), Some(3))
    );
    // Nothing more follows: each chunk timed out once.
    assert!(client.drain(Duration::from_millis(1500)).await.is_empty());
}

/// Two replicas watch the same deadlines in Redis; the store's bookkeeping lets exactly one
/// timeout record per chunk through, whichever replica notices first.
#[tokio::test]
async fn with_two_replicas_each_chunk_times_out_exactly_once() {
    let redis = RedisServer::start().await;
    let broker = Recorder::start(202).await;
    let extra = [
        ("CHUNK_SIZE", "1".to_owned()),
        ("CHUNK_TIMEOUT_SECS", "1".to_owned()),
    ];
    let a = start_replica(&broker.url(), &redis, &extra).await;
    let _b = start_replica(&broker.url(), &redis, &extra).await;
    let mut client = Client::connect(&a.ws_url()).await;
    let variants: Vec<String> = (0..6)
        .map(|i| format!("21 {} . C T", 25585733 + i))
        .collect();
    client
        .send_json(&json!({"type": "analyze", "request_id": "r1", "variants": variants}))
        .await;
    let frames = until_complete(&mut client, Duration::from_secs(15)).await;
    let mut chunks: Vec<u64> = of_type(&frames, "error")
        .iter()
        .map(|e| e["chunk_index"].as_u64().expect("chunk index"))
        .collect();
    chunks.sort_unstable();
    assert_eq!(chunks, (0..6).collect::<Vec<u64>>(), "{frames:?}");
    let complete = frames.last().expect("complete");
    assert_eq!(complete["failed"], 6);
    assert!(client.drain(Duration::from_millis(1500)).await.is_empty());
}
