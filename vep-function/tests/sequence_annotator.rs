//! Sequence inputs through `LocalAnnotator` (what the function serves): called variants come
//! back annotated, with the submitted notation as `input` and the alignment summary; anything
//! that cannot be placed is a typed failure, never a guess.

#[path = "common/lcg.rs"]
mod lcg;

#[path = "sequence/support.rs"]
mod support;

use serde_json::Value;
use support::*;
use vep::service::{Annotator, VariantFailure};

/// The annotations as the event carries them (JSON).
fn annotate(text: &str) -> Result<Vec<Value>, VariantFailure> {
    annotator().annotate(text).map(|answer| {
        answer
            .annotations
            .iter()
            .map(|a| serde_json::to_value(a).expect("annotations serialise"))
            .collect()
    })
}

#[test]
fn two_kb_of_brca1_with_three_edits_returns_them_normalised_and_annotated() {
    // A substitution in the large exon, a deletion written one base right of its normalised
    // place when the reference allows it, and an insertion; pasted as FASTA.
    let edits = [
        snv("17", 43_093_450),
        del("17", 43_093_999, 1),
        ins("17", 43_094_600, "T"),
    ];
    let seq = mutate("17", 43_092_801, 43_094_800, &edits);
    let text = as_fasta("patient read", &seq);
    let annotations = annotate(&text).unwrap_or_else(|f| panic!("{}: {}", f.code, f.message));
    let expected = bcftools_norm("17", &edits);
    assert_eq!(annotations.len(), 3);
    for (a, (pos, reference, alternate)) in annotations.iter().zip(&expected) {
        assert_eq!(a["input"], text.trim());
        assert_eq!(a["seq_region_name"], "17");
        let from = &a["called_from_sequence"];
        assert_eq!(
            from["variant"],
            format!("17 {pos} . {reference} {alternate}")
        );
        assert_eq!(from["strand"], 1);
        assert_eq!(from["placed_by"], "index");
        assert!(from["identity"].as_f64().unwrap() > 0.99);
        let covered = from["covered"].as_str().unwrap();
        assert!(covered.starts_with("17:4309"), "{covered}");
        assert!(from["cigar"].as_str().unwrap().contains('X'));
        // The excerpt shows the difference: rows of one length that differ.
        let excerpt = &from["excerpt"];
        let (r, s) = (
            excerpt["reference"].as_str().unwrap(),
            excerpt["sequence"].as_str().unwrap(),
        );
        assert_eq!(r.len(), s.len());
        assert_ne!(r, s);
        // Annotated against BRCA1's MANE transcript, with HGVS.
        let mane = a["transcript_consequences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["transcript_id"] == "NM_007294.4")
            .expect("NM_007294.4 consequence");
        assert!(mane["hgvsc"]
            .as_str()
            .unwrap()
            .starts_with("NM_007294.4:c."));
    }
}

#[test]
fn random_sequence_is_rejected_not_placed() {
    let mut rng = Lcg(42);
    let random = rng.bases(2000);
    let failure = annotate(&format!("seq:{random}")).unwrap_err();
    assert_eq!(failure.code, "sequence_not_placed", "{}", failure.message);
    let failure = annotate(&format!("seq:BRCA1:{random}")).unwrap_err();
    assert_eq!(failure.code, "sequence_not_placed", "{}", failure.message);
}

#[test]
fn low_identity_sequence_is_rejected_with_its_identity() {
    // 18 bases of every 60 randomised (about 77% identity); the 42 left intact keep enough
    // 16-mers for the placement, so the rejection comes from the alignment.
    let mut seq: Vec<u8> = mutate("17", 43_080_001, 43_082_000, &[]).into_bytes();
    let mut rng = Lcg(7);
    for block in seq.chunks_mut(60).skip(1) {
        for b in block.iter_mut().take(18) {
            *b = b"ACGT"[rng.next(4) as usize];
        }
    }
    let failure = annotate(&format!("seq:{}", String::from_utf8(seq).unwrap())).unwrap_err();
    assert_eq!(failure.code, "low_identity", "{}", failure.message);
    assert!(failure.message.contains("17:"), "{}", failure.message);
}

#[test]
fn unchanged_sequence_says_where_it_matched() {
    let seq = mutate("17", 43_100_001, 43_100_500, &[]);
    let failure = annotate(&format!("seq:{seq}")).unwrap_err();
    assert_eq!(failure.code, "no_variants");
    assert!(
        failure.message.contains("17:43100001-43100500"),
        "{}",
        failure.message
    );
}

#[test]
fn n_runs_are_masked_and_the_other_edits_still_called() {
    let edits = [snv("17", 43_101_200), del("17", 43_101_700, 2)];
    let mut seq = mutate("17", 43_100_801, 43_102_000, &edits);
    seq.replace_range(400..450, &"N".repeat(50));
    let annotations = annotate(&format!("seq:{seq}")).unwrap();
    let called: Vec<&str> = annotations
        .iter()
        .map(|a| a["called_from_sequence"]["variant"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = bcftools_norm("17", &edits)
        .into_iter()
        .map(|(p, r, a)| format!("17 {p} . {r} {a}"))
        .collect();
    assert_eq!(called, expected);
    assert_eq!(annotations[0]["called_from_sequence"]["masked_columns"], 50);
}

#[test]
fn two_base_ambiguity_code_with_the_reference_base_is_a_heterozygous_call() {
    let pos = 43_104_300;
    let reference = engine().genome().sequence("17", pos, pos).unwrap()[0];
    let (code, alt) = match reference {
        b'A' => ('R', "G"),
        b'G' => ('R', "A"),
        b'C' => ('Y', "T"),
        _ => ('Y', "C"),
    };
    let lo = pos - 400;
    let mut seq = mutate("17", lo, pos + 400, &[]);
    seq.replace_range(400..401, &code.to_string());
    // A code that leaves out the reference base cannot be called: reported as unresolved.
    let other = match engine()
        .genome()
        .sequence("17", lo + 600, lo + 600)
        .unwrap()[0]
    {
        b'A' | b'G' => 'Y',
        _ => 'R',
    };
    seq.replace_range(600..601, &other.to_string());
    let annotations = annotate(&format!("seq:{seq}")).unwrap();
    assert_eq!(annotations.len(), 1);
    let from = &annotations[0]["called_from_sequence"];
    assert_eq!(
        from["variant"],
        format!("17 {pos} . {} {alt}", reference as char)
    );
    assert_eq!(from["genotype"], "0/1");
    assert_eq!(from["unresolved"][0]["at"], format!("17:{}", lo + 600));
}

#[test]
fn bad_sequences_get_typed_failures() {
    let cases = [
        ("seq:ACGT", "sequence_too_short"),
        (
            "seq:ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTXX",
            "invalid_sequence",
        ),
        (&*format!("seq:{}", "A".repeat(20_001)), "sequence_too_long"),
        (
            &*format!("seq:NOSUCHGENE:{}", "ACGT".repeat(20)),
            "unknown_hint",
        ),
        (
            &*format!("seq:17:900-100:{}", "ACGT".repeat(20)),
            "invalid_hint",
        ),
    ];
    for (text, code) in cases {
        let failure = annotate(text).unwrap_err();
        assert_eq!(failure.code, code, "{}", failure.message);
    }
}

#[test]
fn variant_notations_still_go_to_the_variant_parser() {
    let a = annotate("17 43106487 . A C").unwrap();
    assert_eq!(a[0]["allele_string"], "A/C");
    assert!(a[0].get("called_from_sequence").is_none());
}
