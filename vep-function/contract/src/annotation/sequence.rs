//! `called_from_sequence`: where a submitted DNA sequence was placed, how well it matched and
//! the alignment around the variant called from it. Fields are declared in alphabetical
//! order: serde writes them sorted, as events carry them.

use serde::{Deserialize, Serialize};

/// The alignment summary shown with every variant called from a sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalledFromSequence {
    /// Extended CIGAR of the sequence (plus strand) against the reference.
    pub cigar: String,
    /// The reference range the alignment covers, `CHROM:START-END`.
    pub covered: String,
    pub excerpt: SequenceExcerpt,
    /// `0/1` when an IUPAC two-base code showed the reference and this allele together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genotype: Option<String>,
    /// Matching columns / informative columns.
    pub identity: f64,
    /// Alignment columns not called because of `N` in the sequence or the reference.
    pub masked_columns: u64,
    /// `hint` or `index`: what chose the reference window.
    pub placed_by: String,
    pub query_length: u64,
    /// `1` when the sequence reads along the plus strand, `-1` when reversed.
    pub strand: i8,
    /// Differences seen but not called, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unresolved: Vec<Unresolved>,
    /// The called variant, `CHROM POS . REF ALT`.
    pub variant: String,
}

/// A few alignment columns either side of the difference, `-` in gaps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequenceExcerpt {
    pub reference: String,
    pub sequence: String,
    /// Reference position of the first reference base shown.
    pub start: u64,
}

/// A difference seen in the alignment but not called.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unresolved {
    pub at: String,
    pub reason: String,
}
