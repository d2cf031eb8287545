//! An insertion that puts a stop in frame (issue #20, class 5).
//!
//! Rule (`VariationEffect.pm` `inframe_insertion`): the alternate peptide is cut after its
//! first stop (`s/\*.+/\*/`) before it is matched against the reference peptide; it is an
//! in-frame insertion only if what is left starts or ends with the reference peptide. A stop
//! before the kept residue (`S` -> `*A`) leaves `*`: `stop_gained` alone. A stop after it
//! (`-` -> `*` between codons, or a kept residue then more) is still an insertion.

use super::support::{on, terms};

#[test]
fn a_stop_before_the_kept_residue_is_stop_gained_alone() {
    // ENST00000312957 (+): Tyr16 TAC -> TAG CAC (Y -> *H).
    let tc = on("21\t25639867\t.\tT\tTAGC", "ENST00000312957");
    assert_eq!(tc.amino_acids.as_deref(), Some("Y/*H"));
    assert_eq!(terms(&tc), "stop_gained");
    // NM_007294 (-): Ser59 TCA -> TAA GCA (S -> *A).
    let tc = on("17\t43106492\t.\tG\tGCTT", "NM_007294");
    assert_eq!(tc.amino_acids.as_deref(), Some("S/*A"));
    assert_eq!(terms(&tc), "stop_gained");
}

#[test]
fn a_stop_inserted_between_codons_is_an_in_frame_insertion_too() {
    // Nothing of the reference peptide to lose: `*` starts with the empty reference.
    let tc = on("21\t25639866\t.\tC\tCTAA", "ENST00000312957");
    assert_eq!(tc.amino_acids.as_deref(), Some("-/*"));
    assert_eq!(terms(&tc), "inframe_insertion,stop_gained");
    let tc = on("17\t43067617\t.\tT\tTCTA", "NM_007294");
    assert_eq!(terms(&tc), "inframe_insertion,stop_gained");
}
