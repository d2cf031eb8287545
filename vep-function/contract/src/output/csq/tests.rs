//! CSQ entries: field order, escaping, intergenic entries, fields Ensembl typed otherwise.

use serde_json::json;

use super::*;
use crate::annotation::tests::engine_like;
use crate::annotation::IntergenicConsequence;

#[test]
fn escape_protects_the_info_syntax() {
    assert_eq!(escape("p.(Ala=);x,y|z w"), "p.(Ala%3D)%3Bx%2Cy%7Cz%20w");
    assert_eq!(escape("50%\t\r\n"), "50%25%09%0D%0A");
    assert_eq!(escape("plain"), "plain");
}

#[test]
fn spans_print_single_ranges_and_unknown_ends_like_vep() {
    let span = |s, e| {
        let mut out = String::new();
        push_span(&mut out, s, e);
        out
    };
    assert_eq!(span(Some(7), Some(7)), "7");
    assert_eq!(span(Some(7), Some(9)), "7-9");
    assert_eq!(span(None, Some(9)), "?-9");
    assert_eq!(span(Some(7), None), "7-?");
    assert_eq!(span(None, None), "");
}

#[test]
fn one_entry_per_transcript_with_every_field_in_header_order() {
    let entries = entries(&engine_like(), &CustomColumns::default());
    assert_eq!(entries.len(), 2);
    let fields: Vec<&str> = entries[1].split('|').collect();
    assert_eq!(fields.len(), CSQ_FIELDS.len());
    let by_name: Vec<(&str, &str)> = CSQ_FIELDS.iter().copied().zip(fields).collect();
    assert_eq!(
        by_name,
        [
            ("Allele", "T"),
            ("Consequence", "missense_variant&splice_region_variant"),
            ("IMPACT", "MODERATE"),
            ("SYMBOL", "MRPL39"),
            ("Gene", "ENSG00000154719"),
            ("Feature_type", "Transcript"),
            ("Feature", "ENST00000352957"),
            ("BIOTYPE", "protein_coding"),
            ("EXON", "10/10"),
            ("INTRON", ""),
            ("HGVSc", "ENST00000352957.8:c.991G>A"),
            ("HGVSp", "ENSP00000284967:p.Ala331Thr"),
            ("cDNA_position", "1033"),
            ("CDS_position", "991"),
            ("Protein_position", "331"),
            ("Amino_acids", "A/T"),
            ("Codons", "Gca/Aca"),
            ("Existing_variation", ""),
            ("DISTANCE", ""),
            ("STRAND", "-1"),
            ("FLAGS", "cds_start_NF"),
            ("SYMBOL_SOURCE", "HGNC"),
            ("HGNC_ID", "HGNC:14027"),
            ("CANONICAL", "YES"),
            ("MANE_SELECT", "ENST00000352957.8"),
        ]
    );
}

#[test]
fn intergenic_entries_fill_allele_consequence_and_impact() {
    let a = VariantAnnotation {
        intergenic_consequences: vec![IntergenicConsequence {
            consequence_terms: vec!["intergenic_variant".into()],
            impact: "MODIFIER".into(),
            variant_allele: "-".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    assert_eq!(
        entries(&a, &CustomColumns::default()),
        [format!("-|intergenic_variant|MODIFIER{}", "|".repeat(22))]
    );
}

#[test]
fn fields_ensembl_gave_another_type_are_written_from_extra() {
    let mut a = engine_like();
    let t = &mut a.transcript_consequences[1];
    t.hgnc_id = None;
    t.extra.insert("hgnc_id".into(), json!(14027));
    t.distance = None;
    t.extra.insert("distance".into(), json!(12.5));
    let fields = transcript_fields(&a.transcript_consequences[1]);
    let get = |name: &str| fields.iter().find(|(k, _)| *k == name).unwrap().1.clone();
    assert_eq!(get("HGNC_ID"), "14027");
    assert_eq!(get("DISTANCE"), "12.5");
}
