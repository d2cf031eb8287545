//! Index round trips on the real bundled chr21 gene models and FASTA.

use std::path::PathBuf;

use super::*;
use crate::engine::gff3;

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/chr21")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vep-index-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn chr21_contents() -> IndexContents {
    let transcripts =
        gff3::read_path(&data().join("Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz")).unwrap();
    IndexContents::new(
        "GRCh38",
        &[data().join("GRCh38.chr21.vep_test_region.fa.gz")],
        transcripts,
    )
    .unwrap()
}

#[test]
fn round_trip_keeps_every_transcript_and_the_reference() {
    let dir = scratch("round-trip");
    let path = dir.join("chr21.vepidx");
    let contents = chr21_contents();
    write_index(&path, &contents).unwrap();
    assert_eq!(read_index(&path).unwrap(), contents);

    let engine = load_index(&path).unwrap();
    assert_eq!(engine.models().len(), 122);
    // data/chr21/SOURCE.md: rs142513484 21:25585733 has REF C.
    assert_eq!(
        engine.genome().sequence("21", 25585733, 25585733).unwrap(),
        b"C"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn another_format_version_is_refused() {
    let dir = scratch("version");
    let path = dir.join("old.vepidx");
    write_index(&path, &chr21_contents()).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    match read_index(&path) {
        Err(IndexError::Version {
            found, expected, ..
        }) => {
            assert_eq!((found, expected), (FORMAT_VERSION + 1, FORMAT_VERSION))
        }
        other => panic!("expected a version error, got {other:?}"),
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn foreign_and_truncated_files_are_typed_errors() {
    let dir = scratch("foreign");
    let gff = data().join("Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz");
    assert!(matches!(
        read_index(&gff),
        Err(IndexError::NotAnIndex { .. })
    ));

    let path = dir.join("cut.vepidx");
    write_index(&path, &chr21_contents()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(read_index(&path), Err(IndexError::Corrupt { .. })));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_replaced_reference_is_noticed_at_load() {
    let dir = scratch("stale");
    let fasta = dir.join("ref.fa.gz");
    for ext in ["", ".fai", ".gzi"] {
        let name = format!("GRCh38.chr21.vep_test_region.fa.gz{ext}");
        std::fs::copy(data().join(name), dir.join(format!("ref.fa.gz{ext}"))).unwrap();
    }
    let path = dir.join("stale.vepidx");
    write_index(
        &path,
        &IndexContents::new("GRCh38", std::slice::from_ref(&fasta), Vec::new()).unwrap(),
    )
    .unwrap();
    let mut bytes = std::fs::read(&fasta).unwrap();
    bytes.extend_from_slice(b"\n");
    std::fs::write(&fasta, bytes).unwrap();
    assert!(matches!(
        load_index(&path),
        Err(IndexError::StaleReference { .. })
    ));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_fasta_beside_the_index_is_recorded_relative_so_the_directory_can_move() {
    let dir = scratch("relative");
    let before = dir.join("reference.partial");
    std::fs::create_dir_all(&before).unwrap();
    for ext in ["", ".fai", ".gzi"] {
        let name = format!("GRCh38.chr21.vep_test_region.fa.gz{ext}");
        std::fs::copy(data().join(name), before.join(format!("genome.fa.gz{ext}"))).unwrap();
    }
    let transcripts =
        gff3::read_path(&data().join("Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz")).unwrap();
    let contents =
        IndexContents::new("GRCh38", &[before.join("genome.fa.gz")], transcripts).unwrap();
    write_index(&before.join("index.vepidx"), &contents).unwrap();
    let recorded = read_index(&before.join("index.vepidx")).unwrap();
    assert_eq!(recorded.fastas[0].path, PathBuf::from("genome.fa.gz"));

    let after = dir.join("reference");
    std::fs::rename(&before, &after).unwrap();
    let engine = load_index(&after.join("index.vepidx")).unwrap();
    assert_eq!(engine.models().len(), 122);
    assert_eq!(
        engine.genome().sequence("21", 25585733, 25585733).unwrap(),
        b"C"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
