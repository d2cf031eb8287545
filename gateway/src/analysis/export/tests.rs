//! Exports rendered from a spool: JSON Lines, VCF with CSQ, TSV; unavailable inputs named.

use serde_json::{json, Value};

use super::*;
use crate::analysis::scratch::Scratch;

/// Three records in chunks of two: chunk 0's part has one annotation and one per-variant
/// error, chunk 1 failed as a whole.
fn spooled() -> (Scratch, SpoolMeta) {
    let dir = Scratch::new("gw-export");
    std::fs::create_dir_all(dir.path().join("parts")).expect("dir");
    std::fs::write(
        dir.path().join("header.vcf"),
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n",
    )
    .expect("header");
    std::fs::write(
        dir.path().join("records.vcf"),
        "21\t100\trs1\tC\tT\t.\tPASS\tDP=3\n21\t200\t.\tG\tZ\t.\t.\t.\n21\t300\t.\tA\tG\n",
    )
    .expect("records");
    let part0: Annotated = serde_json::from_value(json!({
        "analysis_id": "a", "session_id": "s", "chunk_index": 0, "chunk_count": 2,
        "first_index": 0, "variant_count": 2, "part_index": 0, "part_count": 1,
        "annotator": {"backend": "local", "version": "test"},
        "annotations": [{"input": "21\t100\trs1\tC\tT", "input_index": 0, "id": "rs1",
            "seq_region_name": "21", "start": 100, "end": 100, "allele_string": "C/T",
            "most_severe_consequence": "missense_variant",
            "transcript_consequences": [{"variant_allele": "T", "consequence_terms": ["missense_variant"],
                "impact": "MODERATE", "gene_symbol": "G1", "gene_id": "ENSG1", "transcript_id": "ENST1",
                "biotype": "protein_coding", "cds_start": 5, "cds_end": 5, "strand": -1}],
            "custom_annotations": {"ClinVar": [{"name": 11236, "allele": "T",
                "fields": {"CLNSIG": "Pathogenic", "FILTER": "."}}]}}],
        "errors": [{"input": "21\t200\t.\tG\tZ", "input_index": 1, "code": "invalid_allele", "message": "ALT Z"}]
    }))
    .expect("a part");
    std::fs::write(
        dir.path().join("parts/00000000000000000000-2.part"),
        contract::wire::encode(&part0),
    )
    .expect("part");
    std::fs::write(
        dir.path().join("parts/00000000000000000002-1.err"),
        json!({"code": "chunk_timeout", "message": "no result"}).to_string(),
    )
    .expect("error");
    let meta = SpoolMeta {
        analysis_id: "a".into(),
        request_id: "r".into(),
        variant_count: 3,
        chunk_count: 2,
        token_sha256: None,
        session_id: None,
        frames: "none".into(),
    };
    (dir, meta)
}

fn export(format: Format) -> String {
    export_with(format, &CustomColumns::default())
}

fn export_with(format: Format, columns: &CustomColumns) -> String {
    let (dir, meta) = spooled();
    let mut out = Vec::new();
    write(dir.path(), &meta, format, columns, &mut out).expect("export");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn jsonl_has_every_variant_once_in_input_order() {
    let text = export(Format::Jsonl);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let indexes: Vec<u64> = lines
        .iter()
        .map(|l| l["input_index"].as_u64().expect("index"))
        .collect();
    assert_eq!(indexes, [0, 1, 2]);
    assert_eq!(lines[1]["code"], "invalid_allele");
    assert_eq!(lines[2]["code"], "chunk_timeout");
    assert_eq!(lines[2]["input"], "21\t300\t.\tA\tG");
}

#[test]
fn an_input_no_spooled_range_holds_is_reported_unavailable_never_dropped() {
    let (dir, meta) = spooled();
    std::fs::remove_file(dir.path().join("parts/00000000000000000002-1.err")).expect("remove");
    std::fs::write(
        dir.path().join("parts/00000000000000000000-2.part"),
        b"garbage",
    )
    .expect("write");
    let mut out = Vec::new();
    write(
        dir.path(),
        &meta,
        Format::Jsonl,
        &CustomColumns::default(),
        &mut out,
    )
    .expect("export");
    let lines: Vec<Value> = String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let codes: Vec<&str> = lines
        .iter()
        .map(|l| l["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(codes, ["result_unavailable"; 3]);
}

#[test]
fn vcf_keeps_the_records_and_adds_csq_or_the_error() {
    let text = export(Format::Vcf);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "##fileformat=VCFv4.2");
    assert!(lines[1].starts_with("##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Gene|"));
    assert_eq!(lines[3], VCF_COLUMNS_FOR_TEST);
    assert_eq!(
        lines[4],
        "21\t100\trs1\tC\tT\t.\tPASS\tDP=3;CSQ=T|missense_variant|MODERATE|G1|ENSG1|Transcript|ENST1|protein_coding||||||5||||||-1|||||"
    );
    assert_eq!(
        lines[5],
        "21\t200\t.\tG\tZ\t.\t.\tVEP_ERROR=invalid_allele:%20ALT%20Z"
    );
    assert_eq!(
        lines[6],
        "21\t300\t.\tA\tG\t.\t.\tVEP_ERROR=chunk_timeout:%20no%20result"
    );
    assert_eq!(lines.len(), 7);
}

const VCF_COLUMNS_FOR_TEST: &str = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO";

#[test]
fn tsv_has_a_row_per_consequence_and_per_failed_variant() {
    let text = export(Format::Tsv);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("#Uploaded_variation\tLocation\tAllele"));
    assert_eq!(lines.len(), 4);
    assert!(
        lines[1].starts_with("rs1\t21:100\tT\tENSG1\tENST1\tTranscript\tmissense_variant\t-\t5\t")
    );
    assert_eq!(
        lines[2],
        "21_200_G/Z\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\tERROR=invalid_allele: ALT Z"
    );
    assert!(lines[3].starts_with("21_300_A/G\t-"));
}

#[test]
fn format_names_are_parsed_and_others_refused() {
    assert_eq!("vcf".parse(), Ok(Format::Vcf));
    assert_eq!("xml".parse::<Format>(), Err(UnknownFormat("xml".into())));
}

#[test]
fn downloads_carry_the_custom_columns_of_vep_custom() {
    let spec: contract::custom::SourceSpec =
        "file=/srv/clinvar.vcf.gz,short_name=ClinVar,format=vcf,type=exact,fields=CLNSIG%CLNDN"
            .parse()
            .expect("spec");
    let columns = CustomColumns::from_specs(&[spec]);
    let vcf = export_with(Format::Vcf, &columns);
    let lines: Vec<&str> = vcf.lines().collect();
    assert!(lines[1].ends_with("|MANE_SELECT|ClinVar|ClinVar_CLNSIG|ClinVar_CLNDN\">"));
    assert!(lines[2].starts_with("##INFO=<ID=ClinVar,"));
    let record = lines
        .iter()
        .find(|l| l.starts_with("21\t100\t"))
        .expect("record");
    assert!(record.ends_with("|-1||||||11236|Pathogenic|"), "{record}");
    let tsv = export_with(Format::Tsv, &columns);
    assert!(
        tsv.lines()
            .nth(1)
            .expect("row")
            .ends_with(";STRAND=-1;ClinVar=11236;ClinVar_CLNSIG=Pathogenic"),
        "{tsv}"
    );
    // JSON Lines carry the annotation's records whatever the columns.
    assert!(export(Format::Jsonl).contains(r#""custom_annotations":{"ClinVar":[{"allele":"T","fields":{"CLNSIG":"Pathogenic","FILTER":"."},"name":11236}]}"#));
}
