//! Tab output on the real bundled engine; expected values are VEP 115.2's own answers for
//! rs142513484 (data/chr21/SOURCE.md, `t/Runner.t` assertion).

use std::path::Path;

use super::*;

fn annotate(input: &str) -> (Vec<String>, Summary) {
    let engine = Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data")).unwrap();
    let mut out = Vec::new();
    let summary = annotate_stream(&engine, input.as_bytes(), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    (text.lines().map(str::to_string).collect(), summary)
}

#[test]
fn one_row_per_transcript_with_vep_columns() {
    let (rows, summary) = annotate("21 25585733 rs142513484 C T\n");
    assert_eq!(
        summary,
        Summary {
            annotated: 1,
            failed: 0
        }
    );
    assert_eq!(rows[0], HEADER);
    let columns = HEADER.split('\t').count();
    assert!(
        rows.iter().all(|r| r.split('\t').count() == columns),
        "{rows:#?}"
    );
    // VEP: rs142513484 21:25585733 T ENSG00000154719 ENST00000352957 Transcript
    // missense_variant 1033 991 331 A/T Gca/Aca - IMPACT=MODERATE;STRAND=-1
    let row = rows
        .iter()
        .find(|r| r.split('\t').nth(4).and_then(|f| f.split('.').next()) == Some("ENST00000352957"))
        .unwrap();
    let cols: Vec<&str> = row.split('\t').collect();
    assert_eq!(
        &cols[..13],
        [
            "rs142513484",
            "21:25585733",
            "T",
            "ENSG00000154719",
            // VEP's own column: Ensembl ids without their version.
            "ENST00000352957",
            "Transcript",
            "missense_variant",
            "1033",
            "991",
            "331",
            "A/T",
            "Gca/Aca",
            "-"
        ]
    );
    assert!(cols[13].contains("IMPACT=MODERATE") && cols[13].contains("STRAND=-1"));
}

#[test]
fn failures_get_an_error_row() {
    let (rows, summary) = annotate("21 25585733 . G T\nNM_000000.1:c.1A>G\n");
    assert_eq!(
        summary,
        Summary {
            annotated: 0,
            failed: 2
        }
    );
    assert_eq!(rows.len(), 3);
    assert!(rows[1].ends_with("ERROR=reference_mismatch: reference allele mismatch: input has G but the reference has C at 21:25585733-25585733"));
    assert!(rows[2].starts_with("NM_000000.1:c.1A>G\t"));
    assert!(rows[2].contains("ERROR=unknown_transcript"));
}
