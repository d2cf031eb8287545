//! TSV rows: VEP columns, `Extra`, error rows and the formula-safe first column.

use super::*;
use crate::annotation::tests::engine_like;

fn rows(a: &VariantAnnotation) -> Vec<String> {
    let mut out = String::new();
    push_annotation(&mut out, a, &crate::output::csq::CustomColumns::default());
    out.lines().map(str::to_owned).collect()
}

#[test]
fn one_row_per_transcript_with_vep_columns_and_the_rest_in_extra() {
    let rows = rows(&engine_like());
    assert_eq!(rows.len(), 2);
    let columns = HEADER.split('\t').count();
    assert!(rows.iter().all(|r| r.split('\t').count() == columns));
    assert_eq!(
        rows[1],
        "rs142513484\t21:25585733\tT\tENSG00000154719\tENST00000352957\tTranscript\t\
         missense_variant,splice_region_variant\t1033\t991\t331\tA/T\tGca/Aca\t-\t\
         IMPACT=MODERATE;SYMBOL=MRPL39;BIOTYPE=protein_coding;EXON=10/10;\
         HGVSc=ENST00000352957.8:c.991G>A;HGVSp=ENSP00000284967:p.Ala331Thr;STRAND=-1;\
         FLAGS=cds_start_NF;SYMBOL_SOURCE=HGNC;HGNC_ID=HGNC:14027;CANONICAL=YES;\
         MANE_SELECT=ENST00000352957.8"
    );
}

#[test]
fn without_an_id_the_row_is_named_by_position_and_alleles() {
    let mut a = engine_like();
    a.id = None;
    assert!(rows(&a)[0].starts_with("21_25585733_C/T\t21:25585733\t"));
}

#[test]
fn cells_a_spreadsheet_would_run_as_formulas_are_made_inert() {
    for (id, shown) in [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("=", "'="),
        ("-", "-"),
        ("rs1=2", "rs1=2"),
    ] {
        let mut a = engine_like();
        a.id = Some(id.into());
        assert!(
            rows(&a).iter().all(|r| r.split('\t').next() == Some(shown)),
            "{id}"
        );
        let mut out = String::new();
        push_error(&mut out, id, "unparsable: no");
        assert_eq!(out.split('\t').next(), Some(shown), "{id}");
    }
}

#[test]
fn failures_get_one_error_row_with_tabs_and_breaks_flattened() {
    let mut out = String::new();
    push_error(&mut out, "21\t1\tx\tC\tT", "bad\nthing");
    assert_eq!(
        out,
        "21 1 x C T\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\tERROR=bad thing\n"
    );
}

#[test]
fn an_answer_without_consequences_still_gets_a_row() {
    let mut a = engine_like();
    a.transcript_consequences.clear();
    a.most_severe_consequence = "regulatory_region_variant".into();
    assert_eq!(
        rows(&a),
        ["rs142513484\t21:25585733\t-\t-\t-\t-\tregulatory_region_variant\t-\t-\t-\t-\t-\t-\t-"]
    );
}
