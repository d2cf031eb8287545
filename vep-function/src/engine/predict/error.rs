//! Why one variant could not be annotated, with the stable codes results carry.

use super::custom::CustomError;
use crate::engine::models::gene_models::ModelsError;
use crate::engine::models::genome::GenomeError;

#[derive(Debug, thiserror::Error)]
pub enum AnnotateError {
    #[error("unknown contig {0}: it is not in the loaded reference")]
    UnknownContig(String),
    #[error("reference allele mismatch: input says {given} but the reference has {found} at {chrom}:{pos}")]
    ReferenceMismatch {
        given: String,
        found: String,
        chrom: String,
        pos: u64,
    },
    #[error("invalid allele {0:?}: only A, C, G, T and N are supported")]
    InvalidAllele(String),
    #[error("reference and alternate alleles are identical ({0})")]
    NoChange(String),
    #[error("position {pos} is outside {chrom} (length {length})")]
    OutOfBounds {
        chrom: String,
        pos: u64,
        length: u64,
    },
    #[error("variant spans {span} bases, more than the limit of {limit} (MAX_VARIANT_SPAN)")]
    TooLarge { span: u64, limit: u64 },
    #[error(transparent)]
    Genome(#[from] GenomeError),
    #[error(transparent)]
    GeneModels(#[from] ModelsError),
    /// A custom source's records near the variant could not be read.
    #[error(transparent)]
    Custom(#[from] CustomError),
}

impl AnnotateError {
    /// Stable snake_case code, as results and outputs name it.
    pub fn code(&self) -> &'static str {
        match self {
            AnnotateError::UnknownContig(_) => "unknown_contig",
            AnnotateError::ReferenceMismatch { .. } => "reference_mismatch",
            AnnotateError::InvalidAllele(_) => "invalid_allele",
            AnnotateError::NoChange(_) => "no_change",
            AnnotateError::OutOfBounds { .. } => "out_of_bounds",
            AnnotateError::TooLarge { .. } => "too_large",
            AnnotateError::Genome(_) => "reference_unavailable",
            AnnotateError::GeneModels(_) => "gene_models_unavailable",
            AnnotateError::Custom(e) => e.code(),
        }
    }
}
