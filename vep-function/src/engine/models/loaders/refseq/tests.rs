//! The RefSeq loader against VEP's real NCBI RefSeq GFF3 test file.

use std::path::PathBuf;

use super::*;
use crate::engine::models::loaders::gff3;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn refseq() -> Vec<Transcript> {
    read_path(&manifest().join("tests/data/ensembl-vep-chr21/refseq.gff.gz")).unwrap()
}

#[test]
fn reads_every_transcript_with_nc_seqid_as_chromosome_21() {
    let transcripts = refseq();
    // 37 mRNA + 31 ncRNA + 8 misc_RNA + 2 miRNA precursors = 78 rows, less the 3 mature
    // miRNA ncRNA rows: those have no transcript_id (they are products, not transcripts).
    assert_eq!(transcripts.len(), 75);
    assert!(transcripts
        .iter()
        .all(|t| t.chrom == "21" && t.source == "RefSeq"));
}

#[test]
fn mrpl39_refseq_transcript_carries_ids_from_dbxref() {
    let transcripts = refseq();
    let t = transcripts.iter().find(|t| t.id == "NM_017446").unwrap();
    assert_eq!(t.version, Some(3));
    assert_eq!(t.gene_id, "54148");
    assert_eq!(t.gene_symbol.as_deref(), Some("MRPL39"));
    assert_eq!(t.hgnc_id.as_deref(), Some("HGNC:14027"));
    assert_eq!(t.biotype, "protein_coding");
    assert_eq!(t.strand, Strand::Reverse);
    let coding = t.coding.as_ref().unwrap();
    assert_eq!(coding.protein_id.as_deref(), Some("NP_059142.2"));
}

#[test]
fn same_ccds_gives_the_same_cds_as_the_ensembl_model() {
    // NM_017446.3 and ENST00000352957 share CCDS13573.1: identical CDS segments.
    let ensembl = gff3::read_path(
        &manifest().join("data/chr21/Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz"),
    )
    .unwrap();
    let enst = ensembl.iter().find(|t| t.id == "ENST00000352957").unwrap();
    let transcripts = refseq();
    let nm = transcripts.iter().find(|t| t.id == "NM_017446").unwrap();
    assert_eq!(
        nm.coding.as_ref().unwrap().segments,
        enst.coding.as_ref().unwrap().segments
    );
}

#[test]
fn biotypes_follow_feature_type_and_ncrna_class() {
    let transcripts = refseq();
    let biotype = |id: &str| {
        transcripts
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.biotype.clone())
    };
    assert_eq!(biotype("NR_109963").as_deref(), Some("lncRNA"));
    assert_eq!(biotype("NR_072999").as_deref(), Some("misc_RNA"));
    assert_eq!(biotype("NR_030784").as_deref(), Some("miRNA"));
}

#[test]
fn transcript_without_exons_is_an_error() {
    let text = "NC_000021.9\tBestRefSeq\tmRNA\t1\t10\t.\t+\t.\tID=rna1;transcript_id=NM_1.1\n";
    assert!(matches!(read(text.as_bytes()), Err(ModelFileError::NoExons(id)) if id == "NM_1.1"));
}

#[test]
fn grch37_accession_maps_to_the_same_chromosome() {
    let text =
        "NC_000017.10\tBestRefSeq\tmRNA\t1\t10\t.\t-\t.\tID=rna-NM_1.1;transcript_id=NM_1.1\n\
                NC_000017.10\tBestRefSeq\texon\t1\t10\t.\t-\t.\tParent=rna-NM_1.1\n";
    let transcripts = read(text.as_bytes()).unwrap();
    assert_eq!(transcripts[0].chrom, "17");
}

proptest::proptest! {
    #[test]
    fn reader_never_panics_on_arbitrary_rows(
        rows in proptest::collection::vec("[0-9A-Za-z=;%,: \t._+-]{0,80}", 0..6)
    ) {
        let _ = read(rows.join("\n").as_bytes());
    }
}
