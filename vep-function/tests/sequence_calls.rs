//! Sequence input end to end on the bundled reference: stretches cut from it with known edits
//! must come back as exactly those variants, normalised as `bcftools norm -f` normalises them.

#[path = "common/lcg.rs"]
mod lcg;

#[path = "sequence/support.rs"]
mod support;

use support::*;
use vep::sequence::{SequenceCaller, SequenceError};

fn caller() -> &'static SequenceCaller {
    static CALLER: std::sync::OnceLock<SequenceCaller> = std::sync::OnceLock::new();
    CALLER.get_or_init(SequenceCaller::default)
}

/// Calls `text` and returns the variants as sorted `(pos, ref, alt)` plus the strand.
fn calls(text: &str) -> (Vec<(u64, String, String)>, i8) {
    let called = caller()
        .call(engine(), text)
        .unwrap_or_else(|e| panic!("sequence not called: {e}"));
    let mut v: Vec<(u64, String, String)> = called
        .variants
        .iter()
        .map(|v| (v.pos, v.reference.clone(), v.alternate.clone()))
        .collect();
    v.sort();
    (v, called.summary.strand)
}

fn records(edits: &[Edit]) -> Vec<(u64, String, String)> {
    let mut r: Vec<_> = edits
        .iter()
        .map(|e| (e.pos, e.reference.clone(), e.alternate.clone()))
        .collect();
    r.sort();
    r
}

#[test]
fn brca1_stretch_with_substitution_deletion_insertion_returns_exactly_those() {
    let edits = [
        snv("17", 43_093_500),
        del("17", 43_094_200, 2),
        ins("17", 43_094_700, "TTA"),
    ];
    let seq = mutate("17", 43_093_001, 43_095_000, &edits);
    let expected = bcftools_norm("17", &edits);
    let (got, strand) = calls(&format!("seq:{seq}"));
    assert_eq!(got, expected);
    assert_eq!(strand, 1);
}

#[test]
fn minus_strand_lowercase_fasta_gives_the_plus_strand_variants() {
    let edits = [
        snv("17", 43_060_100),
        del("17", 43_060_480, 1),
        ins("17", 43_060_900, "G"),
    ];
    let seq = mutate("17", 43_059_801, 43_061_300, &edits);
    let text = as_fasta("read minus", &reverse_complement(&seq).to_lowercase());
    let (got, strand) = calls(&text);
    assert_eq!(got, bcftools_norm("17", &edits));
    assert_eq!(strand, -1);
}

#[test]
fn indels_written_right_shifted_come_back_left_aligned_like_bcftools() {
    // Deletions and insertions inside repeats: the edit is written at its rightmost
    // equivalent place; both bcftools and the caller must move it left.
    let chrom = "17";
    let mut edits = Vec::new();
    let pos = 43_070_001;
    // Find homopolymer/dinucleotide runs in the stretch and delete/insert at their right end.
    let stretch = engine().genome().sequence(chrom, pos, pos + 3000).unwrap();
    let mut i = 50;
    while i + 60 < stretch.len() && edits.len() < 3 {
        if stretch[i] == stretch[i + 1] && stretch[i + 1] == stretch[i + 2] {
            let mut end = i + 2;
            while stretch[end + 1] == stretch[i] {
                end += 1;
            }
            let anchor = pos + end as u64 - 1;
            edits.push(if edits.len() % 2 == 0 {
                del(chrom, anchor, 1)
            } else {
                ins(chrom, anchor + 1, &(stretch[i] as char).to_string())
            });
            i = end + 400;
        } else {
            i += 1;
        }
    }
    assert_eq!(edits.len(), 3, "runs found in the stretch");
    let seq = mutate(chrom, pos, pos + 3000, &edits);
    let expected = bcftools_norm(chrom, &edits);
    assert_ne!(
        records(&edits),
        expected,
        "the edits were written right-shifted"
    );
    let (got, _) = calls(&format!("seq:{seq}"));
    assert_eq!(got, expected);
}

#[test]
fn edits_at_exon_boundaries_of_brca1_are_called() {
    let t = engine()
        .models()
        .transcript("NM_007294.4")
        .unwrap()
        .expect("MANE transcript");
    // An exon in the middle of the gene: edits at both of its boundaries.
    let exon = t.exons[t.exons.len() / 2];
    // A deletion across the exon start, a substitution of the exon's last base and an
    // insertion in the intron next to it (edits a few bases apart, so each has one reading).
    let edits = [
        del("17", exon.start - 2, 3),
        snv("17", exon.end),
        ins("17", exon.end + 8, "A"),
    ];
    let lo = exon.start - 600;
    let hi = exon.end + 600;
    let seq = mutate("17", lo, hi, &edits);
    let (got, _) = calls(&format!("seq:NM_007294.4:{seq}"));
    assert_eq!(got, bcftools_norm("17", &edits));
}

#[test]
fn adjacent_substitutions_merge_into_one_mnv() {
    let a = snv("17", 43_100_200);
    let b = snv("17", 43_100_201);
    let seq = mutate("17", 43_099_801, 43_100_600, &[a.clone(), b.clone()]);
    let (got, _) = calls(&format!("seq:{seq}"));
    assert_eq!(
        got,
        vec![(
            43_100_200,
            format!("{}{}", a.reference, b.reference),
            format!("{}{}", a.alternate, b.alternate)
        )]
    );
}

#[test]
fn chr21_sequence_places_on_chr21_without_a_hint() {
    let edits = [snv("21", 25_600_300), del("21", 25_600_900, 3)];
    let seq = mutate("21", 25_600_001, 25_601_200, &edits);
    let (got, _) = calls(&seq);
    assert_eq!(got, bcftools_norm("21", &edits));
}

#[test]
fn gene_transcript_and_region_hints_give_the_same_calls() {
    let edits = [snv("17", 43_110_050), ins("17", 43_110_400, "CC")];
    let seq = mutate("17", 43_109_801, 43_110_800, &edits);
    let expected = bcftools_norm("17", &edits);
    for hint in ["BRCA1", "NM_007294.4", "17:43100000-43120000"] {
        let (got, _) = calls(&format!("seq:{hint}:{seq}"));
        assert_eq!(got, expected, "hint {hint}");
    }
}

#[test]
fn random_edits_across_the_loaded_regions_agree_with_bcftools() {
    let mut rng = Lcg(0x5E9_2026);
    for case in 0..12 {
        let (chrom, lo_bound, hi_bound) = if case % 3 == 2 {
            ("21", 25_000_000, 25_990_000)
        } else {
            ("17", 42_430_000, 43_590_000)
        };
        let lo = lo_bound + rng.next(hi_bound - lo_bound);
        let len = 1500;
        let mut edits = Vec::new();
        let mut at = lo + 100 + rng.next(100);
        while at + 150 < lo + len {
            edits.push(match rng.next(3) {
                0 => snv(chrom, at),
                1 => del(chrom, at, 1 + rng.next(6)),
                _ => {
                    let n = 1 + rng.next(6) as usize;
                    ins(chrom, at, &rng.bases(n))
                }
            });
            at += 250 + rng.next(200);
        }
        let seq = mutate(chrom, lo, lo + len - 1, &edits);
        let seq = if rng.next(2) == 0 {
            seq
        } else {
            reverse_complement(&seq)
        };
        let expected = bcftools_norm(chrom, &edits);
        let called = caller().call(engine(), &format!("seq:{seq}"));
        match called {
            Ok(c) => {
                let mut got: Vec<_> = c
                    .variants
                    .iter()
                    .map(|v| (v.pos, v.reference.clone(), v.alternate.clone()))
                    .collect();
                got.sort();
                assert_eq!(got, expected, "case {case} at {chrom}:{lo}");
            }
            // Repeats shared with another place make a placement ambiguous: reported, not
            // guessed; then a region hint must resolve it.
            Err(SequenceError::Ambiguous { .. }) => {
                let (got, _) = calls(&format!("seq:{chrom}:{lo}-{}:{seq}", lo + len));
                assert_eq!(got, expected, "case {case} at {chrom}:{lo} with a hint");
            }
            Err(e) => panic!("case {case} at {chrom}:{lo}: {e}"),
        }
    }
}

#[test]
fn long_sequence_uses_the_banded_aligner_and_still_calls_exactly() {
    let edits = [
        snv("17", 43_050_500),
        del("17", 43_058_000, 4),
        ins("17", 43_064_000, "GATT"),
        snv("17", 43_069_000),
    ];
    let seq = mutate("17", 43_050_001, 43_070_000, &edits);
    let (got, _) = calls(&format!("seq:BRCA1:{seq}"));
    assert_eq!(got, bcftools_norm("17", &edits));
}
