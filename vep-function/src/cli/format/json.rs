//! `annotate --format json`: JSON Lines, one Ensembl VEP REST object per annotated allele in
//! the engine's field order, written by the shared JSON writer (`contract::output::json`);
//! plain VCF records take the hot path ([`direct::DirectJson`]), which writes the same bytes
//! straight from the engine's effects. A line that cannot be parsed or annotated yields an
//! object with `error` (and its line number), so nothing is dropped silently.

mod direct;

use std::io::{self, BufRead, Write};

use contract::annotation::KeyOrder;
use contract::output::json::push_annotation;

use super::read_lines;
use crate::cli::annotate::{Part, Summary};
use crate::driver::text::{annotate_text, Outcome};
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

/// [`annotate_stream`] on one part of a longer input (`--threads`): error objects name the
/// line numbers of the whole input.
pub fn annotate_part(
    engine: &Engine,
    sequence: &SequenceCaller,
    state: &mut JsonState<'_>,
    reader: impl BufRead,
    out: &mut impl Write,
    part: Part,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let direct = &mut state.0;
    // One output buffer for the objects of a line, reused.
    let mut buf = Vec::with_capacity(1 << 14);
    let mut n = part.first_line;
    read_lines(reader, |line| {
        n += 1;
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            return Ok(());
        }
        buf.clear();
        match direct.record(text, &mut buf) {
            Some(annotated) => summary.annotated += annotated,
            None => general(engine, sequence, n, text, &mut buf, &mut summary)?,
        }
        out.write_all(&buf)
    })
    .map_err(|e| match e.kind() {
        // Not UTF-8: say where, counting the lines of the whole input.
        io::ErrorKind::InvalidData => {
            io::Error::new(e.kind(), format!("reading input line {}: {e}", n + 1))
        }
        _ => e,
    })?;
    Ok(summary)
}

/// The objects of one line through the general path (any notation, errors).
fn general(
    engine: &Engine,
    sequence: &SequenceCaller,
    line: usize,
    text: &str,
    buf: &mut Vec<u8>,
    summary: &mut Summary,
) -> io::Result<()> {
    match annotate_text(engine, sequence, text) {
        Outcome::Variants(results) => {
            for (variant, result) in results {
                match result {
                    Ok(a) => {
                        push_annotation(buf, &a, KeyOrder::Declared);
                        summary.annotated += 1;
                    }
                    Err(e) => {
                        push_error(buf, line, text, Some(&variant), &e.to_string())?;
                        summary.failed += 1;
                    }
                }
                buf.push(b'\n');
            }
        }
        Outcome::Sequence(Ok(called)) => {
            for (_, a) in called {
                push_annotation(buf, &a, KeyOrder::Declared);
                buf.push(b'\n');
                summary.annotated += 1;
            }
        }
        Outcome::Sequence(Err(f)) => {
            push_error(buf, line, text, None, &f.message)?;
            buf.push(b'\n');
            summary.failed += 1;
        }
        Outcome::Unparsable(e) => {
            push_error(buf, line, text, None, &e.to_string())?;
            buf.push(b'\n');
            summary.failed += 1;
        }
    }
    Ok(())
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
