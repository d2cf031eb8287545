//! `vep-function annotate`: annotate a VCF (or one notation per line) with the built-in engine,
//! streaming one VEP REST-shaped JSON object per input variant per line (or VCF, or TSV).
//! With `--threads N` the input is cut into parts annotated side by side (`threads`); the
//! output is the same, byte for byte, as with one thread.

mod threads;

use std::{
    fs::File,
    io::{self, BufRead, BufReader, BufWriter, Write},
    num::NonZeroUsize,
    path::PathBuf,
};

use anyhow::Context;

use super::format::{json::JsonState, vcf::VcfState};
use crate::engine::annotate::{Engine, ModelFile};
use crate::engine::custom::CustomSources;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// JSON Lines, one Ensembl VEP REST object per variant.
    Json,
    /// VCF with a CSQ INFO field.
    Vcf,
    /// VEP's tab-separated output.
    Tsv,
}

#[derive(Debug, Clone, clap::Args)]
pub struct AnnotateArgs {
    /// Gene models (Ensembl-style GFF3, plain or gzip); repeat for several files.
    #[arg(long = "gff", requires = "fasta")]
    pub gff: Vec<PathBuf>,
    /// Ensembl GTF gene models (plain or gzip); repeatable.
    #[arg(long, requires = "fasta")]
    pub gtf: Vec<PathBuf>,
    /// NCBI RefSeq GFF3 gene models (`NC_` seqids, plain or gzip); repeatable.
    #[arg(long, requires = "fasta")]
    pub refseq: Vec<PathBuf>,
    /// Indexed reference FASTA (plain + .fai, or bgzip + .fai + .gzi); repeatable.
    #[arg(long = "fasta")]
    pub fasta: Vec<PathBuf>,
    /// A prebuilt annotation index instead of --gff/--gtf/--refseq/--fasta.
    #[arg(long, conflicts_with_all = ["gff", "gtf", "refseq", "fasta"])]
    pub index: Option<PathBuf>,
    /// Directory of the bundled data sets, used when no --gff/--fasta is given.
    #[arg(long, env = "VEP_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Input: a VCF, or one notation per line (Ensembl format, HGVS); `-` for stdin.
    #[arg(long, short, default_value = "-")]
    pub input: String,
    /// Output file; stdout when absent.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
    pub format: OutputFormat,
    /// The most bases one variant may span (deleted, replaced or inserted); longer ones get
    /// a `too_large` error.
    #[arg(long, env = "MAX_VARIANT_SPAN", default_value_t = crate::engine::notation::DEFAULT_MAX_VARIANT_SPAN, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_variant_span: u64,
    /// Annotating threads (default: the available cores). Output order and bytes do not
    /// depend on it.
    #[arg(long)]
    pub threads: Option<NonZeroUsize>,
    /// A known-variant VCF (bgzipped, with .tbi or .csi), VEP's syntax, e.g.
    /// `file=clinvar.vcf.gz,short_name=ClinVar,format=vcf,type=exact,coords=0,fields=CLNSIG%CLNREVSTAT%CLNDN`;
    /// repeatable. Its records go to `custom_annotations` (JSON) and CSQ/Extra fields
    /// `<short_name>`, `<short_name>_<FIELD>`.
    #[arg(long, value_name = "SPEC")]
    pub custom: Vec<contract::custom::SourceSpec>,
}

/// Where a part of the input starts, so that a part annotated on its own writes what the
/// whole input would have written there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// Input lines before the part (JSON errors name the line number).
    pub first_line: usize,
    /// An earlier part wrote the output header (VCF, TSV).
    pub header_written: bool,
}

impl Part {
    /// The whole input, or its first part.
    pub const WHOLE: Part = Part {
        first_line: 0,
        header_written: false,
    };
}

fn bundled_dir(explicit: Option<PathBuf>) -> PathBuf {
    explicit.unwrap_or_else(crate::config::default_data_dir)
}

pub fn load_engine(args: &AnnotateArgs) -> anyhow::Result<Engine> {
    let mut engine = load_models(args)?;
    engine.set_max_variant_span(args.max_variant_span);
    let custom =
        CustomSources::open(&args.custom).map_err(|e| anyhow::anyhow!("{e} [{}]", e.code()))?;
    engine.set_custom_sources(custom);
    Ok(engine)
}

/// The gene models and reference `args` name.
fn load_models(args: &AnnotateArgs) -> anyhow::Result<Engine> {
    if let Some(index) = &args.index {
        return crate::engine::index::load_index(index)
            .with_context(|| format!("loading index {}", index.display()));
    }
    let files: Vec<ModelFile> = (args.gff.iter().cloned().map(ModelFile::Gff3))
        .chain(args.gtf.iter().cloned().map(ModelFile::Gtf))
        .chain(args.refseq.iter().cloned().map(ModelFile::RefSeq))
        .collect();
    if files.is_empty() && !args.fasta.is_empty() {
        anyhow::bail!("--fasta needs gene models: pass --gff, --gtf or --refseq");
    }
    if files.is_empty() {
        let dir = bundled_dir(args.data_dir.clone());
        Engine::load_bundled(&dir)
            .with_context(|| format!("loading bundled data from {}", dir.display()))
    } else {
        Engine::load_files(&files, &args.fasta).context("loading gene models and reference")
    }
}

pub fn run(args: AnnotateArgs) -> anyhow::Result<()> {
    let engine = load_engine(&args)?;
    let reader: Box<dyn BufRead> = if args.input == "-" {
        Box::new(BufReader::new(io::stdin().lock()))
    } else {
        let file = File::open(&args.input).with_context(|| format!("opening {}", args.input))?;
        Box::new(BufReader::with_capacity(1 << 16, file))
    };
    let writer: Box<dyn Write> = match &args.output {
        Some(path) => {
            Box::new(File::create(path).with_context(|| format!("creating {}", path.display()))?)
        }
        None => Box::new(io::stdout().lock()),
    };
    let mut writer = BufWriter::with_capacity(1 << 16, writer);
    let threads = args
        .threads
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get);
    let summary = if threads == 1 {
        let mut state = PartState::new(&engine);
        annotate_part(
            &engine,
            args.format,
            &mut state,
            reader,
            &mut writer,
            Part::WHOLE,
        )?
    } else {
        threads::annotate(&engine, args.format, reader, &mut writer, threads)?
    };
    writer.flush().context("writing output")?;
    eprintln!(
        "annotated {} variant(s); {} input line(s) failed (see their \"error\" objects)",
        summary.annotated, summary.failed
    );
    Ok(())
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub annotated: usize,
    pub failed: usize,
}

/// What the hot paths keep from part to part on one thread (`--threads`): buffers and
/// per-transcript texts; the output never depends on them.
pub struct PartState<'m> {
    vcf: VcfState<'m>,
    json: JsonState<'m>,
}

impl<'m> PartState<'m> {
    pub fn new(engine: &'m Engine) -> Self {
        Self {
            vcf: VcfState::new(engine),
            json: JsonState::new(engine),
        }
    }
}

/// `part` of the input annotated into `format` on `out`; `state` is what one thread keeps
/// from part to part.
pub fn annotate_part(
    engine: &Engine,
    format: OutputFormat,
    state: &mut PartState<'_>,
    reader: impl BufRead,
    out: &mut impl Write,
    part: Part,
) -> anyhow::Result<Summary> {
    Ok(match format {
        OutputFormat::Json => {
            super::format::json::annotate_part(engine, &mut state.json, reader, out, part)?
        }
        OutputFormat::Vcf => {
            super::format::vcf::annotate_part(engine, &mut state.vcf, reader, out, part)?
        }
        OutputFormat::Tsv => super::format::tsv::annotate_part(engine, reader, out, part)?,
    })
}

/// Annotates line by line into JSON Lines (`cli::format::json`).
pub fn annotate_stream(
    engine: &Engine,
    reader: impl BufRead,
    out: &mut impl Write,
) -> anyhow::Result<Summary> {
    Ok(super::format::json::annotate_stream(engine, reader, out)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn engine() -> Engine {
        Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data")).unwrap()
    }

    fn args(gff: &[&str], gtf: &[&str], refseq: &[&str], fasta: &[&str]) -> AnnotateArgs {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let paths = |names: &[&str]| names.iter().map(|n| dir.join(n)).collect();
        AnnotateArgs {
            gff: paths(gff),
            gtf: paths(gtf),
            refseq: paths(refseq),
            fasta: paths(fasta),
            index: None,
            data_dir: None,
            input: "-".into(),
            output: None,
            format: OutputFormat::Json,
            max_variant_span: crate::engine::notation::DEFAULT_MAX_VARIANT_SPAN,
            threads: None,
            custom: Vec::new(),
        }
    }

    const CHR21_FASTA: &str = "data/chr21/GRCh38.chr21.vep_test_region.fa.gz";

    /// The transcript ids a VCF line is annotated on by an engine loaded from `args`.
    fn transcripts_of(args: &AnnotateArgs, line: &str) -> Vec<String> {
        let engine = load_engine(args).unwrap();
        let mut out = Vec::new();
        annotate_stream(&engine, line.as_bytes(), &mut out).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        value["transcript_consequences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|tc| tc["transcript_id"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn reads_gtf_and_refseq_gene_models_directly() {
        // MRPL39 missense (21:25585733 C>T): ENST00000352957 in the Ensembl GTF, NM_017446.3
        // (same CDS) in the RefSeq GFF3.
        let line = "21\t25585733\t.\tC\tT";
        let gtf = args(
            &[],
            &["tests/data/ensembl-vep-chr21/test.gtf.gz"],
            &[],
            &[CHR21_FASTA],
        );
        assert!(transcripts_of(&gtf, line).contains(&"ENST00000352957".to_string()));
        let refseq = args(
            &[],
            &[],
            &["tests/data/ensembl-vep-chr21/refseq.gff.gz"],
            &[CHR21_FASTA],
        );
        let on_refseq = transcripts_of(&refseq, line);
        assert!(
            on_refseq.contains(&"NM_017446.3".to_string()),
            "{on_refseq:?}"
        );
        assert!(on_refseq.iter().all(|id| !id.starts_with("ENST")));
    }

    #[test]
    fn a_fasta_without_gene_models_is_refused() {
        let err = load_engine(&args(&[], &[], &[], &[CHR21_FASTA])).unwrap_err();
        assert!(
            err.to_string().contains("--gff, --gtf or --refseq"),
            "{err}"
        );
    }

    #[test]
    fn writes_one_json_line_per_variant_with_the_vcf_id() {
        let input = "##fileformat=VCFv4.2\n\
                     #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
                     21\t25585733\trs142513484\tC\tT\t.\t.\t.\n\
                     21\t25585733\tbad\tG\tT\t.\t.\t.\n";
        let mut out = Vec::new();
        let summary = annotate_stream(&engine(), input.as_bytes(), &mut out).unwrap();
        assert_eq!(
            summary,
            Summary {
                annotated: 1,
                failed: 1
            }
        );
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["id"], "rs142513484");
        assert_eq!(lines[0]["most_severe_consequence"], "missense_variant");
        assert!(lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("reference allele mismatch"));
    }
}
