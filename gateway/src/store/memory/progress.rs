//! Per-analysis bookkeeping: which chunks arrived and how many variants each side counted,
//! so `complete` is sent exactly once, after the last chunk.

use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    chunk_count: u64,
    received: BTreeSet<u64>,
    annotated: u64,
    failed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Partial,
    Complete { annotated: u64, failed: u64 },
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ChunkError {
    #[error("chunk {0} was already received")]
    Duplicate(u64),
    #[error("chunk {index} is outside the analysis' {count} chunks")]
    OutOfRange { index: u64, count: u64 },
    #[error("event says {got} chunks, the analysis was submitted as {expected}")]
    CountMismatch { expected: u64, got: u64 },
}

impl Progress {
    pub fn new(chunk_count: u64) -> Self {
        Self {
            chunk_count,
            received: BTreeSet::new(),
            annotated: 0,
            failed: 0,
        }
    }

    /// Distinct variants annotated and failed so far.
    pub fn totals(&self) -> (u64, u64) {
        (self.annotated, self.failed)
    }

    pub fn chunk_count(&self) -> u64 {
        self.chunk_count
    }

    /// Chunks not received yet, in order.
    pub fn missing(&self) -> Vec<u64> {
        (0..self.chunk_count)
            .filter(|i| !self.received.contains(i))
            .collect()
    }

    /// Records one chunk's outcome. Errors leave the progress unchanged.
    pub fn record(
        &mut self,
        index: u64,
        chunk_count: u64,
        annotated: u64,
        failed: u64,
    ) -> Result<Step, ChunkError> {
        if chunk_count != self.chunk_count {
            return Err(ChunkError::CountMismatch {
                expected: self.chunk_count,
                got: chunk_count,
            });
        }
        if index >= self.chunk_count {
            return Err(ChunkError::OutOfRange {
                index,
                count: self.chunk_count,
            });
        }
        if !self.received.insert(index) {
            return Err(ChunkError::Duplicate(index));
        }
        self.annotated += annotated;
        self.failed += failed;
        if self.received.len() as u64 == self.chunk_count {
            Ok(Step::Complete {
                annotated: self.annotated,
                failed: self.failed,
            })
        } else {
            Ok(Step::Partial)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_chunk_completes_immediately_with_its_counts() {
        let mut p = Progress::new(1);
        assert_eq!(
            p.record(0, 1, 3, 1),
            Ok(Step::Complete {
                annotated: 3,
                failed: 1
            })
        );
    }

    #[test]
    fn completes_once_after_the_last_chunk_in_any_order() {
        let mut p = Progress::new(3);
        assert_eq!(p.record(2, 3, 1, 0), Ok(Step::Partial));
        assert_eq!(p.record(0, 3, 2, 0), Ok(Step::Partial));
        assert_eq!(
            p.record(1, 3, 0, 5),
            Ok(Step::Complete {
                annotated: 3,
                failed: 5
            })
        );
        assert_eq!(p.record(1, 3, 0, 5), Err(ChunkError::Duplicate(1)));
    }

    #[test]
    fn duplicate_chunk_is_not_counted_twice() {
        let mut p = Progress::new(2);
        assert_eq!(p.record(0, 2, 4, 0), Ok(Step::Partial));
        assert_eq!(p.record(0, 2, 4, 0), Err(ChunkError::Duplicate(0)));
        assert_eq!(p.missing(), vec![1]);
        assert_eq!(
            p.record(1, 2, 1, 0),
            Ok(Step::Complete {
                annotated: 5,
                failed: 0
            })
        );
    }

    #[test]
    fn out_of_range_and_mismatched_counts_are_rejected() {
        let mut p = Progress::new(2);
        assert_eq!(
            p.record(2, 2, 1, 0),
            Err(ChunkError::OutOfRange { index: 2, count: 2 })
        );
        assert_eq!(
            p.record(0, 3, 1, 0),
            Err(ChunkError::CountMismatch {
                expected: 2,
                got: 3
            })
        );
        assert_eq!(p, Progress::new(2));
    }
}
