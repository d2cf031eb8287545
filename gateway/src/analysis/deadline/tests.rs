use std::sync::Arc;

use serde_json::Value;

use super::*;
use crate::registry::Registry;
use crate::store::memory::MemoryStore;
use crate::store::{AnalysisMeta, Read, Record, StreamLimits, START};

fn store(chunk_timeout: Duration) -> Store {
    let limits = StreamLimits {
        max_len: 64,
        ttl: Duration::from_secs(60),
        chunk_timeout,
    };
    Store::memory(Arc::new(MemoryStore::new(
        limits,
        1 << 20,
        Arc::new(Registry::new(4)),
    )))
}

fn meta() -> AnalysisMeta {
    AnalysisMeta {
        session_id: "s1".into(),
        analysis_id: "a1".into(),
        request_id: "r1".into(),
        chunk_count: 3,
        traceparent: None,
        variant_count: 5,
        chunk_size: 2,
        frames: crate::store::Frames::All,
    }
}

fn first_chunk() -> Record {
    Record {
        dedup_key: "fn\u{1f}e1".into(),
        session_id: "s1".into(),
        analysis_id: "a1".into(),
        chunk_index: 0,
        chunk_count: 3,
        annotated: 2,
        failed: 0,
        message: r#"{"type":"result","analysis_id":"a1","chunk_index":0}"#.into(),
        result: true,
    }
}

async fn frames(store: &Store) -> Vec<Value> {
    match store.read("s1", START, 100).await.expect("read") {
        Read::Entries(e) => e.into_iter().map(|e| e.message).collect(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn missing_chunks_fail_once_with_their_variant_counts_and_the_analysis_completes() {
    let store = store(Duration::ZERO);
    store.begin(&meta()).await.expect("begin");
    store.ingest(&first_chunk()).await.expect("ingest");

    assert_eq!(expire(&store, Duration::ZERO).await.expect("expire"), 2);
    assert_eq!(expire(&store, Duration::ZERO).await.expect("expire"), 0);

    let frames = frames(&store).await;
    let errors: Vec<&Value> = frames.iter().filter(|f| f["type"] == "error").collect();
    assert_eq!(errors.len(), 2, "{frames:?}");
    assert!(errors.iter().all(|e| e["code"] == "chunk_timeout"));
    assert_eq!(errors[0]["chunk_index"], 1);
    assert_eq!(errors[1]["chunk_index"], 2);
    let complete = frames.last().expect("frames");
    assert_eq!(complete["type"], "complete");
    // Chunk 1 held 2 variants, the last chunk 1.
    assert_eq!(
        (complete["annotated"].as_u64(), complete["failed"].as_u64()),
        (Some(2), Some(3))
    );
}

#[tokio::test]
async fn an_analysis_within_its_deadline_is_left_alone() {
    let store = store(Duration::from_secs(60));
    store.begin(&meta()).await.expect("begin");
    assert_eq!(
        expire(&store, Duration::from_secs(60))
            .await
            .expect("expire"),
        0
    );
    assert!(frames(&store).await.is_empty());
}

#[test]
fn checks_run_a_fraction_of_the_timeout_apart_within_bounds() {
    assert_eq!(
        check_every(Duration::from_secs(1)),
        Duration::from_millis(250)
    );
    assert_eq!(
        check_every(Duration::from_secs(300)),
        Duration::from_secs(5)
    );
    assert_eq!(check_every(Duration::ZERO), Duration::from_millis(100));
}
