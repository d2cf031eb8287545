//! Sequence input: a submitted DNA sequence is placed on the loaded reference, aligned to it,
//! and the differences are called as VCF-style variants, normalised like `bcftools norm`
//! (left-aligned, trimmed, anchor base), ready for the engine to annotate.
//!
//! Notation (one submitted string is one sequence):
//! - `seq:ACGT...`: plain sequence; whitespace and line breaks are ignored, case too.
//! - `seq:HINT:ACGT...`: with a hint saying where it comes from: a gene symbol (`BRCA1`), a
//!   transcript id (`NM_007294.4`) or a region (`17:43044295-43125364`).
//! - `>name ...` followed by sequence lines: FASTA (one record); `seq:HINT:>name ...` with a hint.
//! - A bare string of at least [`MIN_BARE_LENGTH`] IUPAC letters (optionally `HINT:` before it)
//!   is taken as a sequence too: no variant notation looks like that.
//!
//! Letters: `ACGT` (and `U`, read as `T`), `N` (unknown: never called), and the IUPAC two-base
//! codes `R Y S W K M`: where the reference base is one of the two, the other is called as a
//! heterozygous SNV; every other ambiguity is reported as unresolved, never guessed.

mod align;
mod annotation;
mod call;
mod input;
mod kmer;
mod normalize;
mod placement;
mod regions;

pub use self::annotation::annotate_sequence;
pub use self::call::{CalledVariant, Unresolved};
pub use self::input::{looks_like_sequence, SequenceQuery};
pub use self::kmer::KmerIndex;
pub use self::normalize::normalize;

use std::sync::OnceLock;

use serde::Serialize;

use crate::engine::models::gene_models::ModelsError;
use crate::engine::models::genome::GenomeError;
use crate::engine::predict::Engine;

/// Limits of sequence input; the defaults suit the bundled data and interactive use.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Longest accepted sequence, in letters (after whitespace is removed). 20 kb aligns in
    /// seconds; the gateway's 10 000-character entries stay well below it.
    pub max_length: usize,
    /// Fewest `ACGT` letters a sequence must have to be placed.
    pub min_length: usize,
    /// Lowest accepted alignment identity (matching columns / informative columns).
    pub min_identity: f64,
    /// Most reference bases the hint-free k-mer index may scan; past that a hint is required.
    pub max_index_bases: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_length: 20_000,
            min_length: 50,
            min_identity: 0.9,
            max_index_bases: 32_000_000,
        }
    }
}

/// Bare IUPAC strings shorter than this are not taken for sequences (they could be typos).
pub const MIN_BARE_LENGTH: usize = 50;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SequenceError {
    #[error("empty sequence")]
    Empty,
    #[error("invalid sequence: {0}")]
    Invalid(String),
    #[error("sequence of {length} letters is longer than the limit of {max}")]
    TooLong { length: usize, max: usize },
    #[error("sequence too short: {informative} A/C/G/T letters, at least {min} needed")]
    TooShort { informative: usize, min: usize },
    #[error(
        "unknown hint {0:?}: not a loaded gene symbol, transcript id or CHROM:START-END region"
    )]
    UnknownHint(String),
    #[error("hint {hint:?}: {reason}")]
    InvalidHint { hint: String, reason: String },
    #[error("the sequence could not be placed on the loaded reference: {0}")]
    NotPlaced(String),
    #[error("ambiguous placement: the sequence matches {candidates} about equally well; give a hint (gene, transcript or region)")]
    Ambiguous { candidates: String },
    #[error("alignment identity {identity:.3} at {covered} is below the minimum of {min}")]
    LowIdentity {
        identity: f64,
        min: f64,
        covered: String,
    },
    #[error("alignment failed: {0}")]
    AlignmentFailed(String),
    #[error("placement without a hint is unavailable: {0}")]
    IndexUnavailable(String),
    #[error("reference unavailable: {0}")]
    Reference(String),
    #[error(transparent)]
    GeneModels(#[from] ModelsError),
}

impl SequenceError {
    /// Stable snake_case code for API error objects.
    pub fn code(&self) -> &'static str {
        match self {
            SequenceError::Empty => "empty_input",
            SequenceError::Invalid(_) => "invalid_sequence",
            SequenceError::TooLong { .. } => "sequence_too_long",
            SequenceError::TooShort { .. } => "sequence_too_short",
            SequenceError::UnknownHint(_) => "unknown_hint",
            SequenceError::InvalidHint { .. } => "invalid_hint",
            SequenceError::NotPlaced(_) => "sequence_not_placed",
            SequenceError::Ambiguous { .. } => "ambiguous_placement",
            SequenceError::LowIdentity { .. } => "low_identity",
            SequenceError::AlignmentFailed(_) => "alignment_failed",
            SequenceError::IndexUnavailable(_) => "hint_required",
            SequenceError::Reference(_) => "reference_unavailable",
            SequenceError::GeneModels(_) => "gene_models_unavailable",
        }
    }
}

impl From<GenomeError> for SequenceError {
    fn from(e: GenomeError) -> Self {
        SequenceError::Reference(e.to_string())
    }
}

/// Where the sequence sits and how well it matches: shown with every variant called from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlignmentSummary {
    /// Matching columns / informative columns (N and ambiguity codes left out).
    pub identity: f64,
    /// `1` when the sequence reads along the reference's plus strand, `-1` when reversed.
    pub strand: i8,
    /// The reference range the alignment covers, `CHROM:START-END` (1-based, inclusive).
    pub covered: String,
    /// Extended CIGAR of the sequence (as oriented on the plus strand) against the reference:
    /// `=` match, `X` mismatch, `I` inserted in the sequence, `D` deleted from it.
    pub cigar: String,
    pub query_length: usize,
    /// `hint` when a hint chose the window, `index` when the k-mer index did.
    pub placed_by: &'static str,
    /// Alignment columns not called because the sequence or the reference has `N` there.
    pub masked_columns: usize,
    /// Differences seen but not called, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unresolved: Vec<Unresolved>,
}

/// A placed, aligned sequence and the variants called from it.
#[derive(Debug, Clone)]
pub struct Called {
    pub summary: AlignmentSummary,
    pub variants: Vec<CalledVariant>,
}

/// Places, aligns and calls submitted sequences against one engine's reference. The hint-free
/// k-mer index is built on first use and kept.
pub struct SequenceCaller {
    settings: Settings,
    index: OnceLock<Result<KmerIndex, String>>,
}

impl SequenceCaller {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            index: OnceLock::new(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Parses `text` (see the module notation), places it and calls its variants.
    pub fn call(&self, engine: &Engine, text: &str) -> Result<Called, SequenceError> {
        let query = SequenceQuery::parse(text, &self.settings)?;
        let (placement, placed_by) = match &query.hint {
            Some(hint) => {
                let window = regions::hint_window(engine, hint, query.bases.len())?;
                let index = KmerIndex::build(engine.genome(), &[window], u64::MAX)?;
                (placement::place(&index, &query.bases)?, "hint")
            }
            None => {
                let index = self
                    .index
                    .get_or_init(|| {
                        let windows = regions::model_windows(engine).map_err(|e| e.to_string())?;
                        KmerIndex::build(engine.genome(), &windows, self.settings.max_index_bases)
                            .map_err(|e| e.to_string())
                    })
                    .as_ref()
                    .map_err(|e| SequenceError::IndexUnavailable(e.clone()))?;
                (placement::place(index, &query.bases)?, "index")
            }
        };
        let aligned = align::align(engine.genome(), &placement, &query.bases)?;
        let identity = aligned.identity();
        if identity < self.settings.min_identity {
            return Err(SequenceError::LowIdentity {
                identity,
                min: self.settings.min_identity,
                covered: aligned.covered(),
            });
        }
        let calls = call::call(engine.genome(), &aligned)?;
        Ok(Called {
            summary: AlignmentSummary {
                identity: (identity * 10_000.0).round() / 10_000.0,
                strand: placement.strand,
                covered: aligned.covered(),
                cigar: aligned.cigar(),
                query_length: query.bases.len(),
                placed_by,
                masked_columns: calls.masked_columns,
                unresolved: calls.unresolved,
            },
            variants: calls.variants,
        })
    }
}

impl Default for SequenceCaller {
    fn default() -> Self {
        Self::new(Settings::default())
    }
}

/// Complement of an IUPAC letter (upper case); unknown letters map to `N`.
pub(crate) fn complement(base: u8) -> u8 {
    match base {
        b'A' => b'T',
        b'C' => b'G',
        b'G' => b'C',
        b'T' => b'A',
        b'R' => b'Y',
        b'Y' => b'R',
        b'S' => b'S',
        b'W' => b'W',
        b'K' => b'M',
        b'M' => b'K',
        b'B' => b'V',
        b'V' => b'B',
        b'D' => b'H',
        b'H' => b'D',
        _ => b'N',
    }
}

pub(crate) fn reverse_complement(bases: &[u8]) -> Vec<u8> {
    bases.iter().rev().map(|&b| complement(b)).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    use crate::engine::models::genome::Genome;

    /// The bundled BRCA1 region reference, for the sequence modules' unit tests.
    pub(crate) fn brca1() -> Genome {
        let mut g = Genome::new();
        g.add_fasta(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("data/brca1/GRCh38.chr17.brca1_region.fa.gz"),
        )
        .unwrap();
        g
    }
}
