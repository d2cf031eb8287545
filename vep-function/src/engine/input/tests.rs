//! Notation -> variant, checked on the real bundled BRCA1 and chr21 data against the facts in
//! `data/brca1/SOURCE.md` (VEP 115.2 HGVSc <-> VCF pairs) and `data/chr21/SOURCE.md`.

use std::sync::OnceLock;

use proptest::prelude::*;

use super::test_context::TestContext;
use super::*;

fn brca1() -> &'static TestContext {
    static CTX: OnceLock<TestContext> = OnceLock::new();
    CTX.get_or_init(TestContext::brca1)
}

fn chr21() -> &'static TestContext {
    static CTX: OnceLock<TestContext> = OnceLock::new();
    CTX.get_or_init(TestContext::chr21)
}

/// `CHROM POS REF ALT` of the single variant a notation yields.
fn vcf(text: &str, ctx: &dyn InputContext) -> String {
    let variants = parse_input(text, ctx).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(variants.len(), 1, "{text}");
    let v = &variants[0];
    format!("{} {} {} {}", v.chrom, v.pos, v.reference, v.alternate)
}

fn error(text: &str, ctx: &dyn InputContext) -> InputError {
    match parse_input(text, ctx) {
        Ok(v) => panic!("{text} parsed to {v:?}"),
        Err(e) => e,
    }
}

#[test]
fn coding_hgvs_on_brca1_projects_to_the_vep_vcf_records() {
    // Pairs from data/brca1/SOURCE.md: VEP 115.2 named these VCF records so.
    let pairs = [
        ("NM_007294.4:c.68_69del", "17 43124027 ACT A"),
        ("NM_007294.4:c.5266dup", "17 43057062 T TG"),
        ("NM_007294.4:c.181T>G", "17 43106487 A C"),
        ("NM_007294.4:c.4327C>T", "17 43082434 G A"),
        ("NM_007294.4:c.5123C>A", "17 43063903 G T"),
        ("NM_007294.4:c.190T>G", "17 43106478 A C"),
    ];
    for (hgvs, expected) in pairs {
        assert_eq!(vcf(hgvs, brca1()), expected, "{hgvs}");
    }
}

#[test]
fn gene_symbol_uses_the_genes_mane_transcript() {
    assert_eq!(vcf("BRCA1:c.5266dup", brca1()), "17 43057062 T TG");
}

#[test]
fn unversioned_and_gene_annotated_references_resolve() {
    assert_eq!(vcf("NM_007294:c.68_69del", brca1()), "17 43124027 ACT A");
    assert_eq!(
        vcf("NM_007294.4(BRCA1):c.68_69delAG", brca1()),
        "17 43124027 ACT A"
    );
    assert_eq!(
        vcf("NC_000017.11(NM_007294.4):c.68_69del", brca1()),
        "17 43124027 ACT A"
    );
}

#[test]
fn coding_hgvs_on_chr21_matches_the_vep_runner_assertion() {
    // data/chr21/SOURCE.md: rs142513484 21:25585733 C>T is ENST00000352957.8:c.991G>A.
    assert_eq!(
        vcf("ENST00000352957.8:c.991G>A", chr21()),
        "21 25585733 C T"
    );
    // ... and ENST00000307301.11:c.*18G>A in the 3' UTR of the other MRPL39 transcript.
    assert_eq!(
        vcf("ENST00000307301.11:c.*18G>A", chr21()),
        "21 25585733 C T"
    );
}

#[test]
fn genomic_hgvs_with_chromosome_or_refseq_accession() {
    assert_eq!(vcf("21:g.25585733C>T", chr21()), "21 25585733 C T");
    assert_eq!(vcf("chr21:g.25585733C>T", chr21()), "21 25585733 C T");
    assert_eq!(
        vcf("NC_000017.11:g.43124028_43124029del", brca1()),
        "17 43124027 ACT A"
    );
    assert_eq!(vcf("17:g.43057063dup", brca1()), "17 43057062 T TG");
    assert_eq!(
        vcf("17:g.43057062_43057063insG", brca1()),
        "17 43057062 T TG"
    );
    assert_eq!(
        vcf("17:g.43124028_43124029delinsA", brca1()),
        "17 43124028 CT A"
    );
    assert_eq!(
        vcf("17:g.43124028_43124029inv", brca1()),
        "17 43124028 CT AG"
    );
}

#[test]
fn reverse_strand_insertion_and_delins_are_complemented() {
    // c.68_69 is genomic 43124029 (c.68) and 43124028 (c.69) on the reverse strand.
    assert_eq!(vcf("NM_007294.4:c.68_69insT", brca1()), "17 43124028 C CA");
    assert_eq!(
        vcf("NM_007294.4:c.68_69delinsTT", brca1()),
        "17 43124028 CT AA"
    );
}

#[test]
fn intronic_offsets_project_into_the_intron() {
    // NM_007294.4 (reverse strand) in the GFF3: exon rank 2 is 43124017-43124115, so c.80
    // (its 3' end) is 43124017 and c.80+1 is 43124016; exon rank 3 is 43115726-43115779, so
    // c.81 is 43115779 and c.81-2_81-1 is 43115780-43115781.
    let donor = parse_input("NM_007294.4:c.80+1del", brca1()).unwrap();
    assert_eq!(donor[0].pos, 43124015);
    assert_eq!(donor[0].reference.len(), 2);
    let acceptor = parse_input("NM_007294.4:c.81-2_81-1del", brca1()).unwrap();
    assert_eq!(acceptor[0].pos, 43115779);
    assert_eq!(acceptor[0].reference.len(), 3);
}

#[test]
fn offset_away_from_an_exon_boundary_is_an_error() {
    assert_eq!(
        error("NM_007294.4:c.79+1del", brca1()).code(),
        "offset_not_at_exon_boundary"
    );
}

#[test]
fn stated_reference_mismatch_names_both_alleles() {
    let e = error("NM_007294.4:c.181A>G", brca1());
    assert_eq!(e.code(), "reference_mismatch");
    assert_eq!(
        e.to_string(),
        "reference allele mismatch: input has T but the reference has A at 17:43106487-43106487"
    );
    assert_eq!(
        error("NM_007294.4:c.68_69delTT", brca1()).code(),
        "reference_mismatch"
    );
}

#[test]
fn unknown_names_are_typed_errors() {
    assert_eq!(
        error("NM_000000.1:c.1A>G", brca1()).code(),
        "unknown_transcript"
    );
    assert_eq!(error("NOTAGENE:c.1A>G", brca1()).code(), "unknown_gene");
    assert_eq!(error("22:g.100A>G", brca1()).code(), "unknown_contig");
    assert_eq!(
        error("NM_007294.3:c.68_69del", brca1()).code(),
        "transcript_version_mismatch"
    );
    assert_eq!(error("NR_027676.2:c.5A>G", brca1()).code(), "not_coding");
}

#[test]
fn positions_beyond_the_transcript_are_errors() {
    // NM_007294.4 codes 1863 aa + stop = 5592 bases; c.5593 must be written c.*1.
    assert_eq!(
        error("NM_007294.4:c.5593A>G", brca1()).code(),
        "position_outside_transcript"
    );
    assert_eq!(
        error("NM_007294.4:c.*100000A>G", brca1()).code(),
        "position_outside_transcript"
    );
}

#[test]
fn vcf_line_splits_multiallelic_alt_and_keeps_id() {
    let variants = parse_input("21\t25585733\trs142513484\tC\tT,G\t.\tPASS\t.", chr21()).unwrap();
    let alts: Vec<_> = variants.iter().map(|v| v.alternate.as_str()).collect();
    assert_eq!(alts, ["T", "G"]);
    assert!(variants
        .iter()
        .all(|v| v.id.as_deref() == Some("rs142513484") && v.pos == 25585733));
}

#[test]
fn one_bad_alt_of_a_vcf_line_is_rejected_alone_and_all_bad_fails_the_line() {
    // Issue #17.6: `<script>` is no allele; T and G still are.
    let alleles = parse_alleles("21 25585733 . C T,G,<script>", chr21()).unwrap();
    let ok: Vec<&str> = alleles
        .iter()
        .filter_map(|a| a.as_ref().ok())
        .map(|v| v.alternate.as_str())
        .collect();
    assert_eq!(ok, ["T", "G"]);
    let rejected: Vec<(&str, &str)> = alleles
        .iter()
        .filter_map(|a| a.as_ref().err())
        .map(|r| (r.variant.alternate.as_str(), r.error.code()))
        .collect();
    assert_eq!(rejected, [("<script>", "unsupported_allele")]);
    // The ALT equal to REF, and one too long, fail alone too.
    let long = format!("C{}", "A".repeat(20_000));
    let alleles = parse_alleles(&format!("21 25585733 . C C,T,{long}"), chr21()).unwrap();
    let codes: Vec<&str> = alleles
        .iter()
        .map(|a| a.as_ref().map_or_else(|r| r.error.code(), |_| "ok"))
        .collect();
    assert_eq!(codes, ["unsupported_allele", "ok", "too_large"]);
    // No usable ALT: the line fails, with the first ALT's reason; and all-or-nothing
    // parsing still refuses a line with any bad ALT.
    assert_eq!(
        parse_alleles("21 25585733 . C <DEL>,*", chr21())
            .unwrap_err()
            .code(),
        "unsupported_allele"
    );
    assert_eq!(
        error("21 25585733 . C T,<script>", chr21()).code(),
        "unsupported_allele"
    );
}

#[test]
fn vcf_line_with_spaces_and_chr_prefix() {
    assert_eq!(vcf("chr21   25585733  .  c  t", chr21()), "21 25585733 C T");
    assert_eq!(
        parse_input("21 25585733 . C T", chr21()).unwrap()[0].id,
        None
    );
}

#[test]
fn vcf_line_checks_ref_and_accepts_n_as_wildcard() {
    assert_eq!(
        error("21 25585733 . G T", chr21()).code(),
        "reference_mismatch"
    );
    assert_eq!(vcf("21 25585733 . N T", chr21()), "21 25585733 N T");
}

#[test]
fn vcf_line_rejects_star_symbolic_and_iupac_alleles() {
    for line in [
        "21 25585733 . C T,*",
        "21 25585733 . C <DEL>",
        "21 25585733 . C R",
        "21 25585733 . C C",
    ] {
        assert_eq!(error(line, chr21()).code(), "unsupported_allele", "{line}");
    }
}

#[test]
fn ensembl_default_format_with_alleles_strand_and_indels() {
    assert_eq!(
        vcf("21 25585733 25585733 C/T +", chr21()),
        "21 25585733 C T"
    );
    // Strand '-' writes the alleles on the reverse strand.
    assert_eq!(
        vcf("21 25585733 25585733 G/A -", chr21()),
        "21 25585733 C T"
    );
    assert_eq!(
        vcf("17 43124028 43124029 CT/- +", brca1()),
        "17 43124027 ACT A"
    );
    assert_eq!(
        vcf("17 43057063 43057062 -/G +", brca1()),
        "17 43057062 T TG"
    );
    let multi = parse_input("21 25585733 25585733 C/T/G + rs1", chr21()).unwrap();
    assert_eq!(multi.len(), 2);
    assert_eq!(multi[1].id.as_deref(), Some("rs1"));
}

#[test]
fn ensembl_format_with_wrong_span_is_unparsable() {
    assert_eq!(
        error("21 25585733 25585734 C/T +", chr21()).code(),
        "unparsable"
    );
    assert_eq!(
        error("21 25585733 25585733 C/T ?", chr21()).code(),
        "unparsable"
    );
}

#[test]
fn positions_off_the_contig_are_outside_reference() {
    assert_eq!(
        error("21:g.99999999A>G", chr21()).code(),
        "outside_reference"
    );
}

#[test]
fn oversized_spans_are_refused_before_reading_the_reference() {
    assert_eq!(error("21:g.1000_5000000del", chr21()).code(), "too_large");
}

#[test]
fn text_that_is_no_notation_is_unparsable() {
    for text in [
        "",
        "   ",
        "#CHROM POS",
        "hello",
        "21 abc . C T",
        "21:g.",
        "21:x.5A>G",
    ] {
        let e = error(text, chr21());
        assert!(
            matches!(e.code(), "unparsable" | "empty_input"),
            "{text}: {e}"
        );
    }
}

proptest! {
    #[test]
    fn parser_never_panics_on_arbitrary_text(text in "\\PC{0,60}") {
        let _ = parse_input(&text, chr21());
    }

    #[test]
    fn parser_never_panics_on_notation_like_text(
        text in "(21|17|NM_007294\\.4|BRCA1|ENST00000352957)[:. \t](g|c|n)?[.]?[-*]?[0-9]{0,12}([+-][0-9]{0,10})?(_[-*]?[0-9]{0,12})?(del|dup|ins|delins|inv|[ACGTN]>[ACGTN])?[ACGTN0-9]{0,4}"
    ) {
        let _ = parse_input(&text, brca1());
    }
}
