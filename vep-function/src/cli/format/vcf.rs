//! VCF output: the input VCF passed through with a VEP-style `CSQ` INFO field (one
//! `|`-separated entry per allele x transcript) and its header line; records that could not be
//! annotated keep their line and gain `VEP_ERROR` instead of disappearing.

use std::io::{self, Write};

use std::io::BufRead;

use super::{
    describe, for_each_transcript_field, is_header, line_outcome, read_lines, LineOutcome,
};
use crate::cli::annotate::{Part, Summary};
use crate::engine::annotate::Engine;
use crate::engine::output::VariantAnnotation;
use crate::engine::variant::Variant;

/// The CSQ sub-fields, in order, as declared in the header.
pub const CSQ_FIELDS: [&str; 25] = [
    "Allele",
    "Consequence",
    "IMPACT",
    "SYMBOL",
    "Gene",
    "Feature_type",
    "Feature",
    "BIOTYPE",
    "EXON",
    "INTRON",
    "HGVSc",
    "HGVSp",
    "cDNA_position",
    "CDS_position",
    "Protein_position",
    "Amino_acids",
    "Codons",
    "Existing_variation",
    "DISTANCE",
    "STRAND",
    "FLAGS",
    "SYMBOL_SOURCE",
    "HGNC_ID",
    "CANONICAL",
    "MANE_SELECT",
];

/// `##INFO` lines this writer adds to the header.
pub fn info_header_lines() -> [String; 2] {
    [
        format!(
            "##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from Ensembl VEP. Format: {}\">",
            CSQ_FIELDS.join("|")
        ),
        "##INFO=<ID=VEP_ERROR,Number=1,Type=String,Description=\"Why vep-function could not annotate this record\">".to_string(),
    ]
}

const COLUMNS: &str = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO";

/// Annotates `reader` line by line into VCF on `out`. Plain VCF records go through
/// [`direct::DirectVcf`] (CSQ written straight from the engine's effects); anything it does
/// not take (other notations, errors) goes the general way, with the same output.
pub fn annotate_stream(
    engine: &Engine,
    reader: impl BufRead,
    out: impl Write,
) -> io::Result<Summary> {
    annotate_part(engine, &mut VcfState::new(engine), reader, out, Part::WHOLE)
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
    state: &mut VcfState<'_>,
    reader: impl BufRead,
    out: impl Write,
    part: Part,
) -> io::Result<Summary> {
    let mut writer = VcfWriter::new(out);
    writer.header_done = part.header_written;
    let direct = &mut state.0;
    let mut summary = Summary::default();
    read_lines(reader, |line| {
        if is_header(line) {
            return writer.write_line(line, false, LineOutcome::Header);
        }
        if let Some(annotated) = direct.record(line, &mut writer)? {
            summary.annotated += annotated;
            return Ok(());
        }
        let (is_vcf, outcome) = line_outcome(engine, line, &mut summary);
        writer.write_line(line, is_vcf, outcome)
    })?;
    writer.finish()?;
    Ok(summary)
}

/// Streams a VCF: header lines as they come, records one at a time.
pub struct VcfWriter<W: Write> {
    out: W,
    header_done: bool,
}

impl<W: Write> VcfWriter<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            header_done: false,
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
            LineOutcome::Variants(results) if is_vcf => {
                let mut annotations = Vec::new();
                let mut errors = Vec::new();
                for (_, result) in results {
                    match result {
                        Ok(a) => annotations.push(a),
                        Err(e) => errors.push(e),
                    }
                }
                let error = (!errors.is_empty()).then(|| errors.join("; "));
                self.vcf_record(line, &annotations, error.as_deref())
            }
            LineOutcome::Variants(results) => {
                for (variant, result) in results {
                    match result {
                        Ok(a) => self.variant_record(&variant, Some(&a), None)?,
                        Err(e) => self.variant_record(&variant, None, Some(&e))?,
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
        for info in info_header_lines() {
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
        match info_column(line) {
            Some((from, to)) => {
                record.push_str(&line[..from]);
                push_info(&mut record, &line[from..to], annotations, error);
                record.push_str(&line[to..]);
            }
            None => {
                // Space-separated or short lines: re-split and pad QUAL/FILTER/INFO.
                let mut cols: Vec<&str> = line.split_whitespace().collect();
                cols.resize(cols.len().max(8), ".");
                for (i, col) in cols.iter().enumerate() {
                    if i > 0 {
                        record.push('\t');
                    }
                    if i == 7 {
                        push_info(&mut record, col, annotations, error);
                    } else {
                        record.push_str(col);
                    }
                }
            }
        }
        record.push('\n');
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
        let annotations: Vec<VariantAnnotation> = annotation.into_iter().cloned().collect();
        let info = add_info(".", &annotations, error);
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

/// Byte range of the 8th tab-separated column (INFO), when the line has at least 8.
fn info_column(line: &str) -> Option<(usize, usize)> {
    let mut tabs = line
        .bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'\t')
        .map(|(i, _)| i);
    let from = tabs.nth(6)? + 1;
    let to = tabs.next().unwrap_or(line.len());
    Some((from, to))
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
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn add_info(existing: &str, annotations: &[VariantAnnotation], error: Option<&str>) -> String {
    let mut info = String::new();
    push_info(&mut info, existing, annotations, error);
    info
}

/// The INFO column: `existing` (unless `.`), `CSQ=...` and `VEP_ERROR=...`, `;`-separated,
/// or `.` when all are absent.
fn push_info(
    out: &mut String,
    existing: &str,
    annotations: &[VariantAnnotation],
    error: Option<&str>,
) {
    let begin = out.len();
    if existing != "." && !existing.is_empty() {
        out.push_str(existing);
    }
    let mut separator = csq_separator(begin);
    for a in annotations {
        push_csq_entries(out, a, &mut separator);
    }
    if let Some(error) = error {
        if out.len() > begin {
            out.push(';');
        }
        out.push_str("VEP_ERROR=");
        push_escaped(out, error);
    }
    if out.len() == begin {
        out.push('.');
    }
}

/// What goes before each CSQ entry of a record whose INFO starts at `begin`: `CSQ=` before the
/// first (after a `;` when INFO already holds something), `,` before the others.
pub(super) fn csq_separator(begin: usize) -> impl FnMut(&mut String) {
    let mut first = true;
    move |out: &mut String| {
        if first {
            if out.len() > begin {
                out.push(';');
            }
            out.push_str("CSQ=");
            first = false;
        } else {
            out.push(',');
        }
    }
}

/// The CSQ entries of one annotated allele: one per transcript, or one intergenic entry.
pub fn csq_entries(a: &VariantAnnotation) -> Vec<String> {
    let mut entries = Vec::new();
    let mut text = String::new();
    let mut starts = Vec::new();
    push_csq_entries(&mut text, a, &mut |out: &mut String| starts.push(out.len()));
    starts.push(text.len());
    for pair in starts.windows(2) {
        entries.push(text[pair[0]..pair[1]].to_string());
    }
    entries
}

/// Appends each CSQ entry of `a` to `out`, calling `before_entry` ahead of each one (to
/// write the separator).
fn push_csq_entries(
    out: &mut String,
    a: &VariantAnnotation,
    before_entry: &mut dyn FnMut(&mut String),
) {
    for t in &a.transcript_consequences {
        before_entry(out);
        push_escaped(out, &t.variant_allele);
        for_each_transcript_field(t, |_, value| {
            out.push('|');
            push_escaped(out, value);
        });
    }
    for i in &a.intergenic_consequences {
        before_entry(out);
        push_escaped(out, &i.variant_allele);
        out.push('|');
        let mut terms = String::new();
        for (n, term) in i.consequence_terms.iter().enumerate() {
            if n > 0 {
                terms.push('&');
            }
            terms.push_str(term);
        }
        push_escaped(out, &terms);
        out.push('|');
        push_escaped(out, &i.impact);
        for _ in 3..CSQ_FIELDS.len() {
            out.push('|');
        }
    }
}

/// Percent-encodes what would break the INFO/CSQ syntax (VCF 4.3 style).
#[cfg(test)]
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push_escaped(&mut out, value);
    out
}

/// Bytes [`escape`] encodes; all ASCII, so they sit at char boundaries.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let specials = b",;=|% \t\n\r";
    let mut i = 0;
    while i < specials.len() {
        table[specials[i] as usize] = true;
        i += 1;
    }
    table
};

/// [`escape`] appended to `out`. Values almost never hold a special byte, so a table scan
/// finds the first one and plain text is copied in one go.
fn push_escaped(out: &mut String, value: &str) {
    let Some(first) = value.bytes().position(|b| SPECIAL[usize::from(b)]) else {
        out.push_str(value);
        return;
    };
    out.push_str(&value[..first]);
    for c in value[first..].chars() {
        match c {
            ',' => out.push_str("%2C"),
            ';' => out.push_str("%3B"),
            '=' => out.push_str("%3D"),
            '|' => out.push_str("%7C"),
            '%' => out.push_str("%25"),
            ' ' => out.push_str("%20"),
            '\t' => out.push_str("%09"),
            '\n' => out.push_str("%0A"),
            '\r' => out.push_str("%0D"),
            c => out.push(c),
        }
    }
}

mod direct;

#[cfg(test)]
mod tests;
