//! VCF output on the real bundled engine; expected values are VEP 115.2's own answers for
//! rs142513484 (data/chr21/SOURCE.md).

use std::path::Path;
use std::sync::OnceLock;

use contract::output::csq::CSQ_FIELDS;

use super::*;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data")).unwrap()
    })
}

fn annotate(input: &str) -> (String, Summary) {
    let mut out = Vec::new();
    let summary = annotate_stream(engine(), input.as_bytes(), &mut out).unwrap();
    (String::from_utf8(out).unwrap(), summary)
}

/// The CSQ entry of `feature` in a record line, as field name -> value.
fn csq_of(record: &str, feature: &str) -> Vec<(&'static str, String)> {
    let info = record.split('\t').nth(7).unwrap();
    let csq = info
        .split(';')
        .find_map(|kv| kv.strip_prefix("CSQ="))
        .unwrap();
    let entry = csq
        .split(',')
        .find(|e| e.split('|').nth(6).and_then(|f| f.split('.').next()) == Some(feature))
        .unwrap_or_else(|| panic!("no CSQ entry for {feature} in {csq}"));
    let values: Vec<String> = entry.split('|').map(str::to_string).collect();
    assert_eq!(values.len(), CSQ_FIELDS.len());
    CSQ_FIELDS.iter().copied().zip(values).collect()
}

const INPUT: &str = "##fileformat=VCFv4.2\n\
##contig=<ID=21>\n\
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
21\t25585733\trs142513484\tC\tT\t50\tPASS\tDP=10\n";

#[test]
fn header_declares_csq_before_the_column_line_and_keeps_input_meta() {
    let (out, _) = annotate(INPUT);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "##fileformat=VCFv4.2");
    assert_eq!(lines[1], "##contig=<ID=21>");
    assert!(lines[2].starts_with("##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp|cDNA_position|CDS_position|Protein_position|Amino_acids|Codons|Existing_variation|DISTANCE|STRAND|FLAGS|SYMBOL_SOURCE|HGNC_ID|CANONICAL|MANE_SELECT\">"));
    assert!(lines[4].starts_with("#CHROM"));
}

#[test]
fn record_keeps_its_columns_and_gains_vep_csq() {
    let (out, summary) = annotate(INPUT);
    assert_eq!(
        summary,
        Summary {
            annotated: 1,
            failed: 0
        }
    );
    let record = out.lines().last().unwrap();
    assert!(record.starts_with("21\t25585733\trs142513484\tC\tT\t50\tPASS\tDP=10;CSQ="));
    let csq = csq_of(record, "ENST00000352957");
    let get = |k: &str| csq.iter().find(|(n, _)| *n == k).unwrap().1.clone();
    assert_eq!(get("Allele"), "T");
    assert_eq!(get("Consequence"), "missense_variant");
    assert_eq!(get("IMPACT"), "MODERATE");
    assert_eq!(get("SYMBOL"), "MRPL39");
    assert_eq!(get("Gene"), "ENSG00000154719");
    assert_eq!(get("CDS_position"), "991");
    assert_eq!(get("Protein_position"), "331");
    assert_eq!(get("Amino_acids"), "A/T");
    assert_eq!(get("Codons"), "Gca/Aca");
    assert_eq!(get("STRAND"), "-1");
    let utr = csq_of(record, "ENST00000307301");
    assert_eq!(utr[1].1, "3_prime_UTR_variant");
}

#[test]
fn failed_records_stay_with_vep_error() {
    let (out, summary) = annotate("21\t25585733\tbad\tG\tT\t.\t.\t.\n");
    assert_eq!(
        summary,
        Summary {
            annotated: 0,
            failed: 1
        }
    );
    let record = out.lines().last().unwrap();
    assert!(
        record.starts_with("21\t25585733\tbad\tG\tT\t.\t.\tVEP_ERROR=reference_mismatch:%20"),
        "{record}"
    );
}

#[test]
fn hgvs_input_becomes_a_vcf_record_and_garbage_a_comment() {
    let (out, summary) = annotate("ENST00000352957.8:c.991G>A\nnot a variant\n");
    assert_eq!(
        summary,
        Summary {
            annotated: 1,
            failed: 1
        }
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "##fileformat=VCFv4.2");
    let record = lines.iter().find(|l| l.starts_with("21\t")).unwrap();
    assert!(record.starts_with("21\t25585733\tENST00000352957.8:c.991G>A\tC\tT\t.\t.\tCSQ="));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("##VEP_ERROR=<Input=\"not a variant\",Error=\"unparsable")));
}
