//! HGVSc of same-length changes (issue #20, class 1).
//!
//! Rule (`Utils/Sequence.pm` `hgvs_variant_notation`, then `TranscriptVariationAllele.pm`
//! `_clip_alleles` and `format_hgvs_string`): VEP types a change whose REF and ALT have the
//! same length on the allele as submitted, in transcript orientation: one base is `>`; an ALT
//! equal to the reverse complement of REF is `inv`; anything else is `delins`. Bases REF and
//! ALT share at either end are clipped afterwards without changing the type, so an inversion
//! clipped to one base is written `c.5064T>A`, and a delins clipped to one base stays
//! `c.47delinsG`. The same applies to `n.`. Only a submitted single-base substitution is
//! numbered from the padded CDS; a clipped one is numbered from the cDNA.

use super::support::{coding, on, protein};

#[test]
fn a_reverse_complemented_pair_on_the_forward_strand_is_an_inversion() {
    // ENST00000312957 (+): c.46-48 TAC (Tyr16). c.47_48 AC -> GT = revcomp(AC).
    let tc = on("21\t25639868\t.\tAC\tGT", "ENST00000312957");
    assert_eq!(coding(&tc), "c.47_48inv");
    // One codon changed, TAC -> TGT: a substitution of one residue.
    assert_eq!(protein(&tc), "p.Tyr16Cys");
}

#[test]
fn a_reverse_complemented_triplet_on_the_reverse_strand_is_an_inversion() {
    // ENST00000352957 (-): c.104-106 TGT (genomic 25606623-25606625 ACA on the forward
    // strand). ALT TGT = revcomp(ACA); in transcript terms TGT -> ACA, the reverse complement.
    let tc = on("21\t25606623\t.\tACA\tTGT", "ENST00000352957");
    assert_eq!(coding(&tc), "c.104_106inv");
    // Codons 35-36 CTG TCA (Leu Ser) become CAC ACA (His Thr): two residues replaced.
    assert_eq!(protein(&tc), "p.Leu35_Ser36delinsHisThr");
}

#[test]
fn an_inversion_clipped_to_one_base_is_written_as_a_substitution() {
    // NM_007294 (-): c.5063-5065 TTA, genomic 43067617-43067619 TAA. TAA -> TTA is the
    // reverse complement; the outer bases are shared, so only c.5064 T>A is left to name.
    let tc = on("17\t43067617\t.\tTAA\tTTA", "NM_007294");
    assert_eq!(coding(&tc), "c.5064T>A");
}

#[test]
fn a_non_coding_transcript_gets_an_n_dot_inversion() {
    // ENST00000424017 (+, lincRNA): exon 1 starts at 25055535; 25055548-25055549 AC -> GT.
    let tc = on("21\t25055548\t.\tAC\tGT", "ENST00000424017");
    assert_eq!(coding(&tc), "n.14_15inv");
}

#[test]
fn a_same_length_change_that_is_no_inversion_stays_a_deletion_insertion() {
    // ENST00000312957 (+): c.46_47 TA -> TG. Not a reverse complement, so delins; the shared
    // T is clipped and the type kept.
    let tc = on("21\t25639867\t.\tTA\tTG", "ENST00000312957");
    assert_eq!(coding(&tc), "c.47delinsG");
    // ENST00000352957 (-): c.104_106 TGT -> TCC (genomic ACA -> GGA): c.105_106delinsCC.
    let tc = on("21\t25606623\t.\tACA\tGGA", "ENST00000352957");
    assert_eq!(coding(&tc), "c.105_106delinsCC");
}
