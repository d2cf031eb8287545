//! Index round trips on the real bundled chr21 gene models and FASTA.

use std::path::PathBuf;

use super::*;
use crate::engine::models::loaders::gff3;
use crate::engine::predict::effects::Effects;
use crate::engine::{input::Allele, predict::AnnotateError, predict::Engine};

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
    // The file holds the transcripts contig by contig in genomic order.
    let mut sorted = contents.clone();
    sorted.transcripts.sort_by_key(|t| (t.start(), t.end()));
    assert_eq!(read_index(&path).unwrap(), sorted);

    let engine = Engine::load_index(&path).unwrap();
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
    // Inside a section, inside the directory, inside the header: refused at load already.
    for keep in [bytes.len() - 1, bytes.len() / 2, 30, 14] {
        std::fs::write(&path, &bytes[..keep]).unwrap();
        assert!(matches!(read_index(&path), Err(IndexError::Corrupt { .. })));
        match Engine::load_index(&path) {
            Err(IndexError::Corrupt { .. }) => {}
            other => panic!("{keep} bytes: expected a corrupt index, got {other:?}"),
        }
    }
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
        Engine::load_index(&path),
        Err(IndexError::StaleReference { .. })
    ));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn load_reads_only_the_directory_and_a_damaged_section_fails_when_first_used() {
    let dir = scratch("damaged");
    let path = dir.join("chr21.vepidx");
    write_index(&path, &chr21_contents()).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    // The middle of the chr21 section: after the directory, before the name tables.
    let at = bytes.len() / 2;
    bytes[at] ^= 0x55;
    std::fs::write(&path, &bytes).unwrap();

    let engine = Engine::load_index(&path).expect("the directory is intact");
    assert_eq!(engine.models().len(), 122);
    let allele = Allele::from_vcf(25585733, b"C", b"T");
    let mut effects = Effects::default();
    match engine.annotate_allele("21", &allele, &mut effects) {
        Err(AnnotateError::GeneModels(e)) => assert!(e.0.contains("checksum"), "{e}"),
        other => panic!("expected a gene models error, got {other:?}"),
    }
    assert!(matches!(read_index(&path), Err(IndexError::Corrupt { .. })));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn annotations_from_the_index_equal_those_from_the_gff3() {
    let dir = scratch("same-answers");
    let path = dir.join("chr21.vepidx");
    write_index(&path, &chr21_contents()).unwrap();
    let indexed = Engine::load_index(&path).unwrap();
    let parsed = Engine::load(
        &[data().join("Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz")],
        &[data().join("GRCh38.chr21.vep_test_region.fa.gz")],
    )
    .unwrap();
    let mut compared = 0;
    for pos in (25_000_000..25_600_000).step_by(997) {
        let reference = parsed.genome().sequence("21", pos, pos).unwrap();
        let alternate = if reference == b"A" { "C" } else { "A" };
        let variant = crate::engine::input::Variant {
            chrom: "21".into(),
            pos,
            id: None,
            reference: String::from_utf8(reference).unwrap(),
            alternate: alternate.into(),
            input: format!("21:{pos}"),
        };
        let (a, b) = (indexed.annotate(&variant), parsed.annotate(&variant));
        assert_eq!(
            serde_json::to_string(&a.unwrap()).unwrap(),
            serde_json::to_string(&b.unwrap()).unwrap()
        );
        compared += 1;
    }
    assert!(compared > 500);
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
    let engine = Engine::load_index(&after.join("index.vepidx")).unwrap();
    assert_eq!(engine.models().len(), 122);
    assert_eq!(
        engine.genome().sequence("21", 25585733, 25585733).unwrap(),
        b"C"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
