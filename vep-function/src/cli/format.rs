//! Output formats of `annotate`: JSON Lines, VCF with a VEP-style `CSQ` INFO field, and VEP's
//! tab-separated layout (one row per variant x transcript). The layouts themselves (fields,
//! order, escaping) are the shared writers of `contract::output`; this module reads the
//! input line by line and hands each outcome to them.

mod direct;
pub mod json;
pub mod tsv;
pub mod vcf;

use std::io::{self, BufRead};

use crate::cli::annotate::{Part, Summary};
use crate::driver::text::{annotate_text, Outcome};
use crate::engine::input::Variant;
use crate::engine::input::{detect, InputError, Notation};
use crate::engine::output::VariantAnnotation;
use crate::engine::predict::Engine;
use crate::sequence::SequenceCaller;
use crate::service::VariantFailure;

/// Why one variant (one ALT) of a line has no annotation.
pub(crate) struct Failure {
    pub code: &'static str,
    pub message: String,
}

/// What became of one input line.
pub(crate) enum LineOutcome {
    /// Header or comment (`#...`) or blank.
    Header,
    /// Notation could not be parsed: no variant.
    Unparsable(InputError),
    /// A sequence that gave no annotated variant (not placed, identical to the reference, a
    /// called variant not annotated): `code: message` in place of the line's output.
    Refused(VariantFailure),
    /// Each variant of the line (each ALT) with its annotation or the reason it failed: an
    /// ALT may fail while others of the line are annotated.
    Variants(Vec<(Variant, Result<VariantAnnotation, Failure>)>),
}

impl LineOutcome {
    /// Whether any variant of the line was annotated.
    pub(crate) fn any_annotated(results: &[(Variant, Result<VariantAnnotation, Failure>)]) -> bool {
        results.iter().any(|(_, r)| r.is_ok())
    }
}

/// One output format as the CLI's loop ([`drive`]) feeds it.
pub(crate) trait FormatWriter {
    /// Whether lines are trimmed of surrounding white space before anything reads them.
    const TRIM: bool;
    /// A header, comment or blank line.
    fn header(&mut self, text: &str) -> io::Result<()>;
    /// The fast path: a plain VCF record written straight from the engine's effects, giving
    /// the number of variants annotated; `None` when it declines the line. The output is the
    /// bytes [`Self::outcome`] would write for the same line.
    fn fast(&mut self, text: &str) -> io::Result<Option<usize>>;
    /// Any other line as the driver answered it; `number` is its 1-based line number.
    fn outcome(
        &mut self,
        number: usize,
        text: &str,
        is_vcf: bool,
        outcome: LineOutcome,
    ) -> io::Result<()>;
}

/// The CLI's one loop over its input, for every format: each line is a header, a record the
/// fast path takes, or a text the driver annotates (`driver::text`); `part` says how many
/// lines come before `reader` (`--threads` parts). Memory stays flat: one line at a time, or
/// one FASTA record, which is kept up to the sequence length limit and no further.
pub(crate) fn drive<W: FormatWriter>(
    engine: &Engine,
    sequence: &SequenceCaller,
    reader: impl BufRead,
    part: Part,
    writer: &mut W,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut number = part.first_line;
    let max_length = sequence.settings().max_length;
    // A FASTA record being read. One record is one input, as in a submission: its sequence
    // lines are not sequences of their own.
    let mut fasta: Option<Fasta> = None;
    // Leading letter lines of a record an earlier part found too long: skipped.
    let mut skipping = part.in_long_record;
    let flush = |record: Fasta, summary: &mut Summary, writer: &mut W| {
        if record.too_long {
            summary.failed += 1;
            let failure = VariantFailure {
                code: "sequence_too_long".into(),
                message: format!(
                    "the FASTA record has more than {max_length} letters, the limit \
                     (SEQUENCE_MAX_LENGTH): submit the region of interest"
                ),
            };
            return writer.outcome(
                record.at,
                &record.text,
                false,
                LineOutcome::Refused(failure),
            );
        }
        let (is_vcf, outcome) = line_outcome(engine, sequence, &record.text, summary);
        writer.outcome(record.at, &record.text, is_vcf, outcome)
    };
    read_lines(reader, |line| {
        number += 1;
        let text = if W::TRIM { line.trim() } else { line };
        if skipping && continues_fasta(text) {
            return Ok(());
        }
        skipping = false;
        if let Some(record) = &mut fasta {
            if continues_fasta(text) {
                record.push(text.trim(), max_length);
                return Ok(());
            }
            if let Some(record) = fasta.take() {
                flush(record, &mut summary, writer)?;
            }
        }
        if is_header(text) {
            return writer.header(text);
        }
        if text.trim_start().starts_with('>') {
            fasta = Some(Fasta::new(number, text.trim()));
            return Ok(());
        }
        if let Some(annotated) = writer.fast(text)? {
            summary.annotated += annotated;
            return Ok(());
        }
        let (is_vcf, outcome) = line_outcome(engine, sequence, text, &mut summary);
        writer.outcome(number, text, is_vcf, outcome)
    })
    .map_err(|e| match e.kind() {
        io::ErrorKind::InvalidData => {
            io::Error::new(e.kind(), format!("reading input line {}: {e}", number + 1))
        }
        _ => e,
    })?;
    if let Some(record) = fasta {
        flush(record, &mut summary, writer)?;
    }
    Ok(summary)
}

/// A FASTA record as read so far: the line it starts on, its text up to the line that took
/// it past the length limit, and whether it did.
struct Fasta {
    at: usize,
    text: String,
    letters: usize,
    too_long: bool,
}

impl Fasta {
    fn new(at: usize, header: &str) -> Self {
        Self {
            at,
            text: header.to_owned(),
            letters: 0,
            too_long: false,
        }
    }

    /// Adds a letter line, unless the record is already longer than `max_length` (the rest is
    /// not kept: the record is refused whole).
    fn push(&mut self, line: &str, max_length: usize) {
        if self.too_long {
            return;
        }
        self.text.push('\n');
        self.text.push_str(line);
        self.letters += line.len();
        self.too_long = self.letters > max_length;
    }
}

/// A sequence line of a FASTA record: letters (IUPAC codes, `*`, `-`) and nothing else.
/// Checked only after a `>` line; any other line ends the record.
pub(crate) fn continues_fasta(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || b == b'*' || b == b'-')
}

/// Calls `each` with every line, without its line break, through one reused buffer.
pub(crate) fn read_lines(
    mut reader: impl BufRead,
    mut each: impl FnMut(&str) -> io::Result<()>,
) -> io::Result<()> {
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        each(line.trim_end_matches(['\n', '\r']))?;
    }
}

/// Header or comment (`#...`) or blank.
pub(crate) fn is_header(text: &str) -> bool {
    text.trim().is_empty() || text.starts_with('#')
}

/// Parses and annotates one non-header line through the driver (`driver::text`: variant
/// notations and sequences alike); counts the outcome in `summary`. Also says whether the
/// line is a VCF record.
pub(crate) fn line_outcome(
    engine: &Engine,
    sequence: &SequenceCaller,
    text: &str,
    summary: &mut Summary,
) -> (bool, LineOutcome) {
    let is_vcf = detect(text) == Some(Notation::Vcf);
    let outcome = match annotate_text(engine, sequence, text) {
        Outcome::Unparsable(e) => LineOutcome::Unparsable(e),
        Outcome::Sequence(Err(f)) => LineOutcome::Refused(f),
        Outcome::Sequence(Ok(called)) => {
            LineOutcome::Variants(called.into_iter().map(|(v, a)| (v, Ok(a))).collect())
        }
        Outcome::Variants(results) => LineOutcome::Variants(
            results
                .into_iter()
                .map(|(v, result)| {
                    let result = result.map_err(|e| Failure {
                        code: e.code(),
                        message: e.to_string(),
                    });
                    (v, result)
                })
                .collect(),
        ),
    };
    match &outcome {
        LineOutcome::Variants(results) => {
            for (_, result) in results {
                match result {
                    Ok(_) => summary.annotated += 1,
                    Err(_) => summary.failed += 1,
                }
            }
        }
        _ => summary.failed += 1,
    }
    (is_vcf, outcome)
}

/// `code: message` for an input error, as written into VCF/TSV error fields.
pub(crate) fn describe(e: &InputError) -> String {
    format!("{}: {e}", e.code())
}

/// `code: message` for a refused sequence, as [`describe`] writes an input error.
pub(crate) fn describe_refused(f: &VariantFailure) -> String {
    format!("{}: {}", f.code, f.message)
}
