//! The typed annotation: its JSON forms, and Ensembl answers (recorded and hand-made odd
//! ones) read and written back unchanged.

use serde_json::{json, Value};

use super::*;

/// An annotation as the engine builds one (two transcripts, one with every optional field).
/// A Condel 2011 score of 0.61, "deleterious", from `inputs`.
pub(crate) fn deleterious_condel(inputs: serde_json::Value) -> ModelScore {
    ModelScore {
        inputs: Some(inputs),
        label: None,
        model: "Condel".into(),
        output: None,
        output_name: None,
        prediction: Some("deleterious".into()),
        reason: None,
        score: Some(0.61),
        status: ScoreStatus::Ok,
        version: Some("2011".into()),
    }
}

pub(crate) fn engine_like() -> VariantAnnotation {
    VariantAnnotation {
        input: "21\t25585733\trs142513484\tC\tT\t.\t.\t.".into(),
        id: Some("rs142513484".into()),
        seq_region_name: "21".into(),
        start: 25585733,
        end: 25585733,
        strand: Some(1),
        allele_string: "C/T".into(),
        assembly_name: Some("GRCh38".into()),
        most_severe_consequence: "missense_variant".into(),
        transcript_consequences: vec![
            TranscriptConsequence {
                transcript_id: "ENST00000567517".into(),
                gene_id: "ENSG00000260583".into(),
                gene_symbol: Some("AP000223.42".into()),
                biotype: "antisense".into(),
                strand: -1,
                consequence_terms: vec!["upstream_gene_variant".into()],
                impact: "MODIFIER".into(),
                variant_allele: "T".into(),
                distance: Some(2407),
                ..Default::default()
            },
            TranscriptConsequence {
                transcript_id: "ENST00000352957".into(),
                gene_id: "ENSG00000154719".into(),
                gene_symbol: Some("MRPL39".into()),
                gene_symbol_source: Some("HGNC".into()),
                hgnc_id: Some("HGNC:14027".into()),
                biotype: "protein_coding".into(),
                strand: -1,
                consequence_terms: vec!["missense_variant".into(), "splice_region_variant".into()],
                impact: "MODERATE".into(),
                variant_allele: "T".into(),
                cdna_start: Some(1033),
                cdna_end: Some(1033),
                cds_start: Some(991),
                cds_end: Some(991),
                protein_start: Some(331),
                protein_end: Some(331),
                amino_acids: Some("A/T".into()),
                codons: Some("Gca/Aca".into()),
                exon: Some("10/10".into()),
                hgvsc: Some("ENST00000352957.8:c.991G>A".into()),
                hgvsp: Some("ENSP00000284967:p.Ala331Thr".into()),
                hgvs_offset: Some(-2),
                protein_id: Some("ENSP00000284967".into()),
                canonical: Some(1),
                mane_select: Some("ENST00000352957.8".into()),
                flags: vec!["cds_start_NF".into()],
                ..Default::default()
            },
        ],
        ..Default::default()
    }
}

/// What a `serde_json::Value` of the same object gives (sorted keys).
fn via_value(v: &Value) -> String {
    serde_json::to_string(v).unwrap()
}

#[test]
fn serialises_with_sorted_keys_like_a_json_value() {
    let a = engine_like();
    let text = serde_json::to_string(&a).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(text, via_value(&value));
    assert!(text.starts_with(r#"{"allele_string":"C/T","assembly_name":"GRCh38","end":"#));
    assert!(
        value.get("intergenic_consequences").is_none(),
        "empty lists are skipped"
    );
    assert!(value["transcript_consequences"][0].get("flags").is_none());
}

#[test]
fn reads_back_what_it_wrote() {
    let mut a = engine_like();
    a.input_index = Some(7);
    a.transcript_consequences[1].blosum62 = Some(0);
    let mut condel = deleterious_condel(json!({"polyphen_score": 0.5, "sift_score": 0.01}));
    condel.label = Some("computational prediction".into());
    a.transcript_consequences[1].condel = Some(condel);
    a.transcript_consequences[1].ml_scores = Some(vec![]);
    let text = serde_json::to_string(&a).unwrap();
    let back: VariantAnnotation = serde_json::from_str(&text).unwrap();
    assert_eq!(back, a);
    assert!(back.extra.is_empty() && back.transcript_consequences[1].extra.is_empty());
}

#[test]
fn known_fields_of_another_json_type_pass_through_unchanged() {
    // GRCh37 answers give `hgnc_id` as a number; `null`, empty lists and odd scores too.
    let answer = json!({
        "input": "x", "id": null, "seq_region_name": "7", "start": 1, "end": 1, "strand": 1,
        "allele_string": "G/A", "most_severe_consequence": "missense_variant",
        "colocated_variants": [{"id": "rs1", "frequencies": {"A": {"gnomad": 0.25}}}],
        "intergenic_consequences": [],
        "transcript_consequences": [{
            "transcript_id": "ENST1", "gene_id": "ENSG1", "biotype": "protein_coding",
            "strand": -1, "consequence_terms": ["missense_variant"], "impact": "MODERATE",
            "variant_allele": "A", "hgnc_id": 1100, "canonical": true, "flags": [],
            "sift_score": 0, "polyphen_score": 0.25, "condel": "neutral(0.1)",
            "cdna_start": 1.5, "lof": "HC"
        }]
    });
    let a = VariantAnnotation::try_from(answer.clone()).unwrap();
    let t = &a.transcript_consequences[0];
    assert_eq!(t.hgnc_id, None);
    assert_eq!(t.extra["hgnc_id"], json!(1100));
    assert_eq!(t.sift_score.as_ref().and_then(|n| n.as_f64()), Some(0.0));
    assert_eq!(a.id, None);
    assert_eq!(serde_json::to_string(&a).unwrap(), via_value(&answer));
}

#[test]
fn an_answer_without_a_field_every_vep_answer_has_is_refused() {
    let mut answer = serde_json::to_value(engine_like()).unwrap();
    answer.as_object_mut().unwrap().remove("start");
    assert_eq!(
        VariantAnnotation::try_from(answer),
        Err(MissingField("start"))
    );
    let err = serde_json::from_str::<VariantAnnotation>(r#"{"input":"x"}"#).unwrap_err();
    assert!(err.to_string().contains("seq_region_name"), "{err}");
}

#[test]
fn a_transcript_list_with_an_unreadable_item_passes_through_whole() {
    let mut answer = serde_json::to_value(engine_like()).unwrap();
    answer["transcript_consequences"][1]
        .as_object_mut()
        .unwrap()
        .remove("impact");
    let a = VariantAnnotation::try_from(answer.clone()).unwrap();
    assert!(a.transcript_consequences.is_empty());
    assert_eq!(serde_json::to_string(&a).unwrap(), via_value(&answer));
}

#[test]
fn recorded_ensembl_answers_survive_unchanged() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/ensembl-rest");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let recorded: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let items = match recorded {
            Value::Array(items) => items,
            other => vec![other],
        };
        for item in items.into_iter().filter(Value::is_object) {
            let a = VariantAnnotation::try_from(item.clone())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!a.transcript_consequences.is_empty(), "{}", path.display());
            assert_eq!(serde_json::to_string(&a).unwrap(), via_value(&item));
            seen += 1;
        }
    }
    assert!(seen >= 4, "{seen} answers");
}

#[test]
fn custom_annotations_are_written_in_vep_s_shape_and_read_back() {
    let mut a = engine_like();
    a.custom_annotations.insert(
        "ClinVar".into(),
        vec![CustomAnnotation {
            name: "11236".into(),
            allele: Some("T".into()),
            fields: [("CLNSIG".to_string(), "Pathogenic".to_string())].into(),
        }],
    );
    let text = serde_json::to_string(&a).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(text, via_value(&value));
    assert_eq!(
        value["custom_annotations"],
        json!({"ClinVar": [{"allele": "T", "fields": {"CLNSIG": "Pathogenic"}, "name": 11236}]})
    );
    let back: VariantAnnotation = serde_json::from_str(&text).unwrap();
    assert_eq!(back, a);
    assert!(back.extra.is_empty());
}

#[test]
fn custom_annotations_of_another_shape_pass_through_unchanged() {
    let mut answer = serde_json::to_value(engine_like()).unwrap();
    answer["custom_annotations"] = json!({"x": [{"name": "1", "score": [1, 2]}]});
    let a = VariantAnnotation::try_from(answer.clone()).unwrap();
    assert!(a.custom_annotations.is_empty());
    assert_eq!(serde_json::to_string(&a).unwrap(), via_value(&answer));
    answer["custom_annotations"] = json!({});
    let a = VariantAnnotation::try_from(answer.clone()).unwrap();
    assert_eq!(serde_json::to_string(&a).unwrap(), via_value(&answer));
}
