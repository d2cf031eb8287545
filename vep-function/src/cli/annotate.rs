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

use super::format::vcf::VcfState;
use crate::engine::{annotate::Engine, notation::parse_input, variant::Variant};

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
    /// Indexed reference FASTA (plain + .fai, or bgzip + .fai + .gzi); repeatable.
    #[arg(long = "fasta", requires = "gff")]
    pub fasta: Vec<PathBuf>,
    /// A prebuilt annotation index instead of --gff/--fasta.
    #[arg(long, conflicts_with_all = ["gff", "fasta"])]
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
    /// Annotating threads (default: the available cores). Output order and bytes do not
    /// depend on it.
    #[arg(long)]
    pub threads: Option<NonZeroUsize>,
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
    if let Some(index) = &args.index {
        return crate::engine::index::load_index(index)
            .with_context(|| format!("loading index {}", index.display()));
    }
    let engine = if args.gff.is_empty() {
        let dir = bundled_dir(args.data_dir.clone());
        Engine::load_bundled(&dir)
            .with_context(|| format!("loading bundled data from {}", dir.display()))?
    } else {
        Engine::load(&args.gff, &args.fasta).context("loading gene models and reference")?
    };
    Ok(engine)
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
        let mut vcf = VcfState::new(&engine);
        annotate_part(
            &engine,
            args.format,
            &mut vcf,
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

/// `part` of the input annotated into `format` on `out`; `vcf` is the state one thread keeps
/// from part to part.
pub fn annotate_part(
    engine: &Engine,
    format: OutputFormat,
    vcf: &mut VcfState<'_>,
    reader: impl BufRead,
    out: &mut impl Write,
    part: Part,
) -> anyhow::Result<Summary> {
    Ok(match format {
        OutputFormat::Json => annotate_json(engine, reader, out, part)?,
        OutputFormat::Vcf => super::format::vcf::annotate_part(engine, vcf, reader, out, part)?,
        OutputFormat::Tsv => super::format::tsv::annotate_part(engine, reader, out, part)?,
    })
}

/// Annotates line by line: memory stays flat however long the input is. A line that cannot
/// be parsed or annotated yields a JSON object with `error`, so nothing is dropped silently.
pub fn annotate_stream(
    engine: &Engine,
    reader: impl BufRead,
    out: &mut impl Write,
) -> anyhow::Result<Summary> {
    annotate_json(engine, reader, out, Part::WHOLE)
}

fn annotate_json(
    engine: &Engine,
    reader: impl BufRead,
    out: &mut impl Write,
    part: Part,
) -> anyhow::Result<Summary> {
    let mut summary = Summary::default();
    for (n, line) in (part.first_line..).zip(reader.lines()) {
        let line = line.with_context(|| format!("reading input line {}", n + 1))?;
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        match parse_input(text, engine) {
            Ok(variants) => {
                for v in variants {
                    match engine.annotate(&v) {
                        Ok(a) => {
                            serde_json::to_writer(&mut *out, &a)?;
                            summary.annotated += 1;
                        }
                        Err(e) => {
                            write_error(out, n + 1, text, Some(&v), &e.to_string())?;
                            summary.failed += 1;
                        }
                    }
                    out.write_all(b"\n")?;
                }
            }
            Err(e) => {
                write_error(out, n + 1, text, None, &e.to_string())?;
                out.write_all(b"\n")?;
                summary.failed += 1;
            }
        }
    }
    Ok(summary)
}

fn write_error(
    out: &mut impl Write,
    line: usize,
    input: &str,
    variant: Option<&Variant>,
    message: &str,
) -> anyhow::Result<()> {
    let value = serde_json::json!({
        "input": input,
        "id": variant.and_then(|v| v.id.clone()),
        "line": line,
        "error": message,
    });
    serde_json::to_writer(out, &value)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn engine() -> Engine {
        Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data")).unwrap()
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
