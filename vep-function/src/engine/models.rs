//! The loaded gene models with the look-ups annotation needs: transcripts overlapping a
//! region (sorted starts + longest span, so a binary search bounds the scan) and by id.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use super::transcript::Transcript;

#[derive(Debug, Default)]
pub struct GeneModels {
    transcripts: Vec<Transcript>,
    /// Per chromosome: transcript indices sorted by start, and the longest span there.
    /// FxHash: looked up for every variant.
    by_chrom: FxHashMap<String, ChromIndex>,
    by_id: HashMap<String, usize>,
    by_symbol: HashMap<String, Vec<usize>>,
}

#[derive(Debug, Default)]
struct ChromIndex {
    order: Vec<usize>,
    starts: Vec<u64>,
    /// Span ends aligned with `order`, so the scan needs no exon walk.
    ends: Vec<u64>,
    max_len: u64,
}

impl GeneModels {
    pub fn new(transcripts: Vec<Transcript>) -> Self {
        let mut models = Self::default();
        models.extend(transcripts);
        models
    }

    /// Adds more transcripts (e.g. a second GFF3) and rebuilds the indices.
    pub fn extend(&mut self, transcripts: Vec<Transcript>) {
        self.transcripts.extend(transcripts);
        self.reindex();
    }

    fn reindex(&mut self) {
        self.by_chrom.clear();
        self.by_id.clear();
        self.by_symbol.clear();
        for (i, t) in self.transcripts.iter().enumerate() {
            let index = self.by_chrom.entry(t.chrom.clone()).or_default();
            index.order.push(i);
            index.max_len = index.max_len.max(t.end() + 1 - t.start());
            self.by_id.insert(t.id.clone(), i);
            self.by_id.insert(t.versioned_id(), i);
            if let Some(symbol) = &t.gene_symbol {
                self.by_symbol.entry(symbol.clone()).or_default().push(i);
            }
        }
        let transcripts = &self.transcripts;
        for index in self.by_chrom.values_mut() {
            index
                .order
                .sort_by_key(|&i| (transcripts[i].start(), transcripts[i].end()));
            index.starts = index
                .order
                .iter()
                .map(|&i| transcripts[i].start())
                .collect();
            index.ends = index.order.iter().map(|&i| transcripts[i].end()).collect();
        }
    }

    pub fn len(&self) -> usize {
        self.transcripts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.transcripts.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Transcript> {
        self.transcripts.iter()
    }

    /// Transcripts whose span overlaps `start..=end`, in genomic order.
    pub fn overlapping(
        &self,
        chrom: &str,
        start: u64,
        end: u64,
    ) -> impl Iterator<Item = &Transcript> {
        self.overlapping_indexed(chrom, start, end).map(|(_, t)| t)
    }

    /// [`GeneModels::overlapping`] with each transcript's index (stable while the models are
    /// not extended; callers key per-transcript caches on it).
    pub fn overlapping_indexed(
        &self,
        chrom: &str,
        start: u64,
        end: u64,
    ) -> impl Iterator<Item = (usize, &Transcript)> {
        let (order, ends): (&[usize], &[u64]) = match self.by_chrom.get(chrom) {
            Some(index) => {
                // No transcript starting before `start - max_len` can reach `start`.
                let lowest = start.saturating_sub(index.max_len);
                let from = index.starts.partition_point(|&s| s < lowest);
                let to = index.starts.partition_point(|&s| s <= end).max(from);
                (&index.order[from..to], &index.ends[from..to])
            }
            None => (&[], &[]),
        };
        order
            .iter()
            .zip(ends)
            .filter(move |(_, &e)| e >= start)
            .map(|(&i, _)| (i, &self.transcripts[i]))
    }

    /// By stable id, with or without version (`ENST00000352957`, `NM_007294.4`).
    pub fn transcript(&self, id: &str) -> Option<&Transcript> {
        self.by_id.get(id).map(|&i| &self.transcripts[i])
    }

    pub fn transcripts_of_gene(&self, symbol: &str) -> impl Iterator<Item = &Transcript> {
        self.by_symbol
            .get(symbol)
            .into_iter()
            .flatten()
            .map(|&i| &self.transcripts[i])
    }

    /// The transcript a gene name stands for: MANE Select, else canonical, else the longest
    /// coding one, else the longest.
    pub fn gene_transcript(&self, symbol: &str) -> Option<&Transcript> {
        let all: Vec<&Transcript> = self.transcripts_of_gene(symbol).collect();
        all.iter()
            .find(|t| t.mane_select)
            .or_else(|| all.iter().find(|t| t.canonical))
            .or_else(|| {
                all.iter()
                    .filter(|t| t.is_coding())
                    .max_by_key(|t| t.cds_len().unwrap_or(0))
            })
            .or_else(|| all.iter().max_by_key(|t| t.cdna_len()))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::gff3;
    use std::path::Path;

    fn chr21() -> GeneModels {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/chr21/Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz"
        );
        GeneModels::new(gff3::read_path(Path::new(path)).unwrap())
    }

    #[test]
    fn finds_overlapping_transcripts_like_a_linear_scan() {
        let models = chr21();
        for (start, end) in [(25585733, 25585733), (25_000_000, 25_100_000), (1, 10)] {
            let mut fast: Vec<&str> = models
                .overlapping("21", start, end)
                .map(|t| t.id.as_str())
                .collect();
            let mut slow: Vec<&str> = models
                .iter()
                .filter(|t| t.start() <= end && t.end() >= start)
                .map(|t| t.id.as_str())
                .collect();
            fast.sort();
            slow.sort();
            assert_eq!(fast, slow);
        }
        assert!(models.overlapping("22", 1, 100).next().is_none());
    }

    #[test]
    fn looks_up_transcripts_with_and_without_version() {
        let models = chr21();
        assert!(models.transcript("ENST00000352957").is_some());
        assert!(models.transcript("ENST00000352957.8").is_some());
        assert!(models.transcript("ENST00000352957.7").is_none());
        assert!(models.gene_transcript("MRPL39").is_some());
    }
}
