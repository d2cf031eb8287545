//! `annotate --format vcf`: the input VCF passed through with a VEP-style `CSQ` INFO field
//! (one `|`-separated entry per allele x transcript) and its header line; records that could
//! not be annotated keep their line and gain `VEP_ERROR` instead of disappearing. The CSQ
//! layout and the record writer are the shared `contract::output::{csq, vcf}`; this module
//! streams the header and routes each line.

use std::io::{self, BufRead, Write};

use contract::output::csq::CustomColumns;
use contract::output::vcf::{
    allele_errors_text, error_text, info_header_lines, push_info, push_record, COLUMNS,
};

use super::{describe, describe_refused, drive, Failure, FormatWriter, LineOutcome};
use crate::cli::annotate::{Part, Summary};
use crate::engine::input::Variant;
use crate::engine::output::VariantAnnotation;
use crate::engine::predict::Engine;
use crate::sequence::SequenceCaller;

/// Annotates `reader` line by line into VCF on `out`. Plain VCF records go through
/// [`direct::DirectVcf`] (CSQ written straight from the engine's effects); anything it does
/// not take (other notations, errors) goes the general way, with the same output.
pub fn annotate_stream(
    engine: &Engine,
    reader: impl BufRead,
    out: impl Write,
) -> io::Result<Summary> {
    let sequence = SequenceCaller::default();
    let mut state = VcfState::new(engine);
    annotate_part(engine, &sequence, &mut state, reader, out, Part::WHOLE)
}

/// The hot path's buffers and per-transcript texts, kept from part to part by one thread
/// (`--threads`): the output never depends on them.
pub struct VcfState<'m>(direct::DirectVcf<'m>);

impl<'m> VcfState<'m> {
    pub fn new(engine: &'m Engine) -> Self {
        Self(direct::DirectVcf::new(engine))
    }
}

/// [`annotate_stream`] on one part of a longer input (`--threads`).
pub fn annotate_part(
    engine: &Engine,
    sequence: &SequenceCaller,
    state: &mut VcfState<'_>,
    reader: impl BufRead,
    out: impl Write,
    part: Part,
) -> io::Result<Summary> {
    let mut writer = VcfWriter::new(out, engine.custom().columns().clone());
    writer.header_done = part.header_written;
    let mut format = VcfFormat {
        direct: &mut state.0,
        writer,
    };
    let summary = drive(engine, sequence, reader, part, &mut format)?;
    format.writer.finish()?;
    Ok(summary)
}

/// VCF as the CLI's loop feeds it: plain records through the fast path, the rest through
/// the record writer.
struct VcfFormat<'a, 'm, W: Write> {
    direct: &'a mut direct::DirectVcf<'m>,
    writer: VcfWriter<W>,
}

impl<W: Write> FormatWriter for VcfFormat<'_, '_, W> {
    const TRIM: bool = false;

    fn header(&mut self, text: &str) -> io::Result<()> {
        self.writer.write_line(text, false, LineOutcome::Header)
    }

    fn fast(&mut self, text: &str) -> io::Result<Option<usize>> {
        self.direct.record(text, &mut self.writer)
    }

    fn outcome(
        &mut self,
        _: usize,
        text: &str,
        is_vcf: bool,
        outcome: LineOutcome,
    ) -> io::Result<()> {
        self.writer.write_line(text, is_vcf, outcome)
    }
}

/// Streams a VCF: header lines as they come, records one at a time; `columns` are the CSQ
/// fields of the engine's custom sources.
pub struct VcfWriter<W: Write> {
    out: W,
    header_done: bool,
    columns: CustomColumns,
}

impl<W: Write> VcfWriter<W> {
    pub fn new(out: W, columns: CustomColumns) -> Self {
        Self {
            out,
            header_done: false,
            columns,
        }
    }

    /// Writes one input line's outcome from the general path.
    pub(crate) fn write_line(
        &mut self,
        line: &str,
        is_vcf: bool,
        outcome: LineOutcome,
    ) -> io::Result<()> {
        match outcome {
            LineOutcome::Header if line.trim().is_empty() => Ok(()),
            LineOutcome::Header => self.header_line(line),
            LineOutcome::Unparsable(e) if is_vcf => self.vcf_record(line, &[], Some(&describe(&e))),
            LineOutcome::Unparsable(e) => self.unparsable_line(line, &describe(&e)),
            LineOutcome::Refused(f) => self.unparsable_line(line, &describe_refused(&f)),
            LineOutcome::Variants(results) if is_vcf => {
                let error = record_error(&results);
                let annotations: Vec<VariantAnnotation> =
                    results.into_iter().filter_map(|(_, r)| r.ok()).collect();
                self.vcf_record(line, &annotations, error.as_deref())
            }
            LineOutcome::Variants(results) => {
                for (variant, result) in results {
                    match result {
                        Ok(a) => self.variant_record(&variant, Some(&a), None)?,
                        Err(f) => {
                            let error = error_text(f.code, &f.message);
                            self.variant_record(&variant, None, Some(&error))?
                        }
                    }
                }
                Ok(())
            }
        }
    }

    /// Writes a complete record line (with its line break) built elsewhere.
    fn raw_record(&mut self, record: &str) -> io::Result<()> {
        self.ensure_header()?;
        self.out.write_all(record.as_bytes())
    }

    /// Passes an input header line (`##...` or `#CHROM...`) through; the CSQ declaration goes
    /// right before `#CHROM`.
    pub fn header_line(&mut self, line: &str) -> io::Result<()> {
        if self.header_done {
            // A header line after data is not VCF; keep it visible rather than drop it.
            return writeln!(self.out, "{line}");
        }
        if line.starts_with("#CHROM") {
            self.finish_header(line)
        } else {
            writeln!(self.out, "{line}")
        }
    }

    fn finish_header(&mut self, columns: &str) -> io::Result<()> {
        for info in info_header_lines(&self.columns) {
            writeln!(self.out, "{info}")?;
        }
        writeln!(self.out, "{columns}")?;
        self.header_done = true;
        Ok(())
    }

    fn ensure_header(&mut self) -> io::Result<()> {
        if !self.header_done {
            writeln!(self.out, "##fileformat=VCFv4.2")?;
            self.finish_header(COLUMNS)?;
        }
        Ok(())
    }

    /// Writes an input VCF record with the CSQ of all its alleles, or with `error`.
    pub fn vcf_record(
        &mut self,
        line: &str,
        annotations: &[VariantAnnotation],
        error: Option<&str>,
    ) -> io::Result<()> {
        self.ensure_header()?;
        // One buffer per record, written once: this runs for every input line.
        let mut record = String::with_capacity(line.len() + 256 * annotations.len().max(1));
        push_record(&mut record, line, annotations, &self.columns, error);
        self.out.write_all(record.as_bytes())
    }

    /// Writes a record for a variant that came from a non-VCF notation (HGVS, Ensembl format).
    pub fn variant_record(
        &mut self,
        variant: &Variant,
        annotation: Option<&VariantAnnotation>,
        error: Option<&str>,
    ) -> io::Result<()> {
        self.ensure_header()?;
        let mut info = String::new();
        push_info(&mut info, ".", annotation, &self.columns, error);
        writeln!(
            self.out,
            "{}\t{}\t{}\t{}\t{}\t.\t.\t{}",
            variant.chrom,
            variant.pos,
            id_column(variant.id.as_deref().unwrap_or(&variant.input)),
            or_dot(&variant.reference),
            or_dot(&variant.alternate),
            info
        )
    }

    /// An input line that is no VCF record and could not be parsed: kept as a comment line
    /// so that the output stays valid VCF and nothing is dropped silently.
    pub fn unparsable_line(&mut self, line: &str, error: &str) -> io::Result<()> {
        self.ensure_header()?;
        writeln!(
            self.out,
            "##VEP_ERROR=<Input=\"{}\",Error=\"{}\">",
            quote(line),
            quote(error)
        )
    }

    /// Writes the header if no input produced one, and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.ensure_header()?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// `VEP_ERROR` of a VCF record: its failed ALTs beside annotated ones, or, when none was
/// annotated, the first failure (what the function reports for the whole input).
fn record_error(results: &[(Variant, Result<VariantAnnotation, Failure>)]) -> Option<String> {
    let failures = results
        .iter()
        .filter_map(|(v, r)| r.as_ref().err().map(|f| (v.alternate.as_str(), f)));
    if LineOutcome::any_annotated(results) {
        allele_errors_text(failures.map(|(alt, f)| (alt, f.code, f.message.as_str())))
    } else {
        failures.map(|(_, f)| error_text(f.code, &f.message)).next()
    }
}

fn or_dot(s: &str) -> &str {
    if s.is_empty() {
        "."
    } else {
        s
    }
}

/// The ID column allows neither whitespace nor `;`.
fn id_column(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_whitespace() || c == ';' {
                '_'
            } else {
                c
            }
        })
        .collect()
}

fn quote(s: &str) -> String {
    // A FASTA record is one input of several lines: its line breaks stay inside the comment.
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

mod direct;

#[cfg(test)]
mod tests;
