//! The ledger: what the store accepts is spooled once; what it refuses or has seen is not.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::analysis::ranges::{ChunkStarts, Covers, Span};
use crate::analysis::record::{AnalysisMeta, Frames, Spooled};
use crate::analysis::scratch::Scratch;
use crate::analysis::spool::{spooled_ranges, SpoolMeta};
use crate::registry::Registry;
use crate::store::memory::MemoryStore;
use crate::store::StreamLimits;

fn ledger() -> (Scratch, Ledger) {
    let root = Scratch::new("gw-ledger");
    let limits = StreamLimits {
        max_len: 64,
        ttl: Duration::from_secs(60),
        chunk_timeout: Duration::from_secs(60),
    };
    let store = Arc::new(MemoryStore::new(
        limits,
        1 << 20,
        Arc::new(Registry::new(4)),
    ));
    let ledger = Ledger::new(store).with_spool(Spool::new(root.path().to_path_buf(), limits.ttl));
    (root, ledger)
}

/// An analysis of four inputs in one chunk, spooled (a REST upload) or not (WebSocket).
async fn begin(ledger: &Ledger, spooled: bool) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    if spooled {
        let spool = ledger.spool().expect("spool");
        let dir = spool.create(&id).expect("dir");
        let meta = SpoolMeta {
            analysis_id: id.clone(),
            request_id: "r1".into(),
            variant_count: 4,
            chunk_count: 1,
            token_sha256: None,
            session_id: None,
            frames: Frames::None.as_str().into(),
        };
        spool.write_meta(&dir, &meta).expect("meta");
    }
    let meta = AnalysisMeta {
        session_id: "s1".into(),
        analysis_id: id.clone(),
        request_id: "r1".into(),
        traceparent: None,
        variant_count: 4,
        chunks: ChunkStarts::even(4, 4),
        frames: Frames::None,
    };
    ledger.store().begin(&meta).await.expect("begin");
    id
}

/// A part of the chunk answering `span`, every input annotated, carrying `data`.
fn part(analysis: &str, event: &str, span: Span, data: &[u8]) -> Record {
    Record {
        dedup_key: format!("fn\u{1f}{event}"),
        session_id: "s1".into(),
        analysis_id: analysis.into(),
        chunk_index: 0,
        chunk_count: 1,
        covers: Covers::Range(span),
        annotated: span.count,
        failed: 0,
        message: String::new(),
        result: true,
        spooled: Spooled::Part(Arc::from(data)),
    }
}

fn spooled(ledger: &Ledger, analysis: &str) -> Vec<(Span, Vec<u8>)> {
    let dir = ledger.spool().and_then(|s| s.dir(analysis)).expect("dir");
    spooled_ranges(&dir)
        .expect("listing")
        .into_iter()
        .map(|(span, file, _)| (span, std::fs::read(file).expect("part")))
        .collect()
}

#[tokio::test]
async fn an_accepted_part_is_spooled_and_a_redelivery_split_the_same_way_is_not_rewritten() {
    let (_root, ledger) = ledger();
    let a = begin(&ledger, true).await;
    let first = ledger
        .ingest(&part(&a, "e1", Span::new(0, 2), b"first"))
        .await;
    assert!(matches!(first, Ok(Ingested::Appended { .. })), "{first:?}");
    // Another event (another id) for exactly that range: a duplicate, its data not written.
    let again = ledger
        .ingest(&part(&a, "e2", Span::new(0, 2), b"second"))
        .await;
    assert_eq!(again.expect("store"), Ingested::Duplicate);
    assert_eq!(spooled(&ledger, &a), [(Span::new(0, 2), b"first".to_vec())]);
}

#[tokio::test]
async fn a_part_the_store_refuses_is_never_spooled() {
    let (_root, ledger) = ledger();
    let a = begin(&ledger, true).await;
    ledger
        .ingest(&part(&a, "e1", Span::new(0, 2), b"first"))
        .await
        .expect("store");
    let overlap = ledger
        .ingest(&part(&a, "e2", Span::new(1, 2), b"other"))
        .await;
    assert!(matches!(overlap, Ok(Ingested::Rejected(_))), "{overlap:?}");
    assert_eq!(spooled(&ledger, &a).len(), 1);
}

#[tokio::test]
async fn an_analysis_without_a_spool_is_only_counted() {
    let (root, ledger) = ledger();
    let a = begin(&ledger, false).await;
    let first = ledger
        .ingest(&part(&a, "e1", Span::new(0, 4), b"all"))
        .await;
    assert!(
        matches!(
            first,
            Ok(Ingested::Appended {
                completed: true,
                ..
            })
        ),
        "{first:?}"
    );
    assert!(!root.path().join(&a).exists());
}
