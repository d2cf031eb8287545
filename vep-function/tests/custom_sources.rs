//! `vep-function annotate --custom` as a user runs it: the test VCFs of `tests/data/custom`
//! (ClinVar, gnomAD and dbSNP conventions on the bundled regions; values and their origin in
//! its SOURCE.md) against a small input, in each output format and with threads.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/custom")
        .join(name)
}

fn clinvar_spec(file: &Path) -> String {
    format!(
        "file={},short_name=ClinVar,format=vcf,type=exact,coords=0,fields=CLNSIG%CLNREVSTAT%CLNDN",
        file.display()
    )
}

fn gnomad_spec() -> String {
    format!(
        "file={},short_name=gnomAD,format=vcf,type=exact,fields=AF%AF_nfe",
        data("gnomad.vcf.gz").display()
    )
}

/// The MRPL39 missense that the ClinVar test record names (C>T), the same site with another
/// allele, the site of the gnomAD/dbSNP test records, and a BRCA1 variant no source has.
const INPUT: &str = "##fileformat=VCFv4.2\n\
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
21\t25585733\tmatch\tC\tT\t.\t.\t.\n\
21\t25585733\tmismatch\tC\tG\t.\t.\t.\n\
21\t25585743\tcommon\tA\tG\t.\t.\t.\n\
17\t43106487\tnone\tA\tC\t.\t.\t.\n";

fn annotate(args: &[&str], input: &str) -> Output {
    let dir = std::env::temp_dir().join(format!("vep-custom-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("input-{}.vcf", args.len()));
    std::fs::write(&path, input).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_vep-function"))
        .arg("annotate")
        .arg("--input")
        .arg(&path)
        .args(args)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(path);
    output
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn json_carries_vep_s_custom_annotations_for_a_matching_allele_only() {
    let clinvar = clinvar_spec(&data("clinvar.vcf.gz"));
    let gnomad = gnomad_spec();
    let out = stdout(&annotate(
        &[
            "--format", "json", "--custom", &clinvar, "--custom", &gnomad,
        ],
        INPUT,
    ));
    let objects: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 4);
    // VEP's shape: custom_annotations.<short_name> = [{name, allele, fields}], numbers as
    // numbers (`numberify`), FILTER added to the requested fields.
    assert_eq!(
        objects[0]["custom_annotations"],
        json!({"ClinVar": [{"name": 11236, "allele": "T",
            "fields": {"CLNSIG": "Pathogenic", "FILTER": "."}}]})
    );
    assert!(
        objects[1].get("custom_annotations").is_none(),
        "allele mismatch: {}",
        objects[1]
    );
    assert_eq!(
        objects[2]["custom_annotations"]["ClinVar"][0]["fields"]["CLNSIG"],
        "Benign|risk_factor"
    );
    assert_eq!(
        objects[2]["custom_annotations"]["gnomAD"][0]["fields"]["AF"],
        json!(0.5481)
    );
    assert_eq!(
        objects[2]["custom_annotations"]["gnomAD"][0]["name"],
        "rs699"
    );
    assert!(objects[3].get("custom_annotations").is_none());
}

#[test]
fn vcf_and_tsv_carry_the_csq_fields_and_extra_keys() {
    let clinvar = clinvar_spec(&data("clinvar.vcf.gz"));
    let vcf = stdout(&annotate(&["--format", "vcf", "--custom", &clinvar], INPUT));
    assert!(vcf.contains("|MANE_SELECT|ClinVar|ClinVar_CLNSIG|ClinVar_CLNREVSTAT|ClinVar_CLNDN\">"));
    assert!(vcf.contains(
        "##INFO=<ID=ClinVar,Number=.,Type=String,Description=\"clinvar.vcf.gz (exact)\">"
    ));
    let record = vcf.lines().find(|l| l.contains("\tmatch\t")).unwrap();
    assert!(
        record.contains("|11236|Pathogenic||,") || record.ends_with("|11236|Pathogenic||"),
        "{record}"
    );
    let other = vcf.lines().find(|l| l.contains("\tmismatch\t")).unwrap();
    assert!(!other.contains("11236"), "{other}");
    let tsv = stdout(&annotate(&["--format", "tsv", "--custom", &clinvar], INPUT));
    let row = tsv.lines().find(|l| l.starts_with("match\t")).unwrap();
    assert!(
        row.ends_with(";ClinVar=11236;ClinVar_CLNSIG=Pathogenic"),
        "{row}"
    );
}

#[test]
fn threads_write_what_one_thread_writes() {
    let clinvar = clinvar_spec(&data("clinvar.vcf.gz"));
    let gnomad = gnomad_spec();
    // Enough lines for several parts of 1024.
    let mut input = String::from(INPUT);
    for _ in 0..800 {
        input.push_str(&INPUT.lines().skip(2).collect::<Vec<_>>().join("\n"));
        input.push('\n');
    }
    for format in ["vcf", "json"] {
        let args = |threads: &'static str| {
            vec![
                "--format",
                format,
                "--threads",
                threads,
                "--custom",
                &clinvar,
                "--custom",
                &gnomad,
            ]
        };
        let one = stdout(&annotate(&args("1"), &input));
        let two = stdout(&annotate(&args("2"), &input));
        assert_eq!(one, two, "{format}");
        let pathogenic = one.lines().filter(|l| l.contains("Pathogenic")).count();
        assert_eq!(pathogenic, 801, "{format}");
    }
}

#[test]
fn a_source_without_its_index_stops_the_run_with_a_typed_error() {
    let dir = std::env::temp_dir().join(format!("vep-custom-noindex-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("clinvar.vcf.gz");
    std::fs::copy(data("clinvar.vcf.gz"), &copy).unwrap();
    let output = annotate(&["--custom", &clinvar_spec(&copy)], INPUT);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("[custom_source_unavailable]"), "{stderr}");
    assert!(stderr.contains("tabix -p vcf"), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing is annotated");
    let bad = annotate(&["--custom", "file=x.vcf.gz,format=bed"], INPUT);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("format \"bed\" is not supported"));
    std::fs::remove_dir_all(dir).unwrap();
}
