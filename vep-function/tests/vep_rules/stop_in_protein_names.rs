//! HGVSp of a stop brought in by an indel or an MNV (issue #20, class 2).
//!
//! Rule (`TranscriptVariationAllele.pm`): `_get_hgvs_protein_type` types the change on the
//! clipped peptides, with the stop still in them: nothing left of REF is `ins`, nothing left
//! of ALT `del`, one residue for one `>`, anything else (lengths differ, or both longer than
//! one) `delins`. Only then does `_get_hgvs_protein_format` cut the inserted residues after
//! the first `Ter` (`s/Ter\w+/Ter/`): `p.Ser59delinsTer`, `p.Tyr43_Gln44delinsTer`, an
//! insertion of a stop between two residues `p.His69_Val70insTer`. One residue replaced by a
//! stop stays `p.Gln34Ter`.

use super::support::{coding, on, protein, terms};

#[test]
fn a_stop_inserted_inside_a_codon_replaces_one_residue_by_delins() {
    // ENST00000312957 (+): Tyr16 TAC (c.46-48); AGC after c.46: TAG CAC, Y -> *H.
    let tc = on("21\t25639867\t.\tT\tTAGC", "ENST00000312957");
    assert_eq!(protein(&tc), "p.Tyr16delinsTer");
    // HGVS shifts the insertion one base 3' (A repeats): GCA after c.47, still TAG CAC.
    assert_eq!(coding(&tc), "c.47_48insGCA");
    // NM_007294 (-): Ser59 TCA (c.175-177); AAG after c.175: TAA GCA, S -> *A.
    let tc = on("17\t43106492\t.\tG\tGCTT", "NM_007294");
    assert_eq!(coding(&tc), "c.175_176insAAG");
    assert_eq!(protein(&tc), "p.Ser59delinsTer");
}

#[test]
fn an_mnv_over_two_codons_that_brings_a_stop_is_a_delins() {
    // ENST00000352957 (-): c.100-103 CAGC (Gln34 CAG, Leu35 CTG) -> TAGA: TAG ATG, QL -> *M.
    let tc = on("21\t25606626\t.\tGCTG\tTCTA", "ENST00000352957");
    assert_eq!(coding(&tc), "c.100_103delinsTAGA");
    assert_eq!(protein(&tc), "p.Gln34_Leu35delinsTer");
    assert_eq!(terms(&tc), "stop_gained");
}

#[test]
fn an_in_frame_deletion_that_leaves_a_stop_is_a_delins() {
    // ENST00000312957 (+): Tyr43 Gln44 TAC CAA (c.127-132); ACC deleted leaves TAA. HGVS
    // shifts the deletion one base 3' (c.129_131, CCA), which leaves the same TAA.
    let tc = on("21\t25683942\t.\tTACC\tT", "ENST00000312957");
    assert_eq!(coding(&tc), "c.129_131del");
    assert_eq!(protein(&tc), "p.Tyr43_Gln44delinsTer");
    assert_eq!(terms(&tc), "inframe_deletion,stop_gained");
    // NM_007294 (-): Leu22 Glu23 TTA GAG (c.64-69); TAG deleted leaves T + AG = TAG.
    let tc = on("17\t43124029\t.\tTCTA\tT", "NM_007294");
    assert_eq!(coding(&tc), "c.65_67del");
    assert_eq!(protein(&tc), "p.Leu22_Glu23delinsTer");
}

#[test]
fn a_stop_inserted_between_two_codons_is_an_insertion_of_ter() {
    // ENST00000312957 (+): TAA between Arg15 and Tyr16. HGVS shifts it two bases 3' (ATA
    // after c.47: TAA TAC), whose peptide clips to an insertion before Tyr16.
    let tc = on("21\t25639866\t.\tC\tCTAA", "ENST00000312957");
    assert_eq!(coding(&tc), "c.47_48insATA");
    assert_eq!(protein(&tc), "p.Arg15_Tyr16insTer");
    assert_eq!(terms(&tc), "inframe_insertion,stop_gained");
    // NM_007294 (-): TAG between Val1688 and Met1689 (c.5064|5065), no repeat to shift in.
    let tc = on("17\t43067617\t.\tT\tTCTA", "NM_007294");
    assert_eq!(coding(&tc), "c.5064_5065insTAG");
    assert_eq!(protein(&tc), "p.Val1688_Met1689insTer");
}
