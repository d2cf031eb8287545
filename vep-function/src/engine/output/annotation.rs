//! The typed Ensembl VEP REST annotation of one variant, built from the effects the engine
//! computed (`predict::effects`) and its custom sources' records. The types are the shared
//! contract's (`contract::annotation`): fields, JSON forms and pass-through rules live there.

use std::ops::Range;

pub use contract::annotation::{IntergenicConsequence, TranscriptConsequence, VariantAnnotation};

use crate::engine::input::{Allele, Variant};
use crate::engine::predict::consequence::{Consequence, Impact};
use crate::engine::predict::effects::{flags, push_number_span, Effects, TxEffect};
use crate::engine::predict::{AnnotateError, Engine};

impl Engine {
    /// Annotates one variant against every transcript within 5 kb, like VEP without `--pick`.
    pub fn annotate(&self, variant: &Variant) -> Result<VariantAnnotation, AnnotateError> {
        self.check_span(Allele::vcf_length(
            variant.reference.as_bytes(),
            variant.alternate.as_bytes(),
        ))?;
        let chrom = self
            .genome()
            .resolve(&variant.chrom)
            .ok_or_else(|| AnnotateError::UnknownContig(variant.chrom.clone()))?;
        self.check_alleles(&chrom, variant)?;
        let allele = Allele::from_variant(variant);
        let mut effects = Effects::default();
        self.annotate_allele(&chrom, &allele, &mut effects)?;
        let mut annotation = effects.to_annotation(variant, chrom, &allele, self.assembly());
        self.custom().annotate(
            &annotation.seq_region_name,
            &allele,
            &mut annotation.custom_annotations,
        )?;
        Ok(annotation)
    }
}

impl<'m> Effects<'m> {
    /// The Ensembl VEP REST JSON shape of these effects.
    pub fn to_annotation(
        &self,
        variant: &Variant,
        chrom: String,
        allele: &Allele,
        assembly: &str,
    ) -> VariantAnnotation {
        let variant_allele = allele.variant_allele();
        let transcript_consequences: Vec<TranscriptConsequence> = self
            .transcripts
            .iter()
            .map(|fx| self.transcript_consequence(fx, &variant_allele))
            .collect();
        let intergenic_consequences = if transcript_consequences.is_empty() {
            vec![IntergenicConsequence {
                consequence_terms: vec![Consequence::IntergenicVariant.as_str().to_string()],
                impact: Impact::Modifier.as_str().to_string(),
                variant_allele,
                ..Default::default()
            }]
        } else {
            Vec::new()
        };
        VariantAnnotation {
            input: variant.input.clone(),
            id: variant.id.clone(),
            seq_region_name: chrom,
            start: allele.start,
            end: allele.end,
            strand: Some(1),
            allele_string: allele.allele_string(),
            assembly_name: Some(assembly.to_string()),
            most_severe_consequence: self.most_severe().as_str().to_string(),
            transcript_consequences,
            intergenic_consequences,
            ..Default::default()
        }
    }

    fn transcript_consequence(
        &self,
        fx: &TxEffect<'_>,
        variant_allele: &str,
    ) -> TranscriptConsequence {
        let t = fx.transcript;
        let owned = |r: &Option<Range<usize>>| self.text(r).map(str::to_string);
        TranscriptConsequence {
            transcript_id: t.feature_id(),
            gene_id: t.gene_id.clone(),
            gene_symbol: t.gene_symbol.clone(),
            gene_symbol_source: t.hgnc_id.as_ref().map(|_| "HGNC".to_string()),
            hgnc_id: t.hgnc_id.clone(),
            biotype: t.biotype.clone(),
            strand: t.strand.as_i8(),
            consequence_terms: fx.terms.iter().map(|c| c.as_str().to_string()).collect(),
            impact: fx.terms.impact().as_str().to_string(),
            variant_allele: variant_allele.to_string(),
            cdna_start: fx.cdna.0,
            cdna_end: fx.cdna.1,
            cds_start: fx.cds.0,
            cds_end: fx.cds.1,
            protein_start: fx.protein.0,
            protein_end: fx.protein.1,
            amino_acids: owned(&fx.amino_acids),
            codons: owned(&fx.codons),
            exon: fx.exon.map(|span| number_string(span, t.exons.len())),
            intron: fx
                .intron
                .map(|span| number_string(span, t.exons.len().saturating_sub(1))),
            distance: fx.distance,
            hgvsc: owned(&fx.hgvsc),
            hgvsp: owned(&fx.hgvsp),
            hgvs_offset: fx.hgvs_offset,
            protein_id: t.coding.as_ref().and_then(|c| c.protein_id.clone()),
            // MANE Select is by definition the canonical transcript (VEP REST marks both).
            canonical: (t.canonical || t.mane_select).then_some(1),
            mane_select: t.mane_select.then(|| t.versioned_id()),
            mane_plus_clinical: t.mane_plus_clinical.then(|| t.versioned_id()),
            flags: flags(t).map(str::to_string).collect(),
            ..Default::default()
        }
    }
}

fn number_string(span: (usize, usize), total: usize) -> String {
    let mut out = String::with_capacity(8);
    push_number_span(&mut out, span, total);
    out
}
