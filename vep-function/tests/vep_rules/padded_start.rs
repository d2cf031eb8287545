//! Incomplete 5' CDS, start phase padded with `N` (issue #20, class 4).
//!
//! Rule: Ensembl pads the translateable sequence with `N`s for a GFF phase of 1 or 2, so the
//! first codon has unknown bases and translates to `X` whatever changes in it.
//! `synonymous_variant` needs no `X` on either side and `missense_variant` a different
//! residue, so only `coding_unknown` holds: `coding_sequence_variant` (`VariationEffect.pm`).
//! HGVSp writes the residue `Xaa`, which `_get_hgvs_peptides` turns into `Ter`: `p.Ter1=`.
//! HGVSc numbers a submitted single-base substitution from the padded CDS (`cds_start`) and
//! anything else from the cDNA (`_get_cDNA_position`), one less here.

use super::support::{coding, on, protein, terms};

#[test]
fn a_substitution_in_the_padded_first_codon_is_a_coding_sequence_variant() {
    // ENST00000460679 (+, NMD, phase padded with one N): codon 1 is N + AG (25689866-7).
    let tc = on("21\t25689866\t.\tA\tG", "ENST00000460679");
    assert_eq!(terms(&tc), "NMD_transcript_variant,coding_sequence_variant");
    assert_eq!(tc.amino_acids.as_deref(), Some("X"));
    assert_eq!(protein(&tc), "p.Ter1=");
    // Padded numbering: the first real base is CDS position 2.
    assert_eq!(coding(&tc), "c.2A>G");
}

#[test]
fn an_mnv_in_the_padded_first_codon_is_numbered_from_the_cdna() {
    // AG -> TT: still X, and a multi-base change numbered without the padding.
    let tc = on("21\t25689866\t.\tAG\tTT", "ENST00000460679");
    assert_eq!(terms(&tc), "NMD_transcript_variant,coding_sequence_variant");
    assert_eq!(coding(&tc), "c.1_2delinsTT");
    assert_eq!(protein(&tc), "p.Ter1=");
}

#[test]
fn the_second_codon_of_a_padded_cds_reads_as_usual() {
    // Codon 2 GCT (padded c.4-6, 25689868-70): GCT -> ACT is Ala2Thr, padded numbering.
    let tc = on("21\t25689868\t.\tG\tA", "ENST00000460679");
    assert_eq!(terms(&tc), "NMD_transcript_variant,missense_variant");
    assert_eq!(coding(&tc), "c.4G>A");
    assert_eq!(protein(&tc), "p.Ala2Thr");
}
