//! A test [`InputContext`] over the REAL bundled data (`data/chr21`, `data/brca1`): transcripts
//! read from the Ensembl-style GFF3 rows with a deliberately small reader (tests must not
//! depend on the production loader they may be used to check), reference from the bgzipped
//! FASTA through noodles.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use noodles::core::{Position, Region};
use noodles::fasta;

use super::{InputContext, InputError};
use crate::engine::models::transcript::{Coding, Interval, Strand, Transcript};

type Reader = fasta::io::IndexedReader<fasta::io::BufReader<std::fs::File>>;

pub(crate) struct TestContext {
    transcripts: HashMap<String, Transcript>,
    /// Gene symbol -> chosen transcript id (MANE Select, else the first one seen).
    genes: HashMap<String, String>,
    chrom: String,
    fasta: Mutex<Reader>,
}

pub(crate) fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

impl TestContext {
    pub(crate) fn brca1() -> Self {
        let dir = data_dir().join("brca1");
        Self::load(
            &dir.join("BRCA1.GRCh38.refseq_cdot.gff3.gz"),
            &dir.join("GRCh38.chr17.brca1_region.fa.gz"),
            "17",
        )
    }

    pub(crate) fn chr21() -> Self {
        let dir = data_dir().join("chr21");
        Self::load(
            &dir.join("Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz"),
            &dir.join("GRCh38.chr21.vep_test_region.fa.gz"),
            "21",
        )
    }

    fn load(gff: &Path, fasta_path: &Path, chrom: &str) -> Self {
        let file = std::fs::File::open(gff).expect("test GFF3 opens");
        let reader = BufReader::new(flate2::read::MultiGzDecoder::new(file));
        let mut transcripts: HashMap<String, Transcript> = HashMap::new();
        let mut gene_names: HashMap<String, String> = HashMap::new();
        let mut exons: HashMap<String, Vec<(u64, Interval)>> = HashMap::new();
        let mut cds: HashMap<String, Vec<(Interval, u8, String)>> = HashMap::new();
        for line in reader.lines() {
            let line = line.expect("test GFF3 reads");
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            let attrs: HashMap<&str, &str> = cols[8]
                .split(';')
                .filter_map(|kv| kv.split_once('='))
                .collect();
            let interval = Interval {
                start: cols[3].parse().unwrap(),
                end: cols[4].parse().unwrap(),
            };
            let parent = attrs
                .get("Parent")
                .and_then(|p| p.strip_prefix("transcript:"));
            match (cols[2], attrs.get("ID")) {
                (_, Some(id)) if id.starts_with("gene:") => {
                    if let Some(name) = attrs.get("Name") {
                        gene_names.insert(id.to_string(), name.to_string());
                    }
                }
                (_, Some(id)) if id.starts_with("transcript:") => {
                    let tx = Transcript {
                        id: id["transcript:".len()..].to_string(),
                        version: attrs.get("version").and_then(|v| v.parse().ok()),
                        gene_id: attrs.get("Parent").unwrap_or(&"").to_string(),
                        gene_symbol: None,
                        hgnc_id: None,
                        biotype: attrs.get("biotype").unwrap_or(&"").to_string(),
                        chrom: chrom.to_string(),
                        strand: if cols[6] == "-" {
                            Strand::Reverse
                        } else {
                            Strand::Forward
                        },
                        exons: Vec::new(),
                        coding: None,
                        canonical: false,
                        mane_select: attrs.get("tag").is_some_and(|t| t.contains("MANE_Select")),
                        mane_plus_clinical: false,
                        source: "test".to_string(),
                        derived: Default::default(),
                    };
                    transcripts.insert(tx.id.clone(), tx);
                }
                ("exon", _) => {
                    let rank = attrs.get("rank").and_then(|r| r.parse().ok()).unwrap_or(0);
                    exons
                        .entry(parent.unwrap().to_string())
                        .or_default()
                        .push((rank, interval));
                }
                ("CDS", _) => {
                    cds.entry(parent.unwrap().to_string()).or_default().push((
                        interval,
                        cols[7].parse().unwrap_or(0),
                        attrs.get("protein_id").unwrap_or(&"").to_string(),
                    ));
                }
                _ => {}
            }
        }
        let mut genes = HashMap::new();
        for tx in transcripts.values_mut() {
            tx.gene_symbol = gene_names.get(&tx.gene_id).cloned();
            let mut tx_exons = exons.remove(&tx.id).unwrap_or_default();
            tx_exons.sort_by_key(|(rank, _)| *rank);
            tx.exons = tx_exons.into_iter().map(|(_, e)| e).collect();
            if let Some(mut segments) = cds.remove(&tx.id) {
                segments.sort_by_key(|(i, _, _)| i.start);
                if tx.strand == Strand::Reverse {
                    segments.reverse();
                }
                tx.coding = Some(Coding {
                    start_phase: segments[0].1,
                    protein_id: Some(segments[0].2.clone()),
                    segments: segments.into_iter().map(|(i, _, _)| i).collect(),
                    start_incomplete: false,
                    end_incomplete: false,
                });
            }
            if let Some(symbol) = &tx.gene_symbol {
                if tx.mane_select || !genes.contains_key(symbol) {
                    genes.insert(symbol.clone(), tx.id.clone());
                }
            }
        }
        let fasta = fasta::io::indexed_reader::Builder::default()
            .build_from_path(fasta_path)
            .expect("test FASTA opens");
        TestContext {
            transcripts,
            genes,
            chrom: chrom.to_string(),
            fasta: Mutex::new(fasta),
        }
    }
}

impl InputContext for TestContext {
    fn canonical_chrom(&self, name: &str) -> Option<String> {
        let bare = name.strip_prefix("chr").unwrap_or(name);
        let alias = match self.chrom.as_str() {
            "17" => "NC_000017.11",
            _ => "NC_000021.9",
        };
        (bare == self.chrom || name == alias).then(|| self.chrom.clone())
    }

    fn transcript(&self, id: &str) -> Result<Option<&Transcript>, InputError> {
        Ok(self.transcripts.get(id))
    }

    fn gene_transcript(&self, symbol: &str) -> Result<Option<&Transcript>, InputError> {
        Ok(self
            .genes
            .get(symbol)
            .and_then(|id| self.transcripts.get(id)))
    }

    fn reference(&self, chrom: &str, start: u64, end: u64) -> Option<Vec<u8>> {
        let region = Region::new(
            chrom,
            Position::try_from(usize::try_from(start).ok()?).ok()?
                ..=Position::try_from(usize::try_from(end).ok()?).ok()?,
        );
        let mut fasta = self.fasta.lock().ok()?;
        let record = fasta.query(&region).ok()?;
        Some(record.sequence().as_ref().to_ascii_uppercase())
    }
}
