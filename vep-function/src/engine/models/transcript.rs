//! Gene models as the engine sees them: transcripts with exons and an optional coding region,
//! all in 1-based, inclusive genomic coordinates (as in GFF3 and VEP).

mod mapping;

pub use self::mapping::TxPosition;

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Strand {
    Forward,
    Reverse,
}

impl Strand {
    /// VEP's numeric strand (`1` / `-1`).
    pub fn as_i8(self) -> i8 {
        match self {
            Strand::Forward => 1,
            Strand::Reverse => -1,
        }
    }
}

/// A closed genomic interval `[start, end]`, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub start: u64,
    pub end: u64,
}

impl Interval {
    pub fn len(&self) -> u64 {
        self.end + 1 - self.start
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start <= end && start <= self.end
    }
}

/// The coding part of a transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coding {
    /// CDS segments in transcript order (5' to 3'), genomic coordinates. In Ensembl GFF3 the
    /// CDS includes the stop codon.
    pub segments: Vec<Interval>,
    /// Phase of the first segment (GFF3 column 8 / `ensembl_phase`): bases to skip before the
    /// first complete codon when the CDS start is incomplete. 0 for a complete start.
    pub start_phase: u8,
    /// Protein accession, e.g. `ENSP00000284967` or `NP_009225.1`.
    pub protein_id: Option<String>,
    /// GFF `cds_start_NF` / `cds_end_NF` style flags: the model's CDS is incomplete.
    pub start_incomplete: bool,
    pub end_incomplete: bool,
}

/// One transcript of the loaded gene models.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    /// Stable id without version, e.g. `ENST00000352957` or `NM_007294`.
    pub id: String,
    /// Version, e.g. `8`; printed as `ENST00000352957.8`.
    pub version: Option<u32>,
    pub gene_id: String,
    pub gene_symbol: Option<String>,
    /// `HGNC:1100` where the gene model carries it.
    pub hgnc_id: Option<String>,
    pub biotype: String,
    /// Canonical chromosome name (after alias resolution), e.g. `21`.
    pub chrom: String,
    pub strand: Strand,
    /// Exons in transcript order (5' to 3'); for the reverse strand that is descending
    /// genomic order.
    pub exons: Vec<Interval>,
    pub coding: Option<Coding>,
    /// Ensembl canonical (`tag=Ensembl_canonical`) or RefSeq equivalent.
    pub canonical: bool,
    /// `MANE_Select` transcript accession where tagged (VEP prints the RefSeq/Ensembl pair).
    pub mane_select: bool,
    pub mane_plus_clinical: bool,
    /// `Ensembl` or `RefSeq`: which annotation source the model came from.
    pub source: String,
    /// Span and coding range, computed from `exons` and `coding` on first use: annotation
    /// asks for them several times per variant and transcript. Build a new transcript
    /// rather than changing `exons`/`coding` after it has been used.
    #[serde(skip)]
    pub derived: Derived,
}

/// A cache of values derived from a transcript's exons and CDS; never part of its identity
/// (always equal), not serialized.
#[derive(Debug, Clone, Default)]
pub struct Derived(OnceLock<Spans>);

#[derive(Debug, Clone)]
struct Spans {
    start: u64,
    end: u64,
    coding_cdna: Option<(u64, u64)>,
    /// Exons strictly ordered 5' to 3' with a non-empty intron between each pair (true of
    /// well-formed models): look-ups may then binary-search them.
    ordered: bool,
    /// cDNA bases before each exon.
    before: Box<[u64]>,
}

impl PartialEq for Derived {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Derived {}

impl Transcript {
    fn spans(&self) -> &Spans {
        self.derived.0.get_or_init(|| {
            let forward = self.strand == Strand::Forward;
            let ordered = self.exons.iter().all(|e| e.start <= e.end)
                && self.exons.windows(2).all(|p| {
                    let (up, down) = if forward { (p[0], p[1]) } else { (p[1], p[0]) };
                    up.end + 1 < down.start
                });
            let before = self
                .exons
                .iter()
                .scan(0, |sum, e| {
                    let here = *sum;
                    *sum += e.len();
                    Some(here)
                })
                .collect();
            Spans {
                start: self.exons.iter().map(|e| e.start).min().unwrap_or(0),
                end: self.exons.iter().map(|e| e.end).max().unwrap_or(0),
                coding_cdna: self.compute_coding_cdna_range(),
                ordered,
                before,
            }
        })
    }

    /// Indices (transcript order) of the first and last exon overlapping `start..=end`
    /// (an insertion, `start == end + 1`, overlaps an exon holding both flanks).
    pub fn exon_span(&self, start: u64, end: u64) -> Option<(usize, usize)> {
        let overlaps = |e: &Interval| e.end >= start && e.start <= end;
        if !self.spans().ordered {
            let mut span: Option<(usize, usize)> = None;
            for (i, e) in self.exons.iter().enumerate() {
                if overlaps(e) {
                    span = Some(span.map_or((i, i), |(first, _)| (first, i)));
                }
            }
            return span;
        }
        // Ordered exons overlapping an interval are one run: bound it by binary search.
        let (lo, hi) = match self.strand {
            Strand::Forward => (
                self.exons.partition_point(|e| e.end < start),
                self.exons.partition_point(|e| e.start <= end),
            ),
            Strand::Reverse => (
                self.exons.partition_point(|e| e.start > end),
                self.exons.partition_point(|e| e.end >= start),
            ),
        };
        (lo < hi).then(|| (lo, hi - 1))
    }

    /// Genomic start (lowest coordinate) of the transcript.
    pub fn start(&self) -> u64 {
        self.spans().start
    }

    /// Genomic end (highest coordinate) of the transcript.
    pub fn end(&self) -> u64 {
        self.spans().end
    }

    /// cDNA positions of the first and last CDS base (the CDS includes the stop codon).
    pub fn coding_cdna_range(&self) -> Option<(u64, u64)> {
        self.spans().coding_cdna
    }

    /// `ENST00000352957.8`, or the bare id when there is no version.
    pub fn versioned_id(&self) -> String {
        match self.version {
            Some(v) => format!("{}.{}", self.id, v),
            None => self.id.clone(),
        }
    }

    /// The id VEP reports as the feature (`transcript_id`): Ensembl stable ids without their
    /// version (the version lives in HGVSc), RefSeq accessions with it, as Ensembl REST does.
    pub fn feature_id(&self) -> String {
        if self.id.starts_with("ENS") {
            self.id.clone()
        } else {
            self.versioned_id()
        }
    }

    pub fn is_coding(&self) -> bool {
        self.coding.is_some()
    }
}
