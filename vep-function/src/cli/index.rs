//! `vep-function index`: parse gene models once (GFF3, GTF, RefSeq GFF3) and write the
//! compact index that `annotate --index` and the function load at start-up.

use std::{path::PathBuf, time::Instant};

use anyhow::{bail, Context};

use crate::engine::{
    genome::Genome,
    gff3, gtf,
    index::{write_index, IndexContents},
    refseq,
    transcript::Transcript,
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
    /// records its absolute path, not its sequence.
    #[arg(long, required = true)]
    pub fasta: Vec<PathBuf>,
    /// Assembly name reported in annotations.
    #[arg(long, default_value = "GRCh38")]
    pub assembly: String,
    /// Where to write the index.
    #[arg(long, short)]
    pub output: PathBuf,
}

pub fn run(args: IndexArgs) -> anyhow::Result<()> {
    if args.gff.is_empty() && args.gtf.is_empty() && args.refseq.is_empty() {
        bail!("no gene models given: pass --gff, --gtf or --refseq");
    }
    let started = Instant::now();
    let mut transcripts: Vec<Transcript> = Vec::new();
    for path in &args.gff {
        let loaded =
            gff3::read_path(path).with_context(|| format!("reading {}", path.display()))?;
        transcripts.extend(loaded);
    }
    for path in &args.gtf {
        let loaded = gtf::read_path(path).with_context(|| format!("reading {}", path.display()))?;
        transcripts.extend(loaded);
    }
    for path in &args.refseq {
        let loaded =
            refseq::read_path(path).with_context(|| format!("reading {}", path.display()))?;
        transcripts.extend(loaded);
    }
    // Open every FASTA now: a missing .fai/.gzi fails here, not at the first cold start.
    let mut genome = Genome::new();
    for path in &args.fasta {
        genome
            .add_fasta(path)
            .with_context(|| format!("opening {}", path.display()))?;
    }
    let unplaced = transcripts
        .iter()
        .filter(|t| genome.resolve(&t.chrom).is_none())
        .count();
    let count = transcripts.len();
    let contents = IndexContents::new(args.assembly, &args.fasta, transcripts)?;
    write_index(&args.output, &contents)?;
    let size = std::fs::metadata(&args.output)
        .map(|m| m.len())
        .unwrap_or(0);
    eprintln!(
        "indexed {count} transcript(s) into {} ({size} bytes) in {:.1}s",
        args.output.display(),
        started.elapsed().as_secs_f64()
    );
    if unplaced > 0 {
        eprintln!("note: {unplaced} transcript(s) lie on contigs absent from the FASTA files");
    }
    Ok(())
}
