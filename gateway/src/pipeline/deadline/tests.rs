//! Chunk deadlines: missing chunks fail once, only their uncovered inputs, and not early.

use std::sync::Arc;

use serde_json::Value;

use super::*;
use crate::analysis::ranges::{ChunkStarts, Covers, Span};
use crate::analysis::record::{AnalysisMeta, Frames, Record, Spooled};
use crate::registry::Registry;
use crate::store::memory::MemoryStore;
use crate::store::{Read, StreamLimits, START};

fn store(chunk_timeout: Duration) -> Ledger {
    let limits = StreamLimits {
        max_len: 64,
        ttl: Duration::from_secs(60),
        chunk_timeout,
    };
    Ledger::new(Arc::new(MemoryStore::new(
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
        traceparent: None,
        variant_count: 5,
        chunks: ChunkStarts::even(5, 2),
        frames: Frames::All,
    }
}

/// A part of chunk `index` answering `span`, every input annotated.
fn part(index: u64, span: Span) -> Record {
    Record {
        dedup_key: format!("fn\u{1f}e{}", span.first),
        session_id: "s1".into(),
        analysis_id: "a1".into(),
        chunk_index: index,
        chunk_count: 3,
        covers: Covers::Range(span),
        annotated: span.count,
        failed: 0,
        message: format!(r#"{{"type":"result","analysis_id":"a1","chunk_index":{index}}}"#),
        result: true,
        spooled: Spooled::Part(Arc::from(&b""[..])),
    }
}

fn first_chunk() -> Record {
    part(0, Span::new(0, 2))
}

async fn frames(store: &Ledger) -> Vec<Value> {
    match store.store().read("s1", START, 100).await.expect("read") {
        Read::Entries(e) => e.into_iter().map(|e| e.message).collect(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn missing_chunks_fail_once_with_their_variant_counts_and_the_analysis_completes() {
    let store = store(Duration::ZERO);
    store.store().begin(&meta()).await.expect("begin");
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
async fn a_chunk_with_a_part_back_fails_only_its_uncovered_inputs() {
    let store = store(Duration::ZERO);
    store.store().begin(&meta()).await.expect("begin");
    store.ingest(&first_chunk()).await.expect("ingest");
    // Chunk 1 (inputs 2 and 3): the part with input 2 came back, the one with 3 did not.
    store
        .ingest(&part(1, Span::new(2, 1)))
        .await
        .expect("ingest");
    assert_eq!(expire(&store, Duration::ZERO).await.expect("expire"), 2);
    let complete = frames(&store).await.pop().expect("frames");
    assert_eq!(complete["type"], "complete");
    assert_eq!(
        (complete["annotated"].as_u64(), complete["failed"].as_u64()),
        (Some(3), Some(2))
    );
    // The missing part arriving late is refused: its input already failed.
    assert!(matches!(
        store
            .ingest(&part(1, Span::new(3, 1)))
            .await
            .expect("ingest"),
        Ingested::UnknownAnalysis
    ));
}

#[tokio::test]
async fn an_analysis_within_its_deadline_is_left_alone() {
    let store = store(Duration::from_secs(60));
    store.store().begin(&meta()).await.expect("begin");
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
