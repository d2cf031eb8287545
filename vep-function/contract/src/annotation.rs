//! One annotated variant in the Ensembl VEP REST JSON shape (`/vep/human/region` answers),
//! typed from the annotator to the edge: the fields the built-in engine writes, the
//! pipeline's own fields (`input_index`, `called_from_sequence`, the scores) and, in `extra`,
//! every other field of an Ensembl REST answer, passed through unchanged.
//!
//! Serialised with serde, an annotation is one JSON object with sorted keys (the form events
//! and downloads carry); `output::json` also writes the engine's field order, which the CLI
//! prints. Reading is lenient where Ensembl's answers vary ([`lenient`]): a known field of
//! an unexpected JSON type stays in `extra` as it came, so it is written back unchanged.

mod custom;
mod fields;
mod lenient;
mod merge;
mod score;
mod sequence;

pub use custom::{json_number, CustomAnnotation, CustomAnnotations};
pub use fields::{Field, FieldValue, Fields, KeyOrder};
pub use lenient::MissingField;
pub use merge::AddMissing;
pub use score::{ModelScore, ScoreStatus};
pub use sequence::{CalledFromSequence, SequenceExcerpt, Unresolved};

use std::collections::BTreeMap;

/// Fields of an object that have no typed place: Ensembl's `colocated_variants`,
/// `regulatory_feature_consequences`, SIFT/PolyPhen predictions, plugin fields...
pub type Extra = BTreeMap<String, serde_json::Value>;

/// One annotated allele of one submitted variant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VariantAnnotation {
    /// The submitted text.
    pub input: String,
    pub id: Option<String>,
    pub seq_region_name: String,
    pub start: u64,
    pub end: u64,
    pub strand: Option<i8>,
    pub allele_string: String,
    pub assembly_name: Option<String>,
    pub most_severe_consequence: String,
    /// Written only when not empty, as VEP does.
    pub transcript_consequences: Vec<TranscriptConsequence>,
    /// Written only when not empty, as VEP does.
    pub intergenic_consequences: Vec<IntergenicConsequence>,
    /// What the configured custom sources (`--custom`, `VEP_CUSTOM`) hold for this allele,
    /// by source `short_name`; written only when not empty, as VEP does.
    pub custom_annotations: CustomAnnotations,
    /// Position of the submitted variant within its analysis (0-based), set by the function.
    pub input_index: Option<u64>,
    /// How the variant was called, when the input was a DNA sequence.
    pub called_from_sequence: Option<CalledFromSequence>,
    pub extra: Extra,
}

/// The effect of one allele on one transcript.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TranscriptConsequence {
    pub transcript_id: String,
    pub gene_id: String,
    pub gene_symbol: Option<String>,
    pub gene_symbol_source: Option<String>,
    pub hgnc_id: Option<String>,
    pub biotype: String,
    pub strand: i8,
    pub consequence_terms: Vec<String>,
    pub impact: String,
    pub variant_allele: String,
    pub cdna_start: Option<u64>,
    pub cdna_end: Option<u64>,
    pub cds_start: Option<u64>,
    pub cds_end: Option<u64>,
    pub protein_start: Option<u64>,
    pub protein_end: Option<u64>,
    pub amino_acids: Option<String>,
    pub codons: Option<String>,
    pub exon: Option<String>,
    pub intron: Option<String>,
    pub distance: Option<u64>,
    pub hgvsc: Option<String>,
    pub hgvsp: Option<String>,
    /// How far HGVS 3' shifting moved the allele, signed along the genome (negative on the
    /// reverse strand), as VEP reports it.
    pub hgvs_offset: Option<i64>,
    pub protein_id: Option<String>,
    /// `1` for the canonical transcript, as VEP writes it.
    pub canonical: Option<u8>,
    /// The transcript's own versioned id when the gene models tag it `MANE_Select`.
    pub mane_select: Option<String>,
    pub mane_plus_clinical: Option<String>,
    /// `cds_start_NF` / `cds_end_NF` where the model's CDS is incomplete; written only when
    /// not empty.
    pub flags: Vec<String>,
    /// SIFT and PolyPhen-2, from the Ensembl backend (as numbers, whatever Ensembl sent).
    pub sift_score: Option<serde_json::Number>,
    pub polyphen_score: Option<serde_json::Number>,
    pub polyphen_prediction: Option<String>,
    /// Substitution scores of a missense change (scoring stage).
    pub blosum62: Option<i32>,
    pub grantham: Option<i32>,
    /// Condel, or why it does not apply (scoring stage, every missense consequence).
    pub condel: Option<ModelScore>,
    /// One entry per configured remote model (scoring stage).
    pub ml_scores: Option<Vec<ModelScore>>,
    pub extra: Extra,
}

/// The effect of an allele far from any transcript.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntergenicConsequence {
    pub consequence_terms: Vec<String>,
    pub impact: String,
    pub variant_allele: String,
    pub extra: Extra,
}

#[cfg(test)]
pub(crate) mod tests;
