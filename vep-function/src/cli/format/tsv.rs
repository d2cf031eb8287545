//! `annotate --format tsv`: VEP's tab-separated output, written by the shared TSV writer
//! (`contract::output::tsv`, where the columns and the formula-safe first column are
//! documented). Inputs that failed get one row with `ERROR=` in `Extra`, so every input is
//! answered.

use std::io::{self, BufRead, Write};

use contract::output::csq::CustomColumns;
pub use contract::output::tsv::HEADER;
use contract::output::tsv::{push_allele_error, push_annotation, push_error};
use contract::output::vcf::error_text;

use super::{describe, describe_refused, drive, FormatWriter, LineOutcome};
use crate::cli::annotate::{Part, Summary};
use crate::engine::predict::Engine;
use crate::sequence::SequenceCaller;

/// Annotates `reader` line by line into VEP's tab format on `out`.
pub fn annotate_stream(
    engine: &Engine,
    reader: impl BufRead,
    out: impl Write,
) -> io::Result<Summary> {
    annotate_part(engine, &SequenceCaller::default(), reader, out, Part::WHOLE)
}

/// [`annotate_stream`] on one part of a longer input (`--threads`): the header only when no
/// earlier part wrote it.
pub fn annotate_part(
    engine: &Engine,
    sequence: &SequenceCaller,
    reader: impl BufRead,
    mut out: impl Write,
    part: Part,
) -> io::Result<Summary> {
    if !part.header_written {
        writeln!(out, "{HEADER}")?;
    }
    let mut format = TsvFormat {
        out: &mut out,
        columns: engine.custom().columns(),
        rows: String::new(),
    };
    let summary = drive(engine, sequence, reader, part, &mut format)?;
    out.flush()?;
    Ok(summary)
}

/// TSV as the CLI's loop feeds it: every line through the driver (no fast path).
struct TsvFormat<'a, W: Write> {
    out: W,
    columns: &'a CustomColumns,
    /// The rows of a line, reused.
    rows: String,
}

impl<W: Write> FormatWriter for TsvFormat<'_, W> {
    const TRIM: bool = false;

    fn header(&mut self, _: &str) -> io::Result<()> {
        Ok(())
    }

    fn fast(&mut self, _: &str) -> io::Result<Option<usize>> {
        Ok(None)
    }

    fn outcome(&mut self, _: usize, line: &str, _: bool, outcome: LineOutcome) -> io::Result<()> {
        let rows = &mut self.rows;
        rows.clear();
        match outcome {
            LineOutcome::Unparsable(e) => push_error(rows, line, &describe(&e)),
            LineOutcome::Refused(f) => push_error(rows, line, &describe_refused(&f)),
            LineOutcome::Variants(results) => {
                let partly = LineOutcome::any_annotated(&results);
                for (_, result) in &results {
                    if let Ok(a) = result {
                        push_annotation(rows, a, self.columns);
                    }
                }
                // The ALTs that failed, after the rows of the annotated ones (as downloads
                // write them), each with its own row.
                for (variant, result) in &results {
                    let Err(f) = result else { continue };
                    if partly {
                        push_allele_error(rows, line, &variant.alternate, f.code, &f.message);
                    } else {
                        push_error(rows, &variant.input, &error_text(f.code, &f.message));
                    }
                }
            }
            LineOutcome::Header => {}
        }
        self.out.write_all(rows.as_bytes())
    }
}

#[cfg(test)]
mod tests;
