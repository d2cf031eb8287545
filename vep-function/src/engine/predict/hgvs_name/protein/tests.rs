//! HGVSp on a small CDS: M A K K W * then the 3' UTR GCA TAA.

use super::*;

const SEQ: &[u8] = b"ATGGCAAAAAAGTGGTAAGCATAA";
const CDS_LEN: u64 = 18;

fn p(change: CdsChange, alt: &[u8], said: Predicates) -> String {
    hgvs_protein(SEQ, CDS_LEN, change, alt, CodonTable::Standard, said).unwrap()
}

fn in_frame(change: CdsChange, alt: &[u8]) -> String {
    p(change, alt, Predicates::default())
}

#[test]
fn names_missense_synonymous_and_nonsense() {
    assert_eq!(
        in_frame(CdsChange::Replace { start: 4, end: 4 }, b"A"),
        "Ala2Thr"
    );
    assert_eq!(
        in_frame(CdsChange::Replace { start: 6, end: 6 }, b"G"),
        "Ala2="
    );
    assert_eq!(
        in_frame(CdsChange::Replace { start: 14, end: 14 }, b"A"),
        "Trp5Ter"
    );
}

#[test]
fn names_duplications_and_deletions_at_the_3prime_residue() {
    assert_eq!(in_frame(CdsChange::Insert { after: 9 }, b"AAA"), "Lys4dup");
    assert_eq!(
        in_frame(CdsChange::Replace { start: 7, end: 9 }, b""),
        "Lys4del"
    );
    // Deleting AAG: the Lys repeat loses its 3' copy.
    assert_eq!(
        in_frame(CdsChange::Replace { start: 10, end: 12 }, b""),
        "Lys4del"
    );
}

#[test]
fn names_a_stop_brought_in_by_an_indel_or_mnv_as_delins_or_ins() {
    // Trp5 TGG -> T AAG GG = TAA GGG: W -> *G, typed delins before the name stops at Ter.
    assert_eq!(
        in_frame(CdsChange::Insert { after: 13 }, b"AAG"),
        "Trp5delinsTer"
    );
    // TAA between Ala2 and Lys3: an insertion of a stop.
    assert_eq!(
        in_frame(CdsChange::Insert { after: 6 }, b"TAA"),
        "Ala2_Lys3insTer"
    );
    // Lys3 AAA -> TAA: one residue for one, a substitution.
    assert_eq!(
        in_frame(CdsChange::Replace { start: 7, end: 8 }, b"TA"),
        "Lys3Ter"
    );
    // Lys3 Lys4 AAA AAG -> TAA TAG: two residues replaced.
    assert_eq!(
        in_frame(CdsChange::Replace { start: 7, end: 10 }, b"TAAT"),
        "Lys3_Lys4delinsTer"
    );
    // Ala2 GCA -> G TAA CA = GTA ACA: no stop, A -> VT.
    assert_eq!(
        in_frame(CdsChange::Insert { after: 4 }, b"TAA"),
        "Ala2delinsValThr"
    );
}

#[test]
fn names_frameshifts_and_stop_loss_extensions() {
    let frameshift = Predicates {
        frameshift: true,
        stop_lost: false,
    };
    // Deleting the G of Ala: ATG CAA AAA AGT GGT AAG CAT AA reads through without a stop.
    assert_eq!(
        p(CdsChange::Replace { start: 4, end: 4 }, b"", frameshift),
        "Ala2GlnfsTer?"
    );
    let stop_lost = Predicates {
        frameshift: false,
        stop_lost: true,
    };
    // TAA -> CAA at the stop: Gln, then GCA TAA: extTer2.
    assert_eq!(
        p(CdsChange::Replace { start: 16, end: 16 }, b"C", stop_lost),
        "Ter6GlnextTer2"
    );
    assert_eq!(
        in_frame(CdsChange::Replace { start: 2, end: 2 }, b"C"),
        "Met1?"
    );
}
