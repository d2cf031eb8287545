//! Input: submitted variant notations -> VCF-style [`Variant`]s, and VEP's trimmed
//! [`Allele`] of each.
//!
//! One submitted string is one of: a VCF data line (`CHROM POS ID REF ALT ...`), Ensembl's
//! default format (`CHROM START END REF/ALT STRAND [ID]`), or HGVS (`g.`/`m.` on a chromosome
//! or RefSeq `NC_` accession, `c.`/`n.` on a transcript or gene symbol). Everything is projected
//! onto the loaded reference and checked against it; anything that cannot be placed exactly is a
//! typed [`InputError`], never a guess.

mod allele;
mod allele_text;
mod ensembl_format;
mod genomic;
mod hgvs;
mod variant;
mod vcf_line;

pub use self::allele::Allele;
pub use self::variant::Variant;

use crate::engine::models::gene_models::ModelsError;
use crate::engine::models::transcript::Transcript;

/// What the parser needs from the loaded annotation set.
pub trait InputContext {
    /// Canonical chromosome name for a submitted one (`chr21`, `NC_000021.9` -> `21`).
    fn canonical_chrom(&self, name: &str) -> Option<String>;
    /// A transcript by stable id without version (`ENST00000352957`, `NM_007294`); the parser
    /// checks a submitted version itself. An error when the gene models cannot be read.
    fn transcript(&self, id: &str) -> Result<Option<&Transcript>, InputError>;
    /// The transcript chosen for a gene symbol (MANE Select, else canonical).
    fn gene_transcript(&self, symbol: &str) -> Result<Option<&Transcript>, InputError>;
    /// Reference bases `[start, end]` (1-based, inclusive) of a canonical chromosome, upper
    /// case; `None` when the range is not in the reference.
    fn reference(&self, chrom: &str, start: u64, end: u64) -> Option<Vec<u8>>;
    /// The most bases one variant may span (see [`DEFAULT_MAX_VARIANT_SPAN`]).
    fn max_variant_span(&self) -> u64 {
        DEFAULT_MAX_VARIANT_SPAN
    }
}

/// The default limit on the bases one variant may span (deleted, replaced or inserted): the
/// engine's `MAX_VARIANT_SPAN`. Its memory and its answer grow with the span (the allele
/// string carries every base), so a longer event is refused by name before any reference is
/// read. 10,000 bases is the gateway's limit on a variant written out in full; larger events
/// are structural variants, which this engine does not annotate (ENGINE.md).
pub const DEFAULT_MAX_VARIANT_SPAN: u64 = 10_000;

/// Why a submitted notation was not turned into variants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("empty input")]
    Empty,
    #[error("unparsable input: {reason}")]
    Unparsable { reason: String },
    #[error("unsupported notation: {reason}")]
    UnsupportedNotation { reason: String },
    #[error("unknown contig: {name}")]
    UnknownContig { name: String },
    #[error("{0}")]
    GeneModels(#[from] ModelsError),
    #[error("unknown transcript: {id}")]
    UnknownTranscript { id: String },
    #[error("transcript version mismatch: {requested} requested, {loaded} loaded")]
    TranscriptVersionMismatch { requested: String, loaded: String },
    #[error("unknown gene: {symbol} has no transcript in the loaded gene models")]
    UnknownGene { symbol: String },
    #[error("transcript {transcript} is not protein coding: c. positions need a CDS")]
    NotCoding { transcript: String },
    #[error("position {position} is outside transcript {transcript}")]
    PositionOutsideTranscript {
        transcript: String,
        position: String,
    },
    #[error("intronic offset at {position} does not start at an exon boundary of {transcript}")]
    OffsetNotAtExonBoundary {
        transcript: String,
        position: String,
    },
    #[error("position {chrom}:{start}-{end} is outside the loaded reference")]
    OutsideReference { chrom: String, start: u64, end: u64 },
    #[error(
        "reference allele mismatch: input has {stated} but the reference has {reference} at {chrom}:{start}-{end}"
    )]
    ReferenceMismatch {
        chrom: String,
        start: u64,
        end: u64,
        stated: String,
        reference: String,
    },
    #[error("unsupported allele {allele}: {reason}")]
    UnsupportedAllele { allele: String, reason: String },
    #[error("variant spans {span} bases, more than the limit of {limit} (MAX_VARIANT_SPAN)")]
    TooLarge { span: u64, limit: u64 },
}

impl InputError {
    /// Stable machine-readable code, used in API error objects.
    pub fn code(&self) -> &'static str {
        match self {
            InputError::Empty => "empty_input",
            InputError::Unparsable { .. } => "unparsable",
            InputError::UnsupportedNotation { .. } => "unsupported_notation",
            InputError::UnknownContig { .. } => "unknown_contig",
            InputError::GeneModels(_) => "gene_models_unavailable",
            InputError::UnknownTranscript { .. } => "unknown_transcript",
            InputError::TranscriptVersionMismatch { .. } => "transcript_version_mismatch",
            InputError::UnknownGene { .. } => "unknown_gene",
            InputError::NotCoding { .. } => "not_coding",
            InputError::PositionOutsideTranscript { .. } => "position_outside_transcript",
            InputError::OffsetNotAtExonBoundary { .. } => "offset_not_at_exon_boundary",
            InputError::OutsideReference { .. } => "outside_reference",
            InputError::ReferenceMismatch { .. } => "reference_mismatch",
            InputError::UnsupportedAllele { .. } => "unsupported_allele",
            InputError::TooLarge { .. } => "too_large",
        }
    }

    pub(crate) fn unparsable(reason: impl Into<String>) -> Self {
        InputError::Unparsable {
            reason: reason.into(),
        }
    }
}

/// Which notation a submitted string is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notation {
    Vcf,
    Ensembl,
    Hgvs,
}

/// Guesses nothing about content: decides the notation from the shape of the text only.
pub fn detect(text: &str) -> Option<Notation> {
    // Only the first five fields matter; no Vec (this runs for every input line).
    let mut split = text.split_whitespace();
    let fields: [&str; 5] = std::array::from_fn(|_| split.next().unwrap_or_default());
    // Fields are never empty, so the count of non-empty ones is min(len, 5).
    let len = fields.iter().take_while(|f| !f.is_empty()).count();
    if len == 1 && fields[0].contains(':') {
        return Some(Notation::Hgvs);
    }
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if len >= 4 && numeric(fields[1]) && numeric(fields[2]) && fields[3].contains('/') {
        return Some(Notation::Ensembl);
    }
    if len >= 5 && numeric(fields[1]) {
        return Some(Notation::Vcf);
    }
    None
}

/// An ALT of a multi-allelic line that cannot be annotated, while others of the line can:
/// the line's variant with that ALT as written, and why.
#[derive(Debug)]
pub struct Rejected {
    pub variant: Variant,
    pub error: InputError,
}

/// Parses one submitted string into one variant per alternate allele; any ALT that is not
/// usable fails the whole input (see [`parse_alleles`] to keep the others).
pub fn parse_input(text: &str, ctx: &dyn InputContext) -> Result<Vec<Variant>, InputError> {
    parse_alleles(text, ctx)?
        .into_iter()
        .map(|allele| allele.map_err(|r| r.error))
        .collect()
}

/// Parses one submitted string into one variant per alternate allele, or per ALT why it
/// cannot be annotated (only VCF lines have several); an error when the input as a whole is
/// unusable (no ALT usable included).
pub fn parse_alleles(
    text: &str,
    ctx: &dyn InputContext,
) -> Result<Vec<Result<Variant, Rejected>>, InputError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(InputError::Empty);
    }
    if text.starts_with('#') {
        return Err(InputError::unparsable(
            "a header or comment line is not a variant",
        ));
    }
    if text.contains(['\n', '\r']) {
        return Err(InputError::unparsable(
            "one variant per input, found a line break",
        ));
    }
    let all = |variants: Vec<Variant>| variants.into_iter().map(Ok).collect();
    match detect(text) {
        Some(Notation::Vcf) => vcf_line::parse(text, ctx),
        Some(Notation::Ensembl) => ensembl_format::parse(text, ctx).map(all),
        Some(Notation::Hgvs) => hgvs::parse(text, ctx).map(|v| vec![Ok(v)]),
        None => Err(InputError::unparsable(
            "not a VCF line (CHROM POS ID REF ALT), Ensembl default format \
             (CHROM START END REF/ALT STRAND) or HGVS (REF:g./c./n.)",
        )),
    }
}

#[cfg(test)]
pub(crate) mod test_context;

#[cfg(test)]
mod tests;
