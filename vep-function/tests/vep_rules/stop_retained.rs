//! Stops that VEP 115 calls retained (issue #20, class 6).
//!
//! Rule (`VariationEffect.pm` release 115: `stop_retained` -> `ref_eq_alt_sequence`, which
//! `frameshift` and `stop_gained` give way to): with an alternate peptide, the stop is
//! retained when (1) the reference peptide is one residue, the alternate starts with it and
//! has a stop anywhere; or (2) the protein with the alternate peptide in place still reads
//! the whole reference protein and grows by one or two residues past its end; or (3) both
//! peptides have their first stop at the same index. A change from the stop codon on is
//! judged by (1) and (3) only (VEP's own tests: `TAA` -> `CAA` is `stop_lost` alone, `GGG`
//! before the stop `inframe_insertion` alone). Clause (2) is what makes a 1-base insertion
//! in the last sense codon that keeps its residue (`gag` -> `gaAg`, `E` -> `EX`) an
//! `inframe_insertion,stop_retained_variant` rather than a frameshift: with the last exon of
//! ENST00000307301 starting one base before the stop codon, that is an insertion at the
//! intron/exon edge. Clause (1) is VEP issue ensembl-vep#1710 (removed in VEP 116); the
//! engine follows 115. No protein change is named when the inserted residue would follow
//! the last one (`_get_surrounding_peptides` finds nothing after it).

use super::support::{coding, on, protein, terms};

#[test]
fn a_one_base_insertion_at_the_last_exon_edge_keeping_the_last_residue_retains_the_stop() {
    // ENST00000307301 (-): the last exon starts at c.1059 (25585754), the G of Glu353 gag
    // (c.1057-1059); the stop is c.1060-1062. A between the intron and c.1059: gaAg, E -> EX.
    let tc = on("21\t25585754\t.\tC\tCT", "ENST00000307301");
    assert_eq!(tc.amino_acids.as_deref(), Some("E/EX"));
    assert_eq!(
        terms(&tc),
        "inframe_insertion,splice_region_variant,stop_retained_variant"
    );
    assert_eq!(coding(&tc), "c.1059-1_1059insA");
    assert_eq!(protein(&tc), "-");
    // C there gives gaCg, GAC is Asp: the protein changes, a frameshift.
    let tc = on("21\t25585754\t.\tC\tCG", "ENST00000307301");
    assert_eq!(tc.amino_acids.as_deref(), Some("E/DX"));
    assert_eq!(terms(&tc), "frameshift_variant,splice_region_variant");
    assert!(
        protein(&tc).starts_with("p.Glu353AspfsTer"),
        "{}",
        protein(&tc)
    );
}

#[test]
fn a_one_base_insertion_inside_the_last_sense_codon_keeping_it_retains_the_stop() {
    // ENST00000312957 (+): Ile262 ATT (c.784-786), stop TAA (c.787-789). C after c.785:
    // ATC T, I -> IX.
    let tc = on("21\t25714668\t.\tT\tTC", "ENST00000312957");
    assert_eq!(tc.amino_acids.as_deref(), Some("I/IX"));
    assert_eq!(terms(&tc), "inframe_insertion,stop_retained_variant");
    assert_eq!(coding(&tc), "c.785_786insC");
    assert_eq!(protein(&tc), "-");
    // G there gives ATG T, Met: a frameshift.
    let tc = on("21\t25714668\t.\tT\tTG", "ENST00000312957");
    assert_eq!(tc.amino_acids.as_deref(), Some("I/MX"));
    assert_eq!(terms(&tc), "frameshift_variant");
}

#[test]
fn an_insertion_between_the_last_residue_and_the_stop_is_judged_by_the_stop_alone() {
    // ENST00000312957 (+): C between Ile262 and the stop (after c.786): the change starts at
    // the stop codon, no reference residue is kept, no stop is read: a frameshift.
    let tc = on("21\t25714669\t.\tT\tTC", "ENST00000312957");
    assert_eq!(tc.amino_acids.as_deref(), Some("-/X"));
    assert_eq!(terms(&tc), "frameshift_variant");
}

#[test]
fn a_kept_residue_followed_by_a_new_stop_is_called_retained_by_vep_115() {
    // ENST00000312957 (+): Tyr16 TAC; ACTAAG after c.46: TAC TAA GAC, Y -> Y*D. Clause (1):
    // one reference residue, kept first, a stop after it.
    let tc = on("21\t25639867\t.\tT\tTACTAAG", "ENST00000312957");
    assert_eq!(tc.amino_acids.as_deref(), Some("Y/Y*D"));
    assert_eq!(terms(&tc), "inframe_insertion,stop_retained_variant");
    // HGVS shifts it two bases 3', between Tyr16 and Leu17: TAA GAC, an insertion of Ter.
    assert_eq!(protein(&tc), "p.Tyr16_Leu17insTer");
}
