//! One contig's transcripts, sorted by span, with the arrays the overlap search runs on.

use super::ModelsError;
use crate::engine::models::transcript::Transcript;

#[derive(Debug)]
pub(super) struct ContigModels {
    /// Sorted by (start, end).
    transcripts: Vec<Transcript>,
    starts: Vec<u64>,
    /// Span ends aligned with `transcripts`, so the scan needs no exon walk.
    ends: Vec<u64>,
    /// The longest span: no transcript starting more than this before a position reaches it.
    max_len: u64,
}

impl ContigModels {
    /// From transcripts already sorted by (start, end).
    pub(super) fn sorted(transcripts: Vec<Transcript>) -> Self {
        let starts: Vec<u64> = transcripts.iter().map(Transcript::start).collect();
        let ends: Vec<u64> = transcripts.iter().map(Transcript::end).collect();
        let max_len = starts
            .iter()
            .zip(&ends)
            .map(|(&s, &e)| (e + 1).saturating_sub(s))
            .max()
            .unwrap_or(0);
        Self {
            transcripts,
            starts,
            ends,
            max_len,
        }
    }

    /// [`ContigModels::sorted`] for transcripts read from a file: refused unless they are all
    /// on `chrom` and sorted (the numbering of the name tables depends on that order).
    pub(super) fn checked(chrom: &str, transcripts: Vec<Transcript>) -> Result<Self, ModelsError> {
        if let Some(t) = transcripts.iter().find(|t| t.chrom != chrom) {
            return Err(ModelsError(format!(
                "transcript {} on {} is stored with contig {chrom}",
                t.id, t.chrom
            )));
        }
        let contig = Self::sorted(transcripts);
        let in_order = contig
            .starts
            .iter()
            .zip(&contig.ends)
            .zip(contig.starts.iter().zip(&contig.ends).skip(1))
            .all(|(a, b)| a <= b);
        if !in_order {
            return Err(ModelsError(format!(
                "the transcripts of contig {chrom} are not stored in genomic order"
            )));
        }
        Ok(contig)
    }

    pub(super) fn transcripts(&self) -> &[Transcript] {
        &self.transcripts
    }

    /// Transcripts (with their position here) whose span overlaps `start..=end`, in order.
    pub(super) fn overlapping(
        &self,
        start: u64,
        end: u64,
    ) -> impl Iterator<Item = (usize, &Transcript)> {
        let lowest = start.saturating_sub(self.max_len);
        let from = self.starts.partition_point(|&s| s < lowest);
        let to = self.starts.partition_point(|&s| s <= end).max(from);
        self.ends[from..to]
            .iter()
            .zip(from..)
            .filter(move |(&e, _)| e >= start)
            .map(|(_, i)| (i, &self.transcripts[i]))
    }
}
