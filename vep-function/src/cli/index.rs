//! `vep-function index`: parse gene models once (GFF3, GTF, RefSeq GFF3) and write the
//! compact index that `annotate --index` and the function load at start-up.

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use crate::engine::predict::ModelFile;
use crate::engine::{
    models::genome::{Genome, GenomeError},
    models::index::{write_index, IndexContents, IndexError},
    models::transcript::Transcript,
};

#[derive(Debug, Clone, clap::Args)]
pub struct IndexArgs {
    /// Ensembl GFF3 gene models (plain or gzip/bgzip); repeatable.
    #[arg(long)]
    pub gff: Vec<PathBuf>,
    /// Ensembl GTF gene models; repeatable.
    #[arg(long)]
    pub gtf: Vec<PathBuf>,
    /// NCBI RefSeq GFF3 gene models (`NC_` seqids); repeatable.
    #[arg(long)]
    pub refseq: Vec<PathBuf>,
    /// Indexed reference FASTA (plain + .fai, or bgzip + .fai + .gzi); repeatable. The index
    /// records its path (relative to the index's directory when it lies under it, else
    /// absolute), not its sequence.
    #[arg(long, required = true)]
    pub fasta: Vec<PathBuf>,
    /// Assembly name reported in annotations.
    #[arg(long, default_value = "GRCh38")]
    pub assembly: String,
    /// Where to write the index.
    #[arg(long, short)]
    pub output: PathBuf,
}

/// What to index; the paths of [`IndexArgs`], also used by `reference fetch`.
#[derive(Debug, Clone, Copy)]
pub struct IndexInputs<'a> {
    pub gff: &'a [PathBuf],
    pub gtf: &'a [PathBuf],
    pub refseq: &'a [PathBuf],
    pub fasta: &'a [PathBuf],
    pub assembly: &'a str,
    pub output: &'a Path,
}

/// What [`build`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexReport {
    pub transcripts: usize,
    /// Transcripts on contigs none of the FASTA files has.
    pub unplaced: usize,
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("no gene models given: pass --gff, --gtf or --refseq")]
    NoGeneModels,
    #[error("reading {path}: {reason}")]
    GeneModels { path: PathBuf, reason: String },
    #[error("opening {path}: {source}")]
    Fasta { path: PathBuf, source: GenomeError },
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// Parses the gene models, checks every FASTA opens, and writes the index.
pub fn build(inputs: &IndexInputs) -> Result<IndexReport, BuildError> {
    if inputs.gff.is_empty() && inputs.gtf.is_empty() && inputs.refseq.is_empty() {
        return Err(BuildError::NoGeneModels);
    }
    let files = (inputs.gff.iter().cloned().map(ModelFile::Gff3))
        .chain(inputs.gtf.iter().cloned().map(ModelFile::Gtf))
        .chain(inputs.refseq.iter().cloned().map(ModelFile::RefSeq));
    let mut transcripts: Vec<Transcript> = Vec::new();
    for file in files {
        transcripts.extend(file.read().map_err(|e| BuildError::GeneModels {
            path: file.path().to_path_buf(),
            reason: e.to_string(),
        })?);
    }
    // Open every FASTA now: a missing .fai/.gzi fails here, not at the first cold start.
    let mut genome = Genome::new();
    for path in inputs.fasta {
        genome.add_fasta(path).map_err(|source| BuildError::Fasta {
            path: path.clone(),
            source,
        })?;
    }
    let unplaced = transcripts
        .iter()
        .filter(|t| genome.resolve(&t.chrom).is_none())
        .count();
    let count = transcripts.len();
    let contents = IndexContents::new(inputs.assembly, inputs.fasta, transcripts)?;
    write_index(inputs.output, &contents)?;
    let bytes = std::fs::metadata(inputs.output)
        .map(|m| m.len())
        .unwrap_or(0);
    Ok(IndexReport {
        transcripts: count,
        unplaced,
        bytes,
    })
}

pub fn run(args: IndexArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let report = build(&IndexInputs {
        gff: &args.gff,
        gtf: &args.gtf,
        refseq: &args.refseq,
        fasta: &args.fasta,
        assembly: &args.assembly,
        output: &args.output,
    })?;
    eprintln!(
        "indexed {} transcript(s) into {} ({} bytes) in {:.1}s",
        report.transcripts,
        args.output.display(),
        report.bytes,
        started.elapsed().as_secs_f64()
    );
    if report.unplaced > 0 {
        eprintln!(
            "note: {} transcript(s) lie on contigs absent from the FASTA files",
            report.unplaced
        );
    }
    Ok(())
}
