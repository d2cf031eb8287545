//! Reading a source's records near one variant after another. A cursor (one per lane of
//! threads, `engine::lanes`) keeps its place in the bgzipped file and the records read that
//! may still overlap a later variant: input sorted by position (a VCF) then reads each
//! source block once, in order, instead of seeking and inflating a block per variant. It
//! goes back to the index only for another contig, a variant before the last one, or a jump
//! past [`STREAM_GAP`] bases (where seeking beats reading what lies between).
//!
//! Why this is exact: the index's chunks for `[lo, hi]` start at or before every record
//! overlapping it (tabix bins records by their whole span), and the file is sorted by
//! position, so reading on from the first chunk sees every such record; for later variants
//! with `lo` no lower, a record dropped because it ended before an earlier `lo` cannot
//! overlap them.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead};

use noodles::bgzf;
use noodles::core::{region::Interval, Position};
use noodles::csi::BinningIndex;

use super::record::{Record, RecordError};

/// Bases ahead of the last record read beyond which the index is asked where to go: one
/// tabix bin at its finest (16 kb).
const STREAM_GAP: u64 = 1 << 14;

/// Records kept once a long record at the front holds the queue: then the queue is swept.
const SWEEP_AT: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum CursorError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error(transparent)]
    Record(#[from] RecordError),
}

pub(super) struct Cursor {
    reader: bgzf::io::Reader<File>,
    /// The index's number of the contig whose records are queued; `None`: not placed.
    contig: Option<usize>,
    /// The lowest position the queue is complete from.
    floor: u64,
    /// Records read, in file order, that may overlap this or a later variant.
    queue: VecDeque<Record>,
    /// No records of the contig follow those queued.
    exhausted: bool,
    /// Line buffers of dropped records, reused.
    spare: Vec<Vec<u8>>,
}

impl Cursor {
    pub fn new(file: File) -> Self {
        Self {
            reader: bgzf::io::Reader::new(file),
            contig: None,
            floor: 0,
            queue: VecDeque::new(),
            exhausted: false,
            spare: Vec::new(),
        }
    }

    /// The records whose reference span overlaps `lo..=hi` on contig number `contig` (named
    /// `name` in the file). After an error the cursor starts afresh at its next use.
    pub fn overlapping(
        &mut self,
        index: &dyn BinningIndex,
        contig: usize,
        name: &[u8],
        lo: u64,
        hi: u64,
    ) -> Result<impl Iterator<Item = &Record>, CursorError> {
        if let Err(e) = self.advance(index, contig, name, lo, hi) {
            self.reset();
            return Err(e);
        }
        Ok(self
            .queue
            .iter()
            .filter(move |r| r.pos <= hi && r.end >= lo))
    }

    /// Forgets the place and the queue: the next look-up asks the index.
    pub fn reset(&mut self) {
        self.contig = None;
        self.exhausted = false;
        while let Some(r) = self.queue.pop_front() {
            self.spare.push(r.line.into_bytes());
        }
    }

    fn advance(
        &mut self,
        index: &dyn BinningIndex,
        contig: usize,
        name: &[u8],
        lo: u64,
        hi: u64,
    ) -> Result<(), CursorError> {
        let placed = self.contig == Some(contig) && lo >= self.floor;
        let far = self
            .queue
            .back()
            .is_some_and(|r| r.pos.saturating_add(STREAM_GAP) < lo)
            || (self.queue.is_empty()
                && !self.exhausted
                && lo > self.floor.saturating_add(STREAM_GAP));
        if !placed || far {
            // A far jump seeks only when the target lies beyond where the reader is.
            if !self.place(index, contig, lo, hi, placed)? {
                return Ok(());
            }
        }
        self.floor = lo;
        self.drop_behind(lo);
        self.read_to(name, lo, hi)
    }

    /// Moves to the first chunk the index gives for `lo..=hi`. `Ok(false)`: nothing there
    /// (the cursor is left unplaced, so the next variant asks the index again).
    fn place(
        &mut self,
        index: &dyn BinningIndex,
        contig: usize,
        lo: u64,
        hi: u64,
        only_forward: bool,
    ) -> Result<bool, CursorError> {
        let interval = Interval::from(
            Position::new(lo.max(1) as usize).unwrap_or(Position::MIN)
                ..=Position::new(hi.max(1) as usize).unwrap_or(Position::MIN),
        );
        let chunks = index.query(contig, interval)?;
        let Some(start) = chunks.iter().map(|c| c.start()).min() else {
            self.reset();
            return Ok(false);
        };
        if only_forward && start <= self.reader.virtual_position() {
            return Ok(true);
        }
        self.reset();
        self.reader.seek(start)?;
        self.contig = Some(contig);
        Ok(true)
    }

    fn drop_behind(&mut self, lo: u64) {
        while self.queue.front().is_some_and(|r| r.end < lo) {
            if let Some(r) = self.queue.pop_front() {
                self.spare.push(r.line.into_bytes());
            }
        }
        if self.queue.len() > SWEEP_AT {
            let spare = &mut self.spare;
            self.queue.retain_mut(|r| {
                let keep = r.end >= lo;
                if !keep {
                    spare.push(std::mem::take(&mut r.line).into_bytes());
                }
                keep
            });
        }
    }

    /// Reads records until one starts after `hi` (kept: it may serve the next variant).
    fn read_to(&mut self, name: &[u8], lo: u64, hi: u64) -> Result<(), CursorError> {
        while !self.exhausted && self.queue.back().is_none_or(|r| r.pos <= hi) {
            let mut line = self.spare.pop().unwrap_or_default();
            line.clear();
            if self.reader.read_until(b'\n', &mut line)? == 0 {
                self.exhausted = true;
                self.spare.push(line);
                break;
            }
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            if line.is_empty() || line[0] == b'#' {
                self.spare.push(line);
                continue;
            }
            let on_contig = line
                .iter()
                .position(|&b| b == b'\t')
                .is_some_and(|tab| &line[..tab] == name);
            if !on_contig {
                // Sorted by contig: the next one has begun.
                self.exhausted = true;
                self.spare.push(line);
                break;
            }
            let record = Record::parse(line).map_err(|(e, line)| {
                self.spare.push(line);
                e
            })?;
            if record.end < lo {
                self.spare.push(record.line.into_bytes());
                continue;
            }
            self.queue.push_back(record);
        }
        Ok(())
    }
}
