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
use crate::driver::load::{self, EngineSettings, EngineSource};
use crate::engine::predict::{Engine, ModelFile};
use crate::sequence::SequenceCaller;

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
    /// Input: a VCF, or one notation per line (Ensembl format, HGVS, or a sequence: `seq:ACGT…`,
    /// `seq:HINT:ACGT…`, bare letters); `-` for stdin.
    #[arg(long, short, default_value = "-")]
    pub input: String,
    /// Output file; stdout when absent.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
    pub format: OutputFormat,
    /// The most bases one variant may span (deleted, replaced or inserted); longer ones get
    /// a `too_large` error.
    #[arg(long, env = "MAX_VARIANT_SPAN", default_value_t = crate::engine::input::DEFAULT_MAX_VARIANT_SPAN, value_parser = clap::value_parser!(u64).range(1..))]
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
    /// The part begins inside a FASTA record that an earlier part already found too long
    /// (`--threads` may cut there): its leading letter lines belong to that record.
    pub in_long_record: bool,
}

impl Part {
    /// The whole input, or its first part.
    pub const WHOLE: Part = Part {
        first_line: 0,
        header_written: false,
        in_long_record: false,
    };
}

fn bundled_dir(explicit: Option<PathBuf>) -> PathBuf {
    explicit.unwrap_or_else(crate::config::default_data_dir)
}

pub fn load_engine(args: &AnnotateArgs) -> anyhow::Result<Engine> {
    let settings = EngineSettings {
        max_variant_span: Some(args.max_variant_span),
        custom: args.custom.clone(),
    };
    let loaded = load::open(&engine_source(args)?)?.configure(&settings)?;
    Ok(loaded.engine)
}

/// Where the gene models and reference `args` name come from (`driver::load`, as the
/// service's `VEP_INDEX`/`VEP_GFF3`/bundled data): `--index` also takes a reference directory.
fn engine_source(args: &AnnotateArgs) -> anyhow::Result<EngineSource> {
    if let Some(index) = &args.index {
        return Ok(EngineSource::Index(index.clone()));
    }
    let models: Vec<ModelFile> = (args.gff.iter().cloned().map(ModelFile::Gff3))
        .chain(args.gtf.iter().cloned().map(ModelFile::Gtf))
        .chain(args.refseq.iter().cloned().map(ModelFile::RefSeq))
        .collect();
    if models.is_empty() && !args.fasta.is_empty() {
        anyhow::bail!("--fasta needs gene models: pass --gff, --gtf or --refseq");
    }
    Ok(if models.is_empty() {
        EngineSource::Bundled(bundled_dir(args.data_dir.clone()))
    } else {
        EngineSource::Files {
            models,
            fasta: args.fasta.clone(),
        }
    })
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
    // Sequence inputs (`seq:...`, bare letters): the k-mer index is built on first use and
    // shared by the threads.
    let sequence = SequenceCaller::default();
    let summary = if threads == 1 {
        let mut state = PartState::new(&engine);
        annotate_part(
            &engine,
            &sequence,
            args.format,
            &mut state,
            reader,
            &mut writer,
            Part::WHOLE,
        )?
    } else {
        threads::annotate(
            &engine,
            &sequence,
            args.format,
            reader,
            &mut writer,
            threads,
        )?
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
    sequence: &SequenceCaller,
    format: OutputFormat,
    state: &mut PartState<'_>,
    reader: impl BufRead,
    out: &mut impl Write,
    part: Part,
) -> anyhow::Result<Summary> {
    Ok(match format {
        OutputFormat::Json => super::format::json::annotate_part(
            engine,
            sequence,
            &mut state.json,
            reader,
            out,
            part,
        )?,
        OutputFormat::Vcf => {
            super::format::vcf::annotate_part(engine, sequence, &mut state.vcf, reader, out, part)?
        }
        OutputFormat::Tsv => {
            super::format::tsv::annotate_part(engine, sequence, reader, out, part)?
        }
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
            max_variant_span: crate::engine::input::DEFAULT_MAX_VARIANT_SPAN,
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

    /// 60 bases of the bundled chr21 around 21:25585733 C>T (MRPL39 missense), changed there
    /// when `changed`.
    fn sequence_line(engine: &Engine, changed: bool) -> String {
        let mut bases = engine
            .genome()
            .sequence("21", 25_585_704, 25_585_763)
            .unwrap();
        if changed {
            bases[29] = if bases[29] == b'C' { b'T' } else { b'C' };
        }
        format!("seq:{}\n", String::from_utf8(bases).unwrap())
    }

    fn annotate_all(engine: &Engine, format: OutputFormat, input: &str) -> (String, Summary) {
        let mut out = Vec::new();
        let summary = annotate_part(
            engine,
            &SequenceCaller::default(),
            format,
            &mut PartState::new(engine),
            input.as_bytes(),
            &mut out,
            Part::WHOLE,
        )
        .unwrap();
        (String::from_utf8(out).unwrap(), summary)
    }

    /// `line` in every format: `want` counted and `needle` in each output.
    fn check_every_format(engine: &Engine, line: &str, want: Summary, needle: &str) {
        for format in [OutputFormat::Json, OutputFormat::Vcf, OutputFormat::Tsv] {
            let (text, summary) = annotate_all(engine, format, line);
            assert_eq!(summary, want, "{format:?}: {text}");
            assert!(text.contains(needle), "{format:?}: {text}");
        }
    }

    #[test]
    fn sequence_lines_are_called_and_annotated_in_every_format() {
        let engine = engine();
        let line = sequence_line(&engine, true);
        let one = Summary {
            annotated: 1,
            failed: 0,
        };
        check_every_format(&engine, &line, one, "missense_variant");
        let (json, _) = annotate_all(&engine, OutputFormat::Json, &line);
        let value: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
        assert_eq!(value["start"], 25_585_733);
        assert_eq!(value["called_from_sequence"]["placed_by"], "index");
    }

    /// The changed 60 bases as a FASTA record of two 30-base lines between two VCF records.
    fn fasta_record(engine: &Engine) -> String {
        let line = sequence_line(engine, true);
        let bases = line.trim().trim_start_matches("seq:");
        format!(
            "21\t25585733\t.\tC\tT\t.\t.\t.\n>read_1 sample\n{}\n{}\n21\t25585733\t.\tC\tG\t.\t.\t.\n",
            &bases[..30],
            bases[30..].to_ascii_lowercase()
        )
    }

    #[test]
    fn a_fasta_record_over_several_lines_is_one_input_in_every_format() {
        let engine = engine();
        let input = fasta_record(&engine);
        // Two VCF records and the record's one called variant; the sequence lines are no
        // inputs of their own.
        let three = Summary {
            annotated: 3,
            failed: 0,
        };
        check_every_format(&engine, &input, three, "missense_variant");
        let (json, _) = annotate_all(&engine, OutputFormat::Json, &input);
        let lines: Vec<serde_json::Value> = json
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3, "{json}");
        assert_eq!(lines[1]["start"], 25_585_733);
        assert_eq!(lines[1]["called_from_sequence"]["placed_by"], "index");
        // A record cut short (header alone, then a VCF record) is one input's typed error.
        let cut = "  >empty\n21\t25585733\t.\tC\tT\t.\t.\t.\n";
        let (vcf, summary) = annotate_all(&engine, OutputFormat::Vcf, cut);
        assert_eq!(
            summary,
            Summary {
                annotated: 1,
                failed: 1
            },
            "{vcf}"
        );
        assert!(vcf.contains("##VEP_ERROR=<Input=\">empty\""), "{vcf}");
    }

    #[test]
    fn a_sequence_without_variants_is_answered_with_its_code_not_dropped() {
        let engine = engine();
        let line = sequence_line(&engine, false);
        let failed = Summary {
            annotated: 0,
            failed: 1,
        };
        check_every_format(&engine, &line, failed, "matches the reference");
        let (vcf, _) = annotate_all(&engine, OutputFormat::Vcf, &line);
        assert!(vcf.contains("no_variants"), "{vcf}");
    }
}
