//! Sequence Ontology consequence terms as VEP 115 assigns them, with VEP's severity order
//! and impact classes.

mod coding;
mod splice;

pub(crate) use self::coding::{protein_len, translation_span};
pub use self::{
    coding::{CdsChange, ChangeSite, CodingEffect, Peptides},
    splice::SpliceEffects,
};

use serde::Serialize;

/// VEP's consequence terms in its severity order (most severe first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Consequence {
    TranscriptAblation,
    SpliceAcceptorVariant,
    SpliceDonorVariant,
    StopGained,
    FrameshiftVariant,
    StopLost,
    StartLost,
    InframeInsertion,
    InframeDeletion,
    MissenseVariant,
    ProteinAlteringVariant,
    SpliceDonor5thBaseVariant,
    SpliceRegionVariant,
    SpliceDonorRegionVariant,
    SplicePolypyrimidineTractVariant,
    IncompleteTerminalCodonVariant,
    StartRetainedVariant,
    StopRetainedVariant,
    SynonymousVariant,
    CodingSequenceVariant,
    FivePrimeUtrVariant,
    ThreePrimeUtrVariant,
    NonCodingTranscriptExonVariant,
    IntronVariant,
    NmdTranscriptVariant,
    NonCodingTranscriptVariant,
    UpstreamGeneVariant,
    DownstreamGeneVariant,
    IntergenicVariant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Impact {
    High,
    Moderate,
    Low,
    Modifier,
}

impl Impact {
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::High => "HIGH",
            Impact::Moderate => "MODERATE",
            Impact::Low => "LOW",
            Impact::Modifier => "MODIFIER",
        }
    }
}

impl Consequence {
    pub fn as_str(self) -> &'static str {
        use Consequence::*;
        match self {
            TranscriptAblation => "transcript_ablation",
            SpliceAcceptorVariant => "splice_acceptor_variant",
            SpliceDonorVariant => "splice_donor_variant",
            StopGained => "stop_gained",
            FrameshiftVariant => "frameshift_variant",
            StopLost => "stop_lost",
            StartLost => "start_lost",
            InframeInsertion => "inframe_insertion",
            InframeDeletion => "inframe_deletion",
            MissenseVariant => "missense_variant",
            ProteinAlteringVariant => "protein_altering_variant",
            SpliceDonor5thBaseVariant => "splice_donor_5th_base_variant",
            SpliceRegionVariant => "splice_region_variant",
            SpliceDonorRegionVariant => "splice_donor_region_variant",
            SplicePolypyrimidineTractVariant => "splice_polypyrimidine_tract_variant",
            IncompleteTerminalCodonVariant => "incomplete_terminal_codon_variant",
            StartRetainedVariant => "start_retained_variant",
            StopRetainedVariant => "stop_retained_variant",
            SynonymousVariant => "synonymous_variant",
            CodingSequenceVariant => "coding_sequence_variant",
            FivePrimeUtrVariant => "5_prime_UTR_variant",
            ThreePrimeUtrVariant => "3_prime_UTR_variant",
            NonCodingTranscriptExonVariant => "non_coding_transcript_exon_variant",
            IntronVariant => "intron_variant",
            NmdTranscriptVariant => "NMD_transcript_variant",
            NonCodingTranscriptVariant => "non_coding_transcript_variant",
            UpstreamGeneVariant => "upstream_gene_variant",
            DownstreamGeneVariant => "downstream_gene_variant",
            IntergenicVariant => "intergenic_variant",
        }
    }

    pub fn impact(self) -> Impact {
        use Consequence::*;
        match self {
            TranscriptAblation
            | SpliceAcceptorVariant
            | SpliceDonorVariant
            | StopGained
            | FrameshiftVariant
            | StopLost
            | StartLost => Impact::High,
            InframeInsertion | InframeDeletion | MissenseVariant | ProteinAlteringVariant => {
                Impact::Moderate
            }
            SpliceDonor5thBaseVariant
            | SpliceRegionVariant
            | SpliceDonorRegionVariant
            | SplicePolypyrimidineTractVariant
            | IncompleteTerminalCodonVariant
            | StartRetainedVariant
            | StopRetainedVariant
            | SynonymousVariant => Impact::Low,
            _ => Impact::Modifier,
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        ALL.iter().copied().find(|c| c.as_str() == name)
    }
}

pub const ALL: [Consequence; 29] = {
    use Consequence::*;
    [
        TranscriptAblation,
        SpliceAcceptorVariant,
        SpliceDonorVariant,
        StopGained,
        FrameshiftVariant,
        StopLost,
        StartLost,
        InframeInsertion,
        InframeDeletion,
        MissenseVariant,
        ProteinAlteringVariant,
        SpliceDonor5thBaseVariant,
        SpliceRegionVariant,
        SpliceDonorRegionVariant,
        SplicePolypyrimidineTractVariant,
        IncompleteTerminalCodonVariant,
        StartRetainedVariant,
        StopRetainedVariant,
        SynonymousVariant,
        CodingSequenceVariant,
        FivePrimeUtrVariant,
        ThreePrimeUtrVariant,
        NonCodingTranscriptExonVariant,
        IntronVariant,
        NmdTranscriptVariant,
        NonCodingTranscriptVariant,
        UpstreamGeneVariant,
        DownstreamGeneVariant,
        IntergenicVariant,
    ]
};

/// The highest impact among a set of terms (VEP's `IMPACT`).
pub fn impact_of(terms: &[Consequence]) -> Impact {
    terms
        .iter()
        .map(|c| c.impact())
        .min()
        .unwrap_or(Impact::Modifier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_terms_by_vep_severity_and_round_trips_names() {
        assert!(Consequence::StopGained < Consequence::MissenseVariant);
        assert!(Consequence::SpliceDonor5thBaseVariant < Consequence::SpliceRegionVariant);
        for c in ALL {
            assert_eq!(Consequence::from_name(c.as_str()), Some(c));
        }
    }

    #[test]
    fn takes_the_highest_impact_of_a_set() {
        let terms = [Consequence::IntronVariant, Consequence::SpliceRegionVariant];
        assert_eq!(impact_of(&terms), Impact::Low);
        assert_eq!(impact_of(&[]), Impact::Modifier);
    }
}
