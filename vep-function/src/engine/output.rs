//! The Ensembl VEP REST JSON shape (`/vep/human/region` answers), fields VEP leaves out when
//! empty are skipped here too.

use serde::{Deserialize, Serialize};

/// One annotated variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantAnnotation {
    pub input: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub seq_region_name: String,
    pub start: u64,
    pub end: u64,
    pub strand: i8,
    pub allele_string: String,
    pub assembly_name: String,
    pub most_severe_consequence: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transcript_consequences: Vec<TranscriptConsequence>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intergenic_consequences: Vec<IntergenicConsequence>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptConsequence {
    pub transcript_id: String,
    pub gene_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gene_symbol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gene_symbol_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hgnc_id: Option<String>,
    pub biotype: String,
    pub strand: i8,
    pub consequence_terms: Vec<String>,
    pub impact: String,
    pub variant_allele: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cdna_start: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cdna_end: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cds_start: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cds_end: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protein_start: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protein_end: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amino_acids: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codons: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exon: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intron: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hgvsc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hgvsp: Option<String>,
    /// How far HGVS 3' shifting moved the allele, signed along the genome (negative on the
    /// reverse strand), as VEP reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hgvs_offset: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protein_id: Option<String>,
    /// `1` for the canonical transcript, as VEP writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical: Option<u8>,
    /// The transcript's own versioned id when the gene models tag it `MANE_Select`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mane_select: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mane_plus_clinical: Option<String>,
    /// `cds_start_NF` / `cds_end_NF` where the model's CDS is incomplete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntergenicConsequence {
    pub consequence_terms: Vec<String>,
    pub impact: String,
    pub variant_allele: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_absent_fields_in_json() {
        let v = VariantAnnotation {
            input: "21 1 . A G".into(),
            id: None,
            seq_region_name: "21".into(),
            start: 1,
            end: 1,
            strand: 1,
            allele_string: "A/G".into(),
            assembly_name: "GRCh38".into(),
            most_severe_consequence: "intergenic_variant".into(),
            transcript_consequences: vec![],
            intergenic_consequences: vec![IntergenicConsequence {
                consequence_terms: vec!["intergenic_variant".into()],
                impact: "MODIFIER".into(),
                variant_allele: "G".into(),
            }],
        };
        let json = serde_json::to_value(&v).unwrap();
        assert!(json.get("id").is_none());
        assert!(json.get("transcript_consequences").is_none());
        assert_eq!(json["intergenic_consequences"][0]["impact"], "MODIFIER");
    }
}
