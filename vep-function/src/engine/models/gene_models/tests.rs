//! Look-ups on the bundled chr21 models, eager and lazily loaded.

use std::path::Path;

use super::*;
use crate::engine::models::loaders::gff3;

fn chr21_transcripts() -> Vec<Transcript> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/chr21/Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz"
    );
    gff3::read_path(Path::new(path)).unwrap()
}

fn chr21() -> GeneModels {
    GeneModels::new(chr21_transcripts())
}

/// Serves grouped transcripts like an index file would, or failing as a broken disk would.
#[derive(Debug)]
struct Served {
    contigs: Vec<Vec<Transcript>>,
    names: Names,
    fail: bool,
}

impl ModelSource for Served {
    fn contig(&self, i: usize) -> Result<Vec<Transcript>, ModelsError> {
        if self.fail {
            return Err(ModelsError("disk on fire".into()));
        }
        Ok(self.contigs[i].clone())
    }

    fn names(&self) -> Result<Names, ModelsError> {
        if self.fail {
            return Err(ModelsError("disk on fire".into()));
        }
        Ok(self.names.clone())
    }
}

fn lazy(transcripts: Vec<Transcript>, fail: bool) -> GeneModels {
    let (contigs, names) = group_by_contig(&transcripts);
    let directory: Vec<(String, usize)> =
        contigs.iter().map(|(c, t)| (c.clone(), t.len())).collect();
    let served = Served {
        contigs: contigs
            .into_iter()
            .map(|(_, positions)| positions.iter().map(|&i| transcripts[i].clone()).collect())
            .collect(),
        names,
        fail,
    };
    GeneModels::lazy(directory, Box::new(served))
}

#[test]
fn finds_overlapping_transcripts_like_a_linear_scan() {
    let models = chr21();
    for (start, end) in [(25585733, 25585733), (25_000_000, 25_100_000), (1, 10)] {
        let mut fast: Vec<&str> = models
            .overlapping("21", start, end)
            .unwrap()
            .map(|t| t.id.as_str())
            .collect();
        let mut slow: Vec<&str> = models
            .all()
            .unwrap()
            .filter(|t| t.start() <= end && t.end() >= start)
            .map(|t| t.id.as_str())
            .collect();
        fast.sort();
        slow.sort();
        assert_eq!(fast, slow);
    }
    assert!(models.overlapping("22", 1, 100).unwrap().next().is_none());
}

#[test]
fn overlapping_transcripts_come_in_span_order_with_ties_in_gene_model_order() {
    let transcripts = chr21_transcripts();
    let models = GeneModels::new(transcripts.clone());
    let got: Vec<&str> = models
        .overlapping("21", 1, u64::MAX / 2)
        .unwrap()
        .map(|t| t.id.as_str())
        .collect();
    let mut want: Vec<&Transcript> = transcripts.iter().collect();
    want.sort_by_key(|t| (t.start(), t.end()));
    let want: Vec<&str> = want.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(got, want);
}

#[test]
fn looks_up_transcripts_with_and_without_version() {
    let models = chr21();
    assert!(models.transcript("ENST00000352957").unwrap().is_some());
    assert!(models.transcript("ENST00000352957.8").unwrap().is_some());
    assert!(models.transcript("ENST00000352957.7").unwrap().is_none());
    assert!(models.gene_transcript("MRPL39").unwrap().is_some());
}

#[test]
fn lazy_models_read_a_contig_once_and_answer_like_eager_ones() {
    let mut transcripts = chr21_transcripts();
    // A second contig, so that reading one of two is visible.
    let mut moved = transcripts[0].clone();
    moved.chrom = "22".into();
    moved.id = "ENST_MOVED".into();
    transcripts.push(moved);
    let eager = GeneModels::new(transcripts.clone());
    let models = lazy(transcripts, false);
    let served = |m: &GeneModels| m.slots.iter().filter(|s| s.loaded.is_loaded()).count();
    assert_eq!(served(&models), 0, "nothing decoded at start");
    let ids = |m: &GeneModels| -> Vec<(usize, String)> {
        m.overlapping_indexed("21", 25_000_000, 26_000_000)
            .unwrap()
            .map(|(i, t)| (i, t.versioned_id()))
            .collect()
    };
    assert_eq!(ids(&models), ids(&eager));
    assert_eq!(served(&models), 1, "only chr21 decoded");
    assert_eq!(
        models.transcript("ENST_MOVED").unwrap().map(|t| &t.chrom),
        Some(&"22".to_string())
    );
    assert_eq!(served(&models), 2);
    assert_eq!(
        models
            .gene_transcript("MRPL39")
            .unwrap()
            .map(Transcript::versioned_id),
        eager
            .gene_transcript("MRPL39")
            .unwrap()
            .map(Transcript::versioned_id)
    );
    assert_eq!(models.all().unwrap().count(), eager.len());
}

#[test]
fn a_section_that_cannot_be_read_is_an_error_not_an_empty_answer() {
    let models = lazy(chr21_transcripts(), true);
    assert!(models.overlapping("21", 25585733, 25585733).is_err());
    assert!(models.transcript("ENST00000352957").is_err());
    assert!(models.gene_transcript("MRPL39").is_err());
    // A contig the models do not have is no error: there is nothing to read.
    assert!(models.overlapping("22", 1, 10).unwrap().next().is_none());
}
