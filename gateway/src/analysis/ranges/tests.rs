//! Range bookkeeping: parts in any order, duplicates, other partitionings, forged counts,
//! remainders.

use super::*;

/// Three chunks: 0..4, 4..6, 6..7.
fn progress() -> Progress {
    Progress::new(ChunkStarts::new(vec![0, 4, 6], 7).unwrap())
}

fn accepted(r: Result<Recorded, ChunkError>) -> Step {
    match r {
        Ok(Recorded::Accepted { step, .. }) => step,
        other => panic!("expected acceptance, got {other:?}"),
    }
}

#[test]
fn chunk_starts_describe_uneven_chunks() {
    let starts = ChunkStarts::new(vec![0, 4, 6], 7).unwrap();
    assert_eq!(starts.count(), 3);
    assert_eq!(starts.span(1), Some(Span::new(4, 2)));
    assert_eq!(starts.span(2), Some(Span::new(6, 1)));
    assert_eq!(starts.span(3), None);
    assert_eq!(ChunkStarts::even(5, 2).as_slice(), &[0, 2, 4, 5]);
    assert_eq!(ChunkStarts::new(vec![0, 4, 4], 7), None, "empty chunk");
    assert_eq!(
        ChunkStarts::new(vec![1], 7),
        None,
        "a gap before the first chunk"
    );
}

#[test]
fn parts_in_any_order_complete_the_analysis_once() {
    let mut p = progress();
    assert_eq!(
        accepted(p.record(1, 3, Covers::Range(Span::new(5, 1)), 1, 0)),
        Step::Partial
    );
    assert_eq!(
        accepted(p.record(0, 3, Covers::Range(Span::new(2, 2)), 1, 1)),
        Step::Partial
    );
    assert_eq!(accepted(p.record(2, 3, Covers::Chunk, 0, 1)), Step::Partial);
    assert_eq!(
        accepted(p.record(1, 3, Covers::Range(Span::new(4, 1)), 1, 0)),
        Step::Partial
    );
    assert_eq!(
        accepted(p.record(0, 3, Covers::Range(Span::new(0, 2)), 2, 0)),
        Step::Complete {
            annotated: 5,
            failed: 2
        }
    );
    assert!(p.missing().is_empty());
}

#[test]
fn a_redelivered_part_is_a_duplicate_and_changes_nothing() {
    let mut p = progress();
    accepted(p.record(0, 3, Covers::Range(Span::new(0, 2)), 2, 0));
    let before = p.clone();
    assert_eq!(
        p.record(0, 3, Covers::Range(Span::new(0, 2)), 2, 0),
        Ok(Recorded::Duplicate)
    );
    assert_eq!(p, before);
}

#[test]
fn another_partitioning_is_refused_where_it_overlaps_and_the_rest_stays_open() {
    let mut p = progress();
    accepted(p.record(0, 3, Covers::Range(Span::new(0, 3)), 3, 0));
    let before = p.clone();
    assert_eq!(
        p.record(0, 3, Covers::Range(Span::new(2, 2)), 2, 0),
        Err(ChunkError::Overlap {
            index: 0,
            span: Span::new(2, 2)
        })
    );
    assert_eq!(p, before);
    assert_eq!(p.gaps(0), vec![Span::new(3, 1)]);
}

#[test]
fn ranges_outside_their_chunk_and_forged_counts_are_refused() {
    let mut p = progress();
    let before = p.clone();
    for (index, span) in [
        (0, Span::new(3, 2)),
        (1, Span::new(0, 1)),
        (1, Span::new(5, 0)),
    ] {
        assert!(
            matches!(
                p.record(index, 3, Covers::Range(span), span.count, 0),
                Err(ChunkError::OutsideChunk { .. })
            ),
            "{index} {span:?}"
        );
    }
    // Issue #17.2: a forged count of 10^15 for a 4-input chunk.
    assert!(matches!(
        p.record(0, 3, Covers::Chunk, 0, 1_000_000_000_000_000),
        Err(ChunkError::Miscounted { .. })
    ));
    assert!(matches!(
        p.record(3, 3, Covers::Chunk, 0, 1),
        Err(ChunkError::OutOfRange { index: 3, count: 3 })
    ));
    assert!(matches!(
        p.record(0, 4, Covers::Chunk, 0, 4),
        Err(ChunkError::CountMismatch {
            expected: 3,
            got: 4
        })
    ));
    assert_eq!(p, before);
}

#[test]
fn a_whole_chunk_failure_that_does_not_know_its_count_fails_the_chunk() {
    let mut p = progress();
    match p.record(1, 3, Covers::Chunk, 0, 0) {
        Ok(Recorded::Accepted { filled, .. }) => assert_eq!(filled, vec![Span::new(4, 2)]),
        other => panic!("{other:?}"),
    }
    assert_eq!(p.totals(), (0, 2));
}

#[test]
fn a_remainder_fails_only_the_uncovered_inputs_once() {
    let mut p = progress();
    accepted(p.record(0, 3, Covers::Range(Span::new(1, 2)), 2, 0));
    match p.record(0, 3, Covers::Remainder, 0, 0) {
        Ok(Recorded::Accepted { filled, .. }) => {
            assert_eq!(filled, vec![Span::new(0, 1), Span::new(3, 1)])
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(p.totals(), (2, 2));
    assert_eq!(
        p.record(0, 3, Covers::Remainder, 0, 0),
        Ok(Recorded::Duplicate)
    );
    // A late part for what the remainder took changes nothing: refused where it overlaps,
    // a duplicate where it is exactly a failed range.
    let before = p.clone();
    assert!(matches!(
        p.record(0, 3, Covers::Range(Span::new(2, 2)), 2, 0),
        Err(ChunkError::Overlap { .. })
    ));
    assert_eq!(
        p.record(0, 3, Covers::Range(Span::new(3, 1)), 1, 0),
        Ok(Recorded::Duplicate)
    );
    assert_eq!(p, before);
    assert_eq!(p.missing().len(), 2, "chunks 1 and 2 still open");
}
