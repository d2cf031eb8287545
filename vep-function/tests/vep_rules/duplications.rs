//! HGVSp duplications judged VEP's way (issue #20, class 3).
//!
//! Rule (`TranscriptVariationAllele.pm` `hgvs_protein` -> `shift_feature_seqs`): VEP names
//! the protein change from the insertion 3'-shifted along the transcript, but the inserted
//! bases it puts there are the submitted ones rotated by `shift_length` steps, and on the
//! reverse strand by `seq_length - shift_length` steps, which is a negative count (no step at
//! all) once the insertion moved further than its own length. So on a reverse-strand
//! transcript an insertion shifted by more than its length is read unrotated at its shifted
//! place; only when that still repeats the residues before it (`_check_for_peptide_duplication`
//! on the peptide clipped and 3'-shifted by `_check_peptides_post_var`) is it a `dup`. HGVSc
//! uses the properly rotated bases and stays a `dup`. On the forward strand the rotation is
//! always right.

use super::support::{coding, on, protein};

#[test]
fn a_reverse_strand_insertion_shifted_past_its_length_is_read_unrotated() {
    // NM_007294 (-): Val1687 Val1688 Met1689 GTT GTT ATG (c.5059-5067). TTG after c.5059
    // moves 5 bases 3' to after c.5064; unrotated, GTT GTT TTG ATG: Leu inserted.
    let tc = on("NM_007294.4:c.5059_5060insTTG", "NM_007294");
    assert_eq!(coding(&tc), "c.5062_5064dup");
    assert_eq!(tc.hgvs_offset, Some(-5));
    assert_eq!(protein(&tc), "p.Val1688_Met1689insLeu");
    // ENST00000307301 (-): Ile65 Glu66 Val67 ATA GAA GTT (c.193-201). AGA after c.194 moves
    // 5 bases to after c.199; unrotated, G AGA TT = GAG ATT: Val67 -> Glu Ile.
    let tc = on("21\t25606534\t.\tT\tTTCT", "ENST00000307301");
    assert_eq!(coding(&tc), "c.197_199dup");
    assert_eq!(protein(&tc), "p.Val67delinsGluIle");
    // ENST00000400099 (-): Gln107 Pro108 CAG CCA (c.319-324). GCA after c.317 moves 5 bases
    // to after c.322; unrotated, C GCA CA = CGC ACA: Pro108 -> Arg Thr.
    let tc = on("21\t25717731\t.\tC\tCTGC", "ENST00000400099");
    assert_eq!(coding(&tc), "c.320_322dup");
    assert_eq!(protein(&tc), "p.Pro108delinsArgThr");
}

#[test]
fn a_reverse_strand_insertion_shifted_no_further_than_its_length_is_a_dup() {
    // The same duplications submitted at most 3 bases from their 3' place: rotated right.
    // TGT after c.5063 moves 1 base: GTT GTT GTT ATG, Val1688 repeated.
    let tc = on("NM_007294.4:c.5063_5064insTGT", "NM_007294");
    assert_eq!(coding(&tc), "c.5062_5064dup");
    assert_eq!(protein(&tc), "p.Val1688dup");
    // AAG after c.196 moves 3 bases (its length): GAA GAA GTT, Glu66 repeated.
    let tc = on("21\t25606532\t.\tT\tTCTT", "ENST00000307301");
    assert_eq!(coding(&tc), "c.197_199dup");
    assert_eq!(protein(&tc), "p.Glu66dup");
    // CAG after c.321 moves 1 base: CAG CAG CCA, Gln107 repeated.
    let tc = on("21\t25717727\t.\tG\tGCTG", "ENST00000400099");
    assert_eq!(coding(&tc), "c.320_322dup");
    assert_eq!(protein(&tc), "p.Gln107dup");
}

#[test]
fn a_forward_strand_insertion_is_rotated_however_far_it_moves() {
    // ENST00000312957 (+): Arg3 Arg4 Ser5 AGG AGG AGC (c.7-15). GGA after c.7 moves 7 bases
    // to after c.14 as GAG: AGG AGG AGG AGC, Arg4 repeated.
    let tc = on("21\t25639828\t.\tA\tAGGA", "ENST00000312957");
    assert_eq!(coding(&tc), "c.12_14dup");
    assert_eq!(tc.hgvs_offset, Some(7));
    assert_eq!(protein(&tc), "p.Arg4dup");
}
