//! The GTF loader against the real VEP test GTF and the bundled GFF3 of the same release.

use std::collections::HashMap;
use std::path::PathBuf;

use super::*;
use crate::engine::models::loaders::gff3;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn gtf() -> Vec<Transcript> {
    read_path(&manifest().join("tests/data/ensembl-vep-chr21/test.gtf.gz")).unwrap()
}

#[test]
fn reads_every_transcript_of_the_vep_test_gtf() {
    let transcripts = gtf();
    assert_eq!(transcripts.len(), 103);
    assert!(transcripts
        .iter()
        .all(|t| t.chrom == "21" && !t.exons.is_empty()));
}

#[test]
fn gtf_and_gff3_give_equal_transcripts_for_shared_ids() {
    let gff3 = gff3::read_path(
        &manifest().join("data/chr21/Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz"),
    )
    .unwrap();
    let by_id: HashMap<&str, &Transcript> = gff3.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut compared = 0;
    let mut coding = 0;
    for from_gtf in gtf() {
        let Some(from_gff3) = by_id.get(from_gtf.id.as_str()) else {
            continue;
        };
        // Release-84 GFF3 carries no cds_start_NF/cds_end_NF tags, the GTF does: compare the
        // structure both formats express.
        let mut expected = (*from_gff3).clone();
        let mut actual = from_gtf.clone();
        for t in [&mut expected, &mut actual] {
            if let Some(c) = t.coding.as_mut() {
                c.start_incomplete = false;
                c.end_incomplete = false;
            }
        }
        assert_eq!(actual, expected, "{}", from_gtf.id);
        compared += 1;
        coding += usize::from(actual.coding.is_some());
    }
    assert!(compared >= 60, "only {compared} shared transcripts");
    assert!(coding >= 20, "only {coding} shared coding transcripts");
}

#[test]
fn stop_codon_rows_extend_the_cds_like_gff3() {
    // ENST00000352957 (MRPL39, reverse strand): GTF CDS ends at 25585710, its stop codon is
    // 25585707-25585709; the GFF3 CDS row is 25585707-25585754.
    let transcripts = gtf();
    let mrpl39 = transcripts
        .iter()
        .find(|t| t.id == "ENST00000352957")
        .unwrap();
    let coding = mrpl39.coding.as_ref().unwrap();
    let last = coding.segments.last().unwrap();
    assert_eq!((last.start, last.end), (25585707, 25585754));
    assert_eq!(mrpl39.version, Some(8));
    assert_eq!(mrpl39.gene_symbol.as_deref(), Some("MRPL39"));
}

#[test]
fn malformed_rows_are_typed_errors() {
    let short = "21\thavana\texon\t1\t2\t.\t+\n";
    assert!(matches!(
        read(short.as_bytes()),
        Err(ModelFileError::Columns { line: 1, found: 7 })
    ));
    let bad_strand = "21\th\texon\t1\t2\t.\t*\t.\ttranscript_id \"T1\";\n";
    assert!(matches!(
        read(bad_strand.as_bytes()),
        Err(ModelFileError::Invalid {
            field: "strand",
            ..
        })
    ));
    let reversed = "21\th\texon\t5\t2\t.\t+\t.\ttranscript_id \"T1\";\n";
    assert!(matches!(
        read(reversed.as_bytes()),
        Err(ModelFileError::Invalid {
            field: "interval",
            ..
        })
    ));
}

#[test]
fn cds_without_exons_is_an_error() {
    let only_cds = "21\th\tCDS\t1\t3\t.\t+\t0\ttranscript_id \"T1\";\n";
    assert!(matches!(read(only_cds.as_bytes()), Err(ModelFileError::NoExons(id)) if id == "T1"));
}

proptest::proptest! {
    #[test]
    fn reader_never_panics_on_arbitrary_rows(
        rows in proptest::collection::vec("[0-9a-z\"; \t._+-]{0,80}", 0..6)
    ) {
        let _ = read(rows.join("\n").as_bytes());
    }
}
