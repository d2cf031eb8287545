//! `annotate --format json`: JSON Lines, one Ensembl VEP REST object per annotated allele in
//! the engine's field order, written by the shared JSON writer (`contract::output::json`);
//! plain VCF records take the hot path ([`direct::DirectJson`]), which writes the same bytes
//! straight from the engine's effects. A line that cannot be parsed or annotated yields an
//! object with `error` (and its line number), so nothing is dropped silently.

mod direct;

use std::io::{self, BufRead, Write};

use contract::annotation::KeyOrder;
use contract::output::json::push_annotation;

use super::{drive, FormatWriter, LineOutcome};
use crate::cli::annotate::{Part, Summary};
use crate::engine::input::Variant;
use crate::engine::predict::Engine;
use crate::sequence::SequenceCaller;

/// Annotates line by line: memory stays flat however long the input is.
pub fn annotate_stream(
    engine: &Engine,
    reader: impl BufRead,
    out: &mut impl Write,
) -> io::Result<Summary> {
    annotate_part(
        engine,
        &SequenceCaller::default(),
        &mut JsonState::new(engine),
        reader,
        out,
        Part::WHOLE,
    )
}

/// The hot path's buffers and per-transcript texts, kept from part to part by one thread
/// (`--threads`): the output never depends on them.
pub struct JsonState<'m>(direct::DirectJson<'m>);

impl<'m> JsonState<'m> {
    pub fn new(engine: &'m Engine) -> Self {
        Self(direct::DirectJson::new(engine))
    }
}

/// [`annotate_stream`] on one part of a longer input (`--threads`): error objects name
/// their line counted from the whole input's start.
pub fn annotate_part(
    engine: &Engine,
    sequence: &SequenceCaller,
    state: &mut JsonState<'_>,
    reader: impl BufRead,
    out: &mut impl Write,
    part: Part,
) -> io::Result<Summary> {
    let mut format = JsonFormat {
        direct: &mut state.0,
        out,
        buf: Vec::with_capacity(1 << 14),
    };
    drive(engine, sequence, reader, part, &mut format)
}

/// JSON Lines as the CLI's loop feeds it: lines trimmed, headers skipped, plain VCF records
/// through the fast path, each line's objects gathered in one reused buffer.
struct JsonFormat<'a, 'm, W: Write> {
    direct: &'a mut direct::DirectJson<'m>,
    out: W,
    buf: Vec<u8>,
}

impl<W: Write> FormatWriter for JsonFormat<'_, '_, W> {
    const TRIM: bool = true;

    fn header(&mut self, _: &str) -> io::Result<()> {
        Ok(())
    }

    fn fast(&mut self, text: &str) -> io::Result<Option<usize>> {
        self.buf.clear();
        let annotated = self.direct.record(text, &mut self.buf);
        if annotated.is_some() {
            self.out.write_all(&self.buf)?;
        }
        Ok(annotated)
    }

    fn outcome(
        &mut self,
        line: usize,
        text: &str,
        _: bool,
        outcome: LineOutcome,
    ) -> io::Result<()> {
        let buf = &mut self.buf;
        buf.clear();
        match outcome {
            LineOutcome::Variants(results) => {
                for (variant, result) in results {
                    match result {
                        Ok(a) => push_annotation(buf, &a, KeyOrder::Declared),
                        Err(f) => push_error(buf, line, text, Some(&variant), &f.message)?,
                    }
                    buf.push(b'\n');
                }
            }
            LineOutcome::Refused(f) => {
                push_error(buf, line, text, None, &f.message)?;
                buf.push(b'\n');
            }
            LineOutcome::Unparsable(e) => {
                push_error(buf, line, text, None, &e.to_string())?;
                buf.push(b'\n');
            }
            LineOutcome::Header => {}
        }
        self.out.write_all(buf)
    }
}

fn push_error(
    out: &mut Vec<u8>,
    line: usize,
    input: &str,
    variant: Option<&Variant>,
    message: &str,
) -> io::Result<()> {
    let value = serde_json::json!({
        "input": input,
        "id": variant.and_then(|v| v.id.clone()),
        "line": line,
        "error": message,
    });
    serde_json::to_writer(out, &value).map_err(io::Error::other)
}
