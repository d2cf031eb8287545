//! Semi-global affine-gap alignment of the oriented sequence (end to end) against the placed
//! reference window (free ends), with rust-bio. Small problems use the full dynamic program;
//! long ones the banded aligner, whose band follows k-mer matches, so memory stays bounded.

use bio::alignment::pairwise::{banded, Aligner, MatchFunc, MIN_SCORE};
use bio::alignment::AlignmentOperation;

use crate::engine::models::genome::Genome;

use super::placement::Placement;
use super::{reverse_complement, SequenceError};

pub use bio::alignment::AlignmentOperation as Op;

/// Scores in BWA's spirit: mismatches cost more than a match earns, so a SNV is not bridged
/// by an indel pair; unknown letters (N, ambiguity codes, N in the reference) score 0.
const MATCH: i32 = 1;
const MISMATCH: i32 = -4;
const GAP_OPEN: i32 = -6;
const GAP_EXTEND: i32 = -1;
/// Largest full dynamic-programming matrix (cells); past it the banded aligner runs.
const MAX_FULL_CELLS: usize = 30_000_000;
/// Banded aligner's seed length and band half-width: long seeds keep repeat hits from
/// widening the band past rust-bio's cell limit (it then returns no alignment at all).
const BAND_K: usize = 16;
const BAND_W: usize = 24;

/// The sequence aligned to its reference window.
#[derive(Debug, Clone)]
pub struct Aligned {
    pub chrom: String,
    /// 1-based position of `reference[0]`.
    pub ref_start: u64,
    pub reference: Vec<u8>,
    /// The sequence as aligned: reverse-complemented when it matched the minus strand.
    pub query: Vec<u8>,
    /// Offset in `reference` of the first aligned base.
    pub ystart: usize,
    /// Offset in `reference` just past the last aligned base.
    pub yend: usize,
    pub ops: Vec<AlignmentOperation>,
}

fn score(a: u8, b: u8) -> i32 {
    let known = |x: u8| matches!(x, b'A' | b'C' | b'G' | b'T');
    if !known(a) || !known(b) {
        0
    } else if a == b {
        MATCH
    } else {
        MISMATCH
    }
}

pub fn align(
    genome: &Genome,
    placement: &Placement,
    query: &[u8],
) -> Result<Aligned, SequenceError> {
    let length = genome
        .contig_length(&placement.chrom)
        .ok_or_else(|| SequenceError::Reference(format!("unknown contig {}", placement.chrom)))?;
    let end = placement.end.min(length);
    let reference = genome.sequence(&placement.chrom, placement.start, end)?;
    let query = if placement.strand == 1 {
        query.to_vec()
    } else {
        reverse_complement(query)
    };
    let cells = (query.len() + 1).saturating_mul(reference.len() + 1);
    let alignment = if cells <= MAX_FULL_CELLS {
        Aligner::with_capacity(query.len(), reference.len(), GAP_OPEN, GAP_EXTEND, score)
            .semiglobal(&query, &reference)
    } else {
        banded_semiglobal(&query, &reference, score)
    };
    if alignment.score == MIN_SCORE || alignment.operations.is_empty() {
        return Err(SequenceError::AlignmentFailed(format!(
            "no alignment of {} letters against {}:{}-{end} (band too wide)",
            query.len(),
            placement.chrom,
            placement.start
        )));
    }
    Ok(Aligned {
        chrom: placement.chrom.clone(),
        ref_start: placement.start,
        ystart: alignment.ystart,
        yend: alignment.yend,
        ops: alignment.operations,
        reference,
        query,
    })
}

fn banded_semiglobal<F: MatchFunc>(
    query: &[u8],
    reference: &[u8],
    f: F,
) -> bio::alignment::Alignment {
    banded::Aligner::with_capacity(
        query.len(),
        reference.len(),
        GAP_OPEN,
        GAP_EXTEND,
        f,
        BAND_K,
        BAND_W,
    )
    .semiglobal(query, reference)
}

/// One alignment column: query offset and reference offset (each `None` in a gap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub op: AlignmentOperation,
    pub q: Option<usize>,
    pub r: Option<usize>,
}

impl Aligned {
    /// The alignment column by column, clip operations left out.
    pub fn columns(&self) -> impl Iterator<Item = Column> + '_ {
        let mut q = 0usize;
        let mut r = self.ystart;
        self.ops.iter().filter_map(move |&op| match op {
            Op::Match | Op::Subst => {
                let c = Column {
                    op,
                    q: Some(q),
                    r: Some(r),
                };
                q += 1;
                r += 1;
                Some(c)
            }
            Op::Ins => {
                let c = Column {
                    op,
                    q: Some(q),
                    r: None,
                };
                q += 1;
                Some(c)
            }
            Op::Del => {
                let c = Column {
                    op,
                    q: None,
                    r: Some(r),
                };
                r += 1;
                Some(c)
            }
            // Semi-global results carry no clips: `semiglobal` filters them and sets `ystart`.
            Op::Xclip(_) | Op::Yclip(_) => None,
        })
    }

    /// Matching columns over informative ones (both sides, or the present side of a gap,
    /// an unambiguous base).
    pub fn identity(&self) -> f64 {
        let known = |x: u8| matches!(x, b'A' | b'C' | b'G' | b'T');
        let (mut matches, mut informative) = (0usize, 0usize);
        for c in self.columns() {
            let qb = c.q.map(|i| self.query[i]);
            let rb = c.r.map(|i| self.reference[i]);
            match (qb, rb) {
                (Some(a), Some(b)) if known(a) && known(b) => {
                    informative += 1;
                    matches += usize::from(a == b);
                }
                (Some(a), None) | (None, Some(a)) if known(a) => informative += 1,
                _ => {}
            }
        }
        if informative == 0 {
            0.0
        } else {
            matches as f64 / informative as f64
        }
    }

    /// 1-based reference position of `reference[offset]`.
    pub fn position(&self, offset: usize) -> u64 {
        self.ref_start + offset as u64
    }

    pub fn covered(&self) -> String {
        format!(
            "{}:{}-{}",
            self.chrom,
            self.position(self.ystart),
            self.position(self.yend.max(self.ystart + 1) - 1)
        )
    }

    /// Extended CIGAR (`=`, `X`, `I`, `D`), run-length encoded.
    pub fn cigar(&self) -> String {
        let mut out = String::new();
        let mut run: Option<(char, usize)> = None;
        for c in self.columns() {
            let letter = match c.op {
                Op::Match => '=',
                Op::Subst => 'X',
                Op::Ins => 'I',
                _ => 'D',
            };
            run = match run {
                Some((l, n)) if l == letter => Some((l, n + 1)),
                Some((l, n)) => {
                    out.push_str(&format!("{n}{l}"));
                    Some((letter, 1))
                }
                None => Some((letter, 1)),
            };
        }
        if let Some((l, n)) = run {
            out.push_str(&format!("{n}{l}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence::tests::brca1;

    #[test]
    fn banded_and_full_alignments_agree_on_a_stretch_with_edits() {
        let g = brca1();
        let mut query = g.sequence("17", 43_050_001, 43_052_000).unwrap();
        query[500] = if query[500] == b'A' { b'C' } else { b'A' };
        query.drain(1200..1203);
        let reference = g.sequence("17", 43_049_501, 43_052_600).unwrap();
        let full =
            Aligner::with_capacity(query.len(), reference.len(), GAP_OPEN, GAP_EXTEND, score)
                .semiglobal(&query, &reference);
        let banded = banded_semiglobal(&query, &reference, score);
        assert_eq!(full.ystart, 500);
        assert_eq!((banded.ystart, banded.yend), (full.ystart, full.yend));
        assert_eq!(banded.operations, full.operations);
    }
}
