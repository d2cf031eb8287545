//! The streaming JSON writer against serde_json: escaping (and its length), sorted and
//! engine key order.

use serde_json::{json, Value};

use super::*;
use crate::annotation::tests::engine_like;
use crate::annotation::{CalledFromSequence, ModelScore, ScoreStatus, SequenceExcerpt};

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

#[test]
fn strings_are_escaped_exactly_as_serde_json_escapes_them() {
    let mut every_ascii: String = (0u8..128).map(char::from).collect();
    every_ascii.push_str("é∑😀\u{2028}");
    for s in [every_ascii.as_str(), "", "plain", "tab\there \"q\" \\ /"] {
        let mut out = Vec::new();
        push_str(&mut out, s);
        assert_eq!(str_len(s), out.len(), "{s:?}");
        assert_eq!(text(out), serde_json::to_string(s).unwrap());
    }
}

/// An annotation with every kind of field: pass-through ones, scores, a sequence call.
fn everything() -> VariantAnnotation {
    let mut a = engine_like();
    a.input_index = Some(12);
    a.extra.insert(
        "colocated_variants".into(),
        json!([{"id": "rs1", "af": 0.25}]),
    );
    a.extra.insert("zzz".into(), Value::Null);
    a.called_from_sequence = Some(CalledFromSequence {
        cigar: "10=1X10=".into(),
        covered: "21:1-21".into(),
        excerpt: SequenceExcerpt {
            reference: "ACGT".into(),
            sequence: "ACTT".into(),
            start: 1,
        },
        genotype: Some("0/1".into()),
        identity: 0.952_380_952_380_952_4,
        masked_columns: 0,
        placed_by: "index".into(),
        query_length: 21,
        strand: -1,
        unresolved: vec![],
        variant: "21 11 . G T".into(),
    });
    let t = &mut a.transcript_consequences[1];
    t.sift_score = Some(serde_json::Number::from(0));
    t.polyphen_score = serde_json::Number::from_f64(0.25);
    t.polyphen_prediction = Some("benign".into());
    t.blosum62 = Some(-1);
    t.grantham = Some(58);
    t.condel = Some(ModelScore {
        inputs: None,
        label: None,
        model: "Condel".into(),
        output: None,
        output_name: None,
        prediction: None,
        reason: Some("no SIFT score".into()),
        score: None,
        status: ScoreStatus::NotApplicable,
        version: Some("2011".into()),
    });
    t.ml_scores = Some(vec![ModelScore {
        inputs: Some(json!({"blosum62": -1, "grantham": null})),
        label: Some("computational prediction".into()),
        model: "m".into(),
        output: Some(json!([0.5, "x"])),
        output_name: Some("p".into()),
        prediction: None,
        reason: None,
        score: None,
        status: ScoreStatus::Ok,
        version: None,
    }]);
    t.extra.insert("lof".into(), json!("HC"));
    t.extra.insert("hgnc_id".into(), json!(1));
    a
}

#[test]
fn sorted_output_is_what_serde_gives_for_the_same_annotation() {
    for a in [engine_like(), everything()] {
        let mut out = Vec::new();
        push_annotation(&mut out, &a, KeyOrder::Sorted);
        let expected = serde_json::to_string(&a).unwrap();
        assert_eq!(text(out), expected);
        let value: Value = serde_json::from_str(&expected).unwrap();
        assert_eq!(expected, serde_json::to_string(&value).unwrap());
    }
}

#[test]
fn declared_output_follows_the_engine_field_order() {
    let mut a = engine_like();
    a.transcript_consequences.truncate(1);
    let mut out = Vec::new();
    push_annotation(&mut out, &a, KeyOrder::Declared);
    assert_eq!(
        text(out),
        r#"{"input":"21\t25585733\trs142513484\tC\tT\t.\t.\t.","id":"rs142513484","seq_region_name":"21","start":25585733,"end":25585733,"strand":1,"allele_string":"C/T","assembly_name":"GRCh38","most_severe_consequence":"missense_variant","transcript_consequences":[{"transcript_id":"ENST00000567517","gene_id":"ENSG00000260583","gene_symbol":"AP000223.42","biotype":"antisense","strand":-1,"consequence_terms":["upstream_gene_variant"],"impact":"MODIFIER","variant_allele":"T","distance":2407}]}"#
    );
}

#[test]
fn declared_output_holds_the_same_object() {
    let a = everything();
    let mut out = Vec::new();
    push_annotation(&mut out, &a, KeyOrder::Declared);
    let declared: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(declared, serde_json::to_value(&a).unwrap());
    // The typed `hgnc_id` wins over the pass-through one of the same name.
    assert_eq!(
        declared["transcript_consequences"][1]["hgnc_id"],
        "HGNC:14027"
    );
}
