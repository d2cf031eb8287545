//! Equivalent spellings of one change give the same answer. Generated variants (deterministic
//! seed) around every transcript of the bundled chr21 + BRCA1 data: SNVs, deletions,
//! insertions and delins on both strands, at exon/intron edges and inside repeats.
//!
//! Spellings compared: (a) the VCF record, (b) HGVS genomic (`21:g.…` and the RefSeq accession
//! `NC_000021.9:g.…`), (c) every HGVSc the engine wrote, parsed back as input, and for indels
//! in repeats (d) the left-aligned and the right-shifted VCF records.
//!
//! What must be equal follows VEP's rules (ENGINE.md): HGVSc/HGVSp are computed on the allele
//! 3'-shifted along each transcript, so they are the same for every spelling of the change.
//! Consequences are computed on the allele where it was submitted (VEP does not shift indels
//! for consequences unless `--shift_3prime`), so two spellings at different places may
//! legitimately differ in terms (an indel in a repeat that straddles an exon edge is
//! `splice_region_variant` in one place and intronic in the other; in a CDS the codon
//! alignment decides between `inframe_insertion` and `protein_altering_variant`). Terms are
//! therefore asserted equal for (a)/(b) always (same place), and for shifted spellings only
//! where every equivalent placement lies inside one region of the transcript (deep intron,
//! non-coding exon interior, outside the transcript) where VEP's predicates cannot tell them
//! apart. Differences elsewhere are counted and printed, not asserted.
//! VEP's HGVSg is not part of the REST shape the engine answers with; the genomic position
//! and allele string (`start`, `end`, `allele_string`) stand for it in (a)/(b).

#[path = "common/lcg.rs"]
mod lcg;

#[path = "properties/support.rs"]
mod properties;

use properties::{generate, genomic_spellings, shifted, Lcg, Region, Tally};
use vep::engine::{input::parse_input, input::Variant, output::VariantAnnotation, predict::Engine};

fn annotate(e: &Engine, v: &Variant) -> Result<VariantAnnotation, String> {
    e.annotate(v).map_err(|err| format!("{}", err))
}

/// Everything but the echo of the submitted text.
fn comparable(mut a: VariantAnnotation) -> VariantAnnotation {
    a.input.clear();
    a.id = None;
    a
}

#[test]
fn vcf_and_hgvs_genomic_spellings_give_identical_annotations() {
    let e = properties::engine();
    let mut rng = Lcg(20261128);
    let mut tally = Tally::default();
    for v in generate(e, &mut rng) {
        let Ok(expected) = annotate(e, &v).map(comparable) else {
            tally.fail(&v, "the VCF spelling does not annotate");
            continue;
        };
        for text in genomic_spellings(e, &v) {
            let parsed = match parse_input(&text, e) {
                Ok(mut p) if p.len() == 1 => p.remove(0),
                other => {
                    tally.fail(&v, &format!("{text} does not parse ({other:?})"));
                    continue;
                }
            };
            tally.checked += 1;
            match annotate(e, &parsed).map(comparable) {
                Ok(got) if got == expected => {}
                Ok(got) => tally.fail(
                    &v,
                    &format!("{text}: {}", properties::first_difference(&expected, &got)),
                ),
                Err(err) => tally.fail(&v, &format!("{text}: {err}")),
            }
        }
    }
    tally.finish("VCF vs HGVS g. (chromosome and accession) spellings", 2000);
}

#[test]
fn every_hgvsc_written_read_back_gives_the_same_hgvs_names() {
    let e = properties::engine();
    let mut rng = Lcg(11);
    let mut tally = Tally::default();
    for v in generate(e, &mut rng) {
        let Ok(original) = annotate(e, &v) else {
            tally.fail(&v, "the VCF spelling does not annotate");
            continue;
        };
        for tc in &original.transcript_consequences {
            let Some(hgvsc) = &tc.hgvsc else { continue };
            if properties::padded_substitution(e, &tc.transcript_id, &v) {
                // VEP names these with padded CDS numbering that no parser reads back
                // (ENGINE.md, incomplete CDS start).
                continue;
            }
            let parsed = match parse_input(hgvsc, e) {
                Ok(mut p) if p.len() == 1 => p.remove(0),
                other => {
                    tally.fail(&v, &format!("{hgvsc} does not parse back ({other:?})"));
                    continue;
                }
            };
            let back = match annotate(e, &parsed) {
                Ok(a) => a,
                Err(err) => {
                    tally.fail(&v, &format!("{hgvsc} read back: {err}"));
                    continue;
                }
            };
            tally.checked += 1;
            properties::compare_shifted(e, &v, &parsed, &original, &back, &mut tally, hgvsc);
        }
    }
    tally.finish("HGVSc read back as input", 3000);
}

#[test]
fn left_aligned_and_right_shifted_indels_in_repeats_agree() {
    let e = properties::engine();
    let mut rng = Lcg(424242);
    let mut tally = Tally::default();
    let mut in_repeats = 0;
    for v in generate(e, &mut rng) {
        let Some((left, right)) = shifted(e, &v) else {
            continue;
        };
        if left.pos == right.pos {
            continue;
        }
        in_repeats += 1;
        let (Ok(a), Ok(b)) = (annotate(e, &left), annotate(e, &right)) else {
            tally.fail(&v, "a shifted spelling does not annotate");
            continue;
        };
        tally.checked += 1;
        let label = format!(
            "{}:{} {}>{} vs {}:{} {}>{}",
            left.chrom,
            left.pos,
            left.reference,
            left.alternate,
            right.chrom,
            right.pos,
            right.reference,
            right.alternate
        );
        properties::compare_shifted(e, &left, &right, &a, &b, &mut tally, &label);
    }
    eprintln!("{in_repeats} indels in repeats (left-aligned != right-shifted)");
    assert!(in_repeats > 300, "only {in_repeats} indels in repeats");
    tally.finish("left-aligned vs right-shifted VCF", 300);
}

#[test]
fn region_classification_sees_exon_edges() {
    // The guard of the shifted comparisons: a base at an exon edge is never "one region".
    let e = properties::engine();
    let t = e
        .models()
        .transcript("NM_007294")
        .unwrap()
        .expect("BRCA1 MANE transcript is bundled");
    let x = t.exons[3];
    assert_eq!(Region::of(t, x.start, x.start), None);
    assert_eq!(Region::of(t, x.end, x.end), None);
    assert!(
        Region::of(t, x.end - 40, x.end - 30).is_none(),
        "coding exon is never safe"
    );
    // BRCA1 is on the reverse strand: past the exon's genomic end is the intron before it.
    assert_eq!(
        Region::of(t, x.end + 60, x.end + 70),
        Some(Region::Intron(2))
    );
}
