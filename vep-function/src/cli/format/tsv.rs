//! `annotate --format tsv`: VEP's tab-separated output, written by the shared TSV writer
//! (`contract::output::tsv`, where the columns and the formula-safe first column are
//! documented). Inputs that failed get one row with `ERROR=` in `Extra`, so every input is
//! answered.

use std::io::{self, BufRead, Write};

pub use contract::output::tsv::HEADER;
use contract::output::tsv::{push_allele_error, push_annotation, push_error};
use contract::output::vcf::error_text;

use super::{describe, for_each_line, LineOutcome};
use crate::cli::annotate::{Part, Summary};
use crate::engine::annotate::Engine;

/// Annotates `reader` line by line into VEP's tab format on `out`.
pub fn annotate_stream(
    engine: &Engine,
    reader: impl BufRead,
    out: impl Write,
) -> io::Result<Summary> {
    annotate_part(engine, reader, out, Part::WHOLE)
}

/// [`annotate_stream`] on one part of a longer input (`--threads`): the header only when no
/// earlier part wrote it.
pub fn annotate_part(
    engine: &Engine,
    reader: impl BufRead,
    mut out: impl Write,
    part: Part,
) -> io::Result<Summary> {
    if !part.header_written {
        writeln!(out, "{HEADER}")?;
    }
    // One buffer for the rows of a line, reused.
    let mut rows = String::new();
    let summary = for_each_line(engine, reader, |line, _, outcome| {
        rows.clear();
        match outcome {
            LineOutcome::Header => return Ok(()),
            LineOutcome::Unparsable(e) => push_error(&mut rows, line, &describe(&e)),
            LineOutcome::Variants(results) => {
                let partly = LineOutcome::any_annotated(&results);
                for (_, result) in &results {
                    if let Ok(a) = result {
                        push_annotation(&mut rows, a, engine.custom().columns());
                    }
                }
                // The ALTs that failed, after the rows of the annotated ones (as downloads
                // write them), each with its own row.
                for (variant, result) in &results {
                    let Err(f) = result else { continue };
                    if partly {
                        push_allele_error(&mut rows, line, &variant.alternate, f.code, &f.message);
                    } else {
                        push_error(&mut rows, &variant.input, &error_text(f.code, &f.message));
                    }
                }
            }
        }
        out.write_all(rows.as_bytes())
    })?;
    out.flush()?;
    Ok(summary)
}

#[cfg(test)]
mod tests;
