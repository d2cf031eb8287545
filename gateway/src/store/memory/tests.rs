//! The memory store: streams, bookkeeping, dedup, byte budget and eviction order.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::*;
use crate::analysis::ranges::{ChunkError, ChunkStarts, Covers, Span};
use crate::analysis::record::Spooled;
use crate::frames::unsent_chunk;
use crate::store::START;

const LIMITS: StreamLimits = StreamLimits {
    max_len: 8,
    ttl: Duration::from_secs(60),
    chunk_timeout: Duration::from_secs(60),
};

fn store() -> MemoryStore {
    MemoryStore::new(LIMITS, 1 << 20, Arc::new(Registry::new(8)))
}

/// `chunks` chunks of one variant each.
fn meta(analysis: &str, chunks: u64) -> AnalysisMeta {
    AnalysisMeta {
        session_id: "s1".into(),
        analysis_id: analysis.into(),
        request_id: "r1".into(),
        traceparent: None,
        variant_count: chunks,
        chunks: ChunkStarts::even(chunks, 1),
        frames: Frames::All,
    }
}

/// The result of chunk `index` of `count`: its one variant annotated.
fn record(id: &str, analysis: &str, index: u64, count: u64) -> Record {
    Record {
        dedup_key: format!("src\u{1f}{id}"),
        session_id: "s1".into(),
        analysis_id: analysis.into(),
        chunk_index: index,
        chunk_count: count,
        covers: Covers::Range(Span::new(index, 1)),
        annotated: 1,
        failed: 0,
        message: format!(r#"{{"type":"result","analysis_id":"{analysis}","chunk_index":{index}}}"#),
        result: true,
        spooled: Spooled::Part(Arc::from(&b""[..])),
    }
}

fn types(read: &Read) -> Vec<String> {
    match read {
        Read::Entries(e) => e
            .iter()
            .map(|e| {
                e.message
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect(),
        Read::Gap => vec!["gap".into()],
        Read::Expired => vec!["expired".into()],
    }
}

#[test]
fn complete_is_appended_once_after_the_last_chunk() {
    let s = store();
    s.begin(&meta("a1", 2));
    assert_eq!(
        s.ingest(&record("e1", "a1", 1, 2)),
        Ingested::Appended {
            completed: false,
            annotated: 1,
            failed: 0,
            filled: vec![Span::new(1, 1)],
        }
    );
    assert_eq!(
        s.ingest(&record("e2", "a1", 0, 2)),
        Ingested::Appended {
            completed: true,
            annotated: 2,
            failed: 0,
            filled: vec![Span::new(0, 1)],
        }
    );
    assert_eq!(
        types(&s.read("s1", START, 10)),
        ["result", "progress", "result", "complete"]
    );
}

#[test]
fn a_redelivered_event_or_range_is_a_duplicate_and_an_overlapping_range_is_rejected() {
    let s = store();
    let mut m = meta("a1", 2);
    m.variant_count = 5;
    m.chunks = ChunkStarts::new(vec![0, 4], 5).unwrap();
    s.begin(&m);
    let part = |id: &str, first, count| {
        let mut r = record(id, "a1", 0, 2);
        r.covers = Covers::Range(Span::new(first, count));
        r.annotated = count;
        r
    };
    assert!(matches!(
        s.ingest(&part("p0", 0, 2)),
        Ingested::Appended { .. }
    ));
    assert_eq!(s.ingest(&part("p0", 0, 2)), Ingested::Duplicate, "same id");
    assert_eq!(
        s.ingest(&part("p0-again", 0, 2)),
        Ingested::Duplicate,
        "same range"
    );
    assert_eq!(
        s.ingest(&part("other-split", 1, 3)),
        Ingested::Rejected(ChunkError::Overlap {
            index: 0,
            span: Span::new(1, 3)
        })
    );
    assert!(matches!(
        s.ingest(&part("p1", 2, 2)),
        Ingested::Appended {
            completed: false,
            ..
        }
    ));
    assert_eq!(s.progress("a1"), Some((4, 0)));
    assert_eq!(
        types(&s.read("s1", START, 10)),
        ["result", "progress", "result", "progress"]
    );
}

#[test]
fn reading_after_a_cursor_returns_only_later_entries_with_request_ids() {
    let s = store();
    s.begin(&meta("a1", 3));
    for (i, id) in ["e1", "e2", "e3"].iter().enumerate() {
        s.ingest(&record(id, "a1", i as u64, 3));
    }
    let Read::Entries(all) = s.read("s1", START, 10) else {
        panic!("no gap expected")
    };
    assert_eq!(all.len(), 6);
    assert_eq!(all[0].message["request_id"], "r1");
    let Read::Entries(rest) = s.read("s1", &all[1].cursor, 10) else {
        panic!("no gap expected")
    };
    assert_eq!(
        rest.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [3, 4, 5, 6],
        "entries after the cursor, in order"
    );
}

#[test]
fn a_reader_behind_the_trimmed_entries_gets_a_gap() {
    let s = store();
    s.begin(&meta("a1", 12));
    for i in 0..10 {
        s.ingest(&record(&format!("e{i}"), "a1", i, 12));
    }
    assert_eq!(s.read("s1", START, 10), Read::Gap);
    assert_eq!(s.read("s1", "0-1", 10), Read::Gap);
    // 10 chunks: 10 results and 10 progress frames, of which the last 8 are kept.
    assert!(matches!(s.read("s1", "0-12", 10), Read::Entries(ref e) if e.len() == 8));
}

#[test]
fn unknown_analysis_or_foreign_session_is_not_appended() {
    let s = store();
    assert_eq!(
        s.ingest(&record("e1", "nope", 0, 1)),
        Ingested::UnknownAnalysis
    );
    s.begin(&meta("a1", 1));
    let mut foreign = record("e2", "a1", 0, 1);
    foreign.session_id = "s2".into();
    assert_eq!(s.ingest(&foreign), Ingested::UnknownAnalysis);
}

#[test]
fn unsent_chunks_fail_their_variants_and_complete_the_analysis() {
    let s = store();
    let m = meta("a1", 2);
    s.begin(&m);
    s.ingest(&record("e1", "a1", 0, 2));
    assert_eq!(
        s.ingest(&unsent_chunk(&m, 1, "broker_timeout", "no answer")),
        Ingested::Appended {
            completed: true,
            annotated: 1,
            failed: 1,
            filled: vec![Span::new(1, 1)],
        }
    );
    let Read::Entries(e) = s.read("s1", START, 10) else {
        panic!("no gap expected")
    };
    assert_eq!(e[2].message["code"], "broker_timeout");
    assert_eq!(e[3].message["annotated"], 1);
    assert_eq!(e[3].message["failed"], 1);
}

#[test]
fn progress_after_each_chunk_but_the_last_counts_done_variants_of_the_total() {
    let s = store();
    s.begin(&meta("a1", 3));
    for (i, id) in ["e1", "e2", "e3"].iter().enumerate() {
        s.ingest(&record(id, "a1", i as u64, 3));
    }
    let Read::Entries(e) = s.read("s1", START, 10) else {
        panic!("no gap expected")
    };
    let progress: Vec<(u64, u64)> = e
        .iter()
        .filter(|e| e.message["type"] == "progress")
        .map(|e| {
            assert_eq!(e.message["request_id"], "r1");
            (
                e.message["done"].as_u64().unwrap_or_default(),
                e.message["total"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(progress, [(1, 3), (2, 3)]);
}

#[test]
fn a_summary_analysis_streams_progress_and_complete_but_not_results() {
    let s = store();
    let mut m = meta("a1", 3);
    m.frames = Frames::Summary;
    s.begin(&m);
    s.ingest(&record("e1", "a1", 0, 3));
    s.ingest(&unsent_chunk(&m, 1, "broker_timeout", "no answer"));
    s.ingest(&record("e3", "a1", 2, 3));
    assert_eq!(
        types(&s.read("s1", START, 10)),
        ["progress", "error", "progress", "complete"]
    );
}

/// A one-chunk analysis `analysis` of `session` whose result frame is `size` bytes.
fn sized(s: &MemoryStore, session: &str, analysis: &str, chunks: u64, index: u64, size: usize) {
    let mut m = meta(analysis, chunks);
    m.session_id = session.into();
    if index == 0 {
        s.begin(&m);
    }
    let mut r = record(&format!("{analysis}-{index}"), analysis, index, chunks);
    r.session_id = session.into();
    r.message = format!(
        r#"{{"type":"result","analysis_id":"{analysis}","chunk_index":{index},"pad":"{}"}}"#,
        "x".repeat(size)
    );
    s.ingest(&r);
}

#[test]
fn past_its_byte_budget_the_store_evicts_idle_sessions_first_and_their_readers_get_expired() {
    let s = MemoryStore::new(LIMITS, 20_000, Arc::new(Registry::new(8)));
    // An idle session: its analysis is complete.
    sized(&s, "idle", "a-idle", 1, 0, 6_000);
    // A busy session: one chunk of three back so far.
    sized(&s, "busy", "a-busy", 3, 0, 6_000);
    assert!(matches!(s.read("idle", START, 10), Read::Entries(ref e) if e.len() == 2));
    let Read::Entries(before) = s.read("idle", START, 10) else {
        panic!("entries")
    };
    let idle_end = before.last().expect("complete").cursor.clone();
    // A third session pushes the total over 20 000 bytes.
    sized(&s, "new", "a-new", 1, 0, 9_000);
    assert!(s.bytes() <= 20_000, "{} bytes", s.bytes());
    assert_eq!(s.read("idle", START, 10), Read::Expired);
    // A reader that had everything misses nothing.
    assert_eq!(s.read("idle", &idle_end, 10), Read::Entries(Vec::new()));
    // The busy session and the newest one are whole.
    assert_eq!(types(&s.read("busy", START, 10)), ["result", "progress"]);
    assert_eq!(types(&s.read("new", START, 10)), ["result", "complete"]);
}

#[test]
fn when_only_busy_sessions_remain_their_oldest_entries_go_and_the_bound_holds() {
    let s = MemoryStore::new(LIMITS, 20_000, Arc::new(Registry::new(8)));
    for i in 0..6 {
        sized(&s, "busy", "a1", 7, i, 5_000);
        assert!(s.bytes() <= 20_000, "chunk {i}: {} bytes", s.bytes());
    }
    assert_eq!(s.read("busy", START, 10), Read::Expired);
    let Read::Entries(tail) = s.read("busy", "0-10", 10) else {
        panic!("the newest entries are kept")
    };
    assert_eq!(tail.len(), 2);
    // The analysis still completes exactly once.
    sized(&s, "busy", "a1", 7, 6, 10);
    assert_eq!(types(&s.read("busy", "0-12", 10)), ["result", "complete"]);
}

#[test]
fn frames_already_sent_are_evicted_before_unsent_ones() {
    let s = MemoryStore::new(LIMITS, 20_000, Arc::new(Registry::new(8)));
    // A reader that took everything of its complete analysis...
    sized(&s, "read", "a-read", 1, 0, 6_000);
    let Read::Entries(sent) = s.read("read", START, 10) else {
        panic!("entries")
    };
    let end = sent.last().expect("complete").cursor.clone();
    assert_eq!(s.read("read", &end, 10), Read::Entries(Vec::new()));
    // ...and an away session whose complete analysis was never read, written later.
    sized(&s, "away", "a-away", 1, 0, 6_000);
    sized(&s, "new", "a-new", 1, 0, 9_000);
    assert!(s.bytes() <= 20_000, "{} bytes", s.bytes());
    // The sent frames went; the unsent ones are all there.
    assert_eq!(s.read("read", START, 10), Read::Expired);
    assert_eq!(s.read("read", &end, 10), Read::Entries(Vec::new()));
    assert_eq!(types(&s.read("away", START, 10)), ["result", "complete"]);
}
