//! `annotate --threads N`: the input is cut at line breaks into parts, N workers annotate
//! parts side by side into their own buffers, and the calling thread, which also reads the
//! input, writes the buffers in input order. A part starts after the first record, so every
//! part but the first continues a stream whose header is written ([`Part`]), and a part is
//! annotated by the same code as a whole input: the output does not depend on N.
//!
//! Memory is bounded by the parts in flight (twice the workers), each at most
//! [`PART_LINES`] lines or [`PART_BYTES`] of input (plus the rest of a FASTA record it ends
//! in, up to the sequence length limit) plus its output. Output buffers go back
//! to the workers once written, and each worker keeps its VCF hot-path state from part to
//! part, so a part costs no fresh allocations.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::sync::mpsc;
use std::sync::Mutex;

use anyhow::Context;

use super::{annotate_part, OutputFormat, Part, PartState, Summary};
use crate::cli::format::{continues_fasta, is_header};
use crate::engine::predict::Engine;
use crate::sequence::SequenceCaller;

/// Lines per part: enough to make handing a part over negligible, few enough that JSON
/// output (about 7 KB a variant at genome scale) stays a few MB per part.
const PART_LINES: usize = 1024;
/// Input bytes per part, for VCFs with long sample columns.
const PART_BYTES: usize = 1 << 20;

/// A part of the input, where it goes in the output, and a buffer to write it into.
struct Job {
    seq: usize,
    input: Vec<u8>,
    part: Part,
    output: Vec<u8>,
}

type Done = (usize, anyhow::Result<(Vec<u8>, Summary)>);

/// Annotates `reader` into `out` with `threads` workers; what one thread would write.
pub(super) fn annotate(
    engine: &Engine,
    sequence: &SequenceCaller,
    format: OutputFormat,
    mut reader: impl BufRead,
    out: &mut impl Write,
    threads: usize,
) -> anyhow::Result<Summary> {
    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let job_rx = &job_rx;
            scope.spawn(move || work(engine, sequence, format, job_rx, done_tx));
        }
        drop(done_tx);
        // Ends the workers when this returns, whatever the outcome.
        let max_length = sequence.settings().max_length;
        let result = coordinate(&mut reader, out, &job_tx, &done_rx, 2 * threads, max_length);
        drop(job_tx);
        result
    })
}

/// A worker: annotates parts until there are none left or nobody waits for them.
fn work(
    engine: &Engine,
    sequence: &SequenceCaller,
    format: OutputFormat,
    jobs: &Mutex<mpsc::Receiver<Job>>,
    done: mpsc::Sender<Done>,
) {
    let mut state = PartState::new(engine);
    loop {
        // A poisoned lock only means another worker panicked; the queue is still sound.
        let job = jobs.lock().unwrap_or_else(|p| p.into_inner()).recv();
        let Ok(mut job) = job else { return };
        // A panic is a defect; it must end the run with an error, not leave the part missing
        // and the writer waiting for it.
        let annotated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            annotate_part(
                engine,
                sequence,
                format,
                &mut state,
                &job.input[..],
                &mut job.output,
                job.part,
            )
        }));
        let panicked = annotated.is_err();
        let result = annotated
            .unwrap_or_else(|_| {
                Err(anyhow::anyhow!(
                    "annotation failed on the part from input line {}",
                    job.part.first_line + 1
                ))
            })
            .map(|summary| (job.output, summary));
        // After a panic this worker's state may be half-updated: it takes no more parts.
        if done.send((job.seq, result)).is_err() || panicked {
            return;
        }
    }
}

/// Reads parts and hands them out while fewer than `in_flight` are unwritten; writes the
/// finished ones in order. Stops at the first error, after writing every part before it.
fn coordinate(
    reader: &mut impl BufRead,
    out: &mut impl Write,
    jobs: &mpsc::Sender<Job>,
    done: &mpsc::Receiver<Done>,
    in_flight: usize,
    max_length: usize,
) -> anyhow::Result<Summary> {
    let mut cutter = Cutter::new(max_length);
    let mut finished: BTreeMap<usize, anyhow::Result<(Vec<u8>, Summary)>> = BTreeMap::new();
    let (mut sent, mut written) = (0, 0);
    let mut summary = Summary::default();
    let mut eof = false;
    let mut spare: Vec<Vec<u8>> = Vec::new();
    loop {
        while !eof && sent - written < in_flight {
            match cutter.next(reader)? {
                Some((input, part)) => {
                    let job = Job {
                        seq: sent,
                        input,
                        part,
                        output: spare.pop().unwrap_or_default(),
                    };
                    jobs.send(job).context("the annotating threads stopped")?;
                    sent += 1;
                }
                None => eof = true,
            }
        }
        if written == sent {
            return Ok(summary);
        }
        let (seq, result) = done.recv().context("the annotating threads stopped")?;
        finished.insert(seq, result);
        while let Ok((seq, result)) = done.try_recv() {
            finished.insert(seq, result);
        }
        while let Some(result) = finished.remove(&written) {
            let (mut output, part_summary) = result?;
            out.write_all(&output).context("writing output")?;
            output.clear();
            spare.push(output);
            summary.annotated += part_summary.annotated;
            summary.failed += part_summary.failed;
            written += 1;
        }
    }
}

/// Cuts the input into parts at line breaks, never inside a FASTA record the part's loop
/// would still read (one up to the sequence length limit); a record past the limit may be cut,
/// and the next part is told to skip its rest, as one thread does.
struct Cutter {
    /// Lines read so far.
    lines: usize,
    /// A record (a line that is not header, comment or blank) has been read: parts may end.
    record_seen: bool,
    /// A part was cut: the first part is cut even from an empty input, whose output is a
    /// header alone.
    cut: bool,
    /// The last line began or continued a FASTA record, with this many letters so far.
    fasta: Option<usize>,
    /// `SEQUENCE_MAX_LENGTH`: a record with more letters is refused whole.
    max_length: usize,
    /// The next part begins inside a record past the limit.
    in_long_record: bool,
}

impl Cutter {
    fn new(max_length: usize) -> Self {
        Self {
            lines: 0,
            record_seen: false,
            cut: false,
            fasta: None,
            max_length,
            in_long_record: false,
        }
    }

    /// The next part, `None` at the end of the input.
    fn next(&mut self, reader: &mut impl BufRead) -> anyhow::Result<Option<(Vec<u8>, Part)>> {
        let part = Part {
            first_line: self.lines,
            header_written: self.record_seen,
            in_long_record: std::mem::take(&mut self.in_long_record),
        };
        let mut input = Vec::new();
        let mut lines = 0;
        loop {
            let start = input.len();
            let read = reader
                .read_until(b'\n', &mut input)
                .with_context(|| format!("reading input line {}", self.lines + 1))?;
            if read == 0 {
                break;
            }
            self.lines += 1;
            lines += 1;
            // Not UTF-8: the part's own reading reports it.
            let text = std::str::from_utf8(&input[start..])
                .ok()
                .map(|t| t.trim_end_matches(['\n', '\r']));
            if !self.record_seen {
                self.record_seen = text.is_none_or(|text| !is_header(text));
            }
            self.fasta = match (text, self.fasta) {
                (Some(text), _) if text.trim_start().starts_with('>') => Some(0),
                (Some(text), Some(letters)) if continues_fasta(text) => {
                    Some(letters.saturating_add(text.trim().len()))
                }
                _ => None,
            };
            if self.record_seen && (lines >= PART_LINES || input.len() >= PART_BYTES) {
                let next = reader.fill_buf().context("reading input")?;
                match self.fasta {
                    Some(letters) if may_continue(next) => {
                        if letters <= self.max_length {
                            // The record is still read whole by the part: read on.
                            continue;
                        }
                        self.in_long_record = true;
                        break;
                    }
                    _ => break,
                }
            }
        }
        let first = !std::mem::replace(&mut self.cut, true);
        Ok((lines > 0 || first).then_some((input, part)))
    }
}

/// Whether the line starting at `next` could be a FASTA letter line ([`continues_fasta`]):
/// its first visible byte is a letter, `*` or `-` (or not yet buffered).
fn may_continue(next: &[u8]) -> bool {
    match next.iter().find(|b| !matches!(b, b' ' | b'\t')) {
        Some(b) => b.is_ascii_alphabetic() || matches!(b, b'*' | b'-'),
        None => !next.is_empty(),
    }
}

#[cfg(test)]
mod tests;
