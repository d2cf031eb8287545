//! A variant as submitted, in VCF style (1-based `pos`, `reference`/`alternate` may share an
//! anchor base). One alternate allele per value: multi-allelic records are split on input.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// The submitted text this variant came from (VEP's `input` field).
    pub input: String,
    /// VCF ID column or caller-supplied identifier (VEP's `id`); `None` for `.`.
    pub id: Option<String>,
    /// Canonical chromosome name of the loaded reference (aliases such as `chr21` or
    /// `NC_000021.9` resolved to `21`).
    pub chrom: String,
    /// 1-based position of the first base of `reference`.
    pub pos: u64,
    /// Reference bases, upper case, `A`/`C`/`G`/`T`/`N`; may be empty only for a pure
    /// insertion written without an anchor base.
    pub reference: String,
    /// Alternate bases, upper case; empty for a deletion written without an anchor base.
    pub alternate: String,
}
