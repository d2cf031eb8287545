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
use crate::engine::input::parse_alleles;
use crate::engine::input::Variant;
use crate::engine::predict::Engine;

/// Annotates line by line: memory stays flat however long the input is.
pub fn annotate_stream(
    engine: &Engine,
    reader: impl BufRead,
    out: &mut impl Write,
) -> io::Result<Summary> {
    annotate_part(
        engine,
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
            None => general(engine, n, text, &mut buf, &mut summary)?,
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
    line: usize,
    text: &str,
    buf: &mut Vec<u8>,
    summary: &mut Summary,
) -> io::Result<()> {
    match parse_alleles(text, engine) {
        Ok(alleles) => {
            for allele in alleles {
                match allele.map(|v| (engine.annotate(&v), v)) {
                    Ok((Ok(a), _)) => {
                        push_annotation(buf, &a, KeyOrder::Declared);
                        summary.annotated += 1;
                    }
                    Ok((Err(e), v)) => {
                        push_error(buf, line, text, Some(&v), &e.to_string())?;
                        summary.failed += 1;
                    }
                    // One ALT of the line that is no usable allele; the others go on.
                    Err(rejected) => {
                        let message = rejected.error.to_string();
                        push_error(buf, line, text, Some(&rejected.variant), &message)?;
                        summary.failed += 1;
                    }
                }
                buf.push(b'\n');
            }
        }
        Err(e) => {
            push_error(buf, line, text, None, &e.to_string())?;
            buf.push(b'\n');
            summary.failed += 1;
        }
    }
    Ok(())
}

/// `{"error","id","input","line"}`: why line `line` gave no annotation.
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
