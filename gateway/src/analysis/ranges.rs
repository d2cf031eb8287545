//! Exactly-once by input ranges (issues #16.1, #17.2): which inputs of each chunk of an
//! analysis have their outcome. A chunk's result comes back as parts, each a contiguous range
//! of its inputs; a part counts only when its range lies inside the chunk it names (the
//! gateway knows every chunk's first input and size) and overlaps nothing accepted before. So
//! a duplicated, replayed or reordered part changes nothing, and a redelivery split another
//! way (another function version) is refused where it overlaps; what stays uncovered fails
//! with the chunk timeout. The chunk is complete when its ranges cover it, the analysis when
//! every chunk is.
//!
//! This is the memory store's bookkeeping; `store/redis/ingest.lua` keeps the same rules in
//! Redis.

use std::collections::HashMap;
use std::sync::Arc;

/// Input indexes `first .. first + count` of an analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub first: u64,
    pub count: u64,
}

impl Span {
    pub fn new(first: u64, count: u64) -> Self {
        Self { first, count }
    }

    pub fn end(self) -> u64 {
        self.first.saturating_add(self.count)
    }

    fn overlaps(self, other: Span) -> bool {
        self.first < other.end() && other.first < self.end()
    }

    fn within(self, outer: Span) -> bool {
        self.count > 0 && self.first >= outer.first && self.end() <= outer.end()
    }
}

/// Where each chunk of an analysis starts: chunk `i` covers `starts[i] .. starts[i + 1]`,
/// and the last entry is the analysis' variant count. Chunks are cut by count and bytes, so
/// their sizes differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkStarts(Arc<[u64]>);

impl ChunkStarts {
    /// Chunks of `size` (the last one shorter).
    pub fn even(variants: u64, size: u64) -> Self {
        let size = size.max(1);
        let mut starts: Vec<u64> = (0..variants.div_ceil(size)).map(|i| i * size).collect();
        starts.push(variants);
        Self(starts.into())
    }

    /// From the starts of each chunk and the variant count; `None` unless they increase.
    pub fn new(mut starts: Vec<u64>, variants: u64) -> Option<Self> {
        starts.push(variants);
        let ordered = starts.first() == Some(&0) || starts.len() == 1;
        (ordered && starts.windows(2).all(|w| w[0] < w[1])).then(|| Self(starts.into()))
    }

    pub fn count(&self) -> u64 {
        self.0.len() as u64 - 1
    }

    pub fn variants(&self) -> u64 {
        self.0.last().copied().unwrap_or(0)
    }

    /// The inputs of chunk `index`.
    pub fn span(&self, index: u64) -> Option<Span> {
        let i = usize::try_from(index).ok()?;
        let (first, end) = (*self.0.get(i)?, *self.0.get(i + 1)?);
        Some(Span::new(first, end - first))
    }

    pub fn as_slice(&self) -> &[u64] {
        &self.0
    }
}

/// What a record covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Covers {
    /// These inputs (a part, or a failed range).
    Range(Span),
    /// The whole chunk (a `failed` event without a range).
    Chunk,
    /// Whatever the chunk has not accepted yet (the gateway's own failures: a chunk that
    /// never reached the broker, or timed out).
    Remainder,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Partial,
    Complete { annotated: u64, failed: u64 },
}

/// How a record was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Counted: the spans it covered (a remainder may be several), and where the analysis is.
    Accepted { step: Step, filled: Vec<Span> },
    /// Exactly this range was accepted before (a redelivered part), or nothing remained.
    Duplicate,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ChunkError {
    #[error("chunk {index} is outside the analysis' {count} chunks")]
    OutOfRange { index: u64, count: u64 },
    #[error("event says {got} chunks, the analysis was submitted as {expected}")]
    CountMismatch { expected: u64, got: u64 },
    #[error("inputs {} to {} are not within chunk {index} (inputs {} to {})", .span.first, .span.end(), .chunk.first, .chunk.end())]
    OutsideChunk { index: u64, span: Span, chunk: Span },
    #[error("inputs {} to {} of chunk {index} overlap inputs already answered", .span.first, .span.end())]
    Overlap { index: u64, span: Span },
    #[error("{counted} outcomes counted for {} inputs", .span.count)]
    Miscounted { span: Span, counted: u64 },
}

/// One analysis' bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    starts: ChunkStarts,
    /// Accepted ranges per chunk, sorted.
    accepted: HashMap<u64, Vec<Span>>,
    complete_chunks: u64,
    annotated: u64,
    failed: u64,
}

impl Progress {
    pub fn new(starts: ChunkStarts) -> Self {
        Self {
            starts,
            accepted: HashMap::new(),
            complete_chunks: 0,
            annotated: 0,
            failed: 0,
        }
    }

    /// Distinct variants annotated and failed so far.
    pub fn totals(&self) -> (u64, u64) {
        (self.annotated, self.failed)
    }

    pub fn chunk_count(&self) -> u64 {
        self.starts.count()
    }

    /// The inputs of chunk `index` nothing answered yet, in order.
    pub fn gaps(&self, index: u64) -> Vec<Span> {
        let Some(chunk) = self.starts.span(index) else {
            return Vec::new();
        };
        gaps(
            chunk,
            self.accepted.get(&index).map_or(&[][..], Vec::as_slice),
        )
    }

    /// Chunks not complete yet, in order, with their gaps.
    pub fn missing(&self) -> Vec<(u64, Vec<Span>)> {
        (0..self.chunk_count())
            .map(|i| (i, self.gaps(i)))
            .filter(|(_, gaps)| !gaps.is_empty())
            .collect()
    }

    /// Records one outcome of chunk `index`: `annotated` and `failed` distinct inputs of what
    /// `covers` says (a remainder's inputs all fail). Errors leave the progress unchanged.
    pub fn record(
        &mut self,
        index: u64,
        chunk_count: u64,
        covers: Covers,
        annotated: u64,
        failed: u64,
    ) -> Result<Recorded, ChunkError> {
        let count = self.chunk_count();
        if chunk_count != count {
            return Err(ChunkError::CountMismatch {
                expected: count,
                got: chunk_count,
            });
        }
        let chunk = self
            .starts
            .span(index)
            .ok_or(ChunkError::OutOfRange { index, count })?;
        let accepted = self.accepted.get(&index).map_or(&[][..], Vec::as_slice);
        let (filled, annotated, failed) = match covers {
            Covers::Range(_) | Covers::Chunk => {
                let (span, annotated, failed) = match covers {
                    Covers::Range(span) => (span, annotated, failed),
                    // A whole chunk's failure may not know how many inputs it had (its data
                    // did not decode): the chunk says.
                    _ if annotated + failed == 0 => (chunk, 0, chunk.count),
                    _ => (chunk, annotated, failed),
                };
                if !span.within(chunk) {
                    return Err(ChunkError::OutsideChunk { index, span, chunk });
                }
                if annotated + failed != span.count {
                    return Err(ChunkError::Miscounted {
                        span,
                        counted: annotated + failed,
                    });
                }
                if accepted.contains(&span) {
                    return Ok(Recorded::Duplicate);
                }
                if accepted.iter().any(|a| a.overlaps(span)) {
                    return Err(ChunkError::Overlap { index, span });
                }
                (vec![span], annotated, failed)
            }
            Covers::Remainder => {
                let filled = gaps(chunk, accepted);
                if filled.is_empty() {
                    return Ok(Recorded::Duplicate);
                }
                let failed = filled.iter().map(|s| s.count).sum();
                (filled, 0, failed)
            }
        };
        let accepted = self.accepted.entry(index).or_default();
        accepted.extend(filled.iter().copied());
        accepted.sort_unstable();
        self.annotated += annotated;
        self.failed += failed;
        if accepted.iter().map(|s| s.count).sum::<u64>() == chunk.count {
            self.complete_chunks += 1;
        }
        let step = if self.complete_chunks == count {
            Step::Complete {
                annotated: self.annotated,
                failed: self.failed,
            }
        } else {
            Step::Partial
        };
        Ok(Recorded::Accepted { step, filled })
    }
}

/// The parts of `chunk` outside the sorted, disjoint `accepted` ranges.
fn gaps(chunk: Span, accepted: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut at = chunk.first;
    for a in accepted {
        if a.first > at {
            out.push(Span::new(at, a.first - at));
        }
        at = at.max(a.end());
    }
    if at < chunk.end() {
        out.push(Span::new(at, chunk.end() - at));
    }
    out
}

#[cfg(test)]
mod tests;
