//! A 16-mer index of reference windows: sorted `(k-mer, position)` pairs packed in `u64`, so it
//! costs 8 bytes per indexed base and a look-up is a binary search.

use crate::engine::models::genome::Genome;

use super::regions::Window;
use super::SequenceError;

pub const K: usize = 16;
/// Unused coordinate space between windows, so a diagonal never runs from one into the next.
const WINDOW_GAP: u64 = 1 << 24;
/// Read the reference in pieces of this size, so building never holds a window twice.
const READ_PIECE: u64 = 1 << 20;

pub struct KmerIndex {
    windows: Vec<Window>,
    /// Global coordinate of each window's first base.
    offsets: Vec<u64>,
    entries: Vec<u64>,
}

impl std::fmt::Debug for KmerIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KmerIndex")
            .field("windows", &self.windows.len())
            .field("entries", &self.entries.len())
            .finish()
    }
}

/// 2-bit code of an unambiguous base.
pub fn code(base: u8) -> Option<u64> {
    match base {
        b'A' => Some(0),
        b'C' => Some(1),
        b'G' => Some(2),
        b'T' => Some(3),
        _ => None,
    }
}

/// Every k-mer of `bases` made only of A/C/G/T, with its offset, left to right.
pub fn kmers(bases: &[u8]) -> impl Iterator<Item = (usize, u32)> + '_ {
    let mask = (1u64 << (2 * K)) - 1;
    let mut value = 0u64;
    let mut run = 0usize;
    bases
        .iter()
        .enumerate()
        .filter_map(move |(i, &b)| match code(b) {
            Some(c) => {
                value = ((value << 2) | c) & mask;
                run += 1;
                (run >= K).then(|| (i + 1 - K, value as u32))
            }
            None => {
                run = 0;
                None
            }
        })
}

impl KmerIndex {
    /// Indexes `windows`; refuses when they hold more than `max_bases` reference bases.
    pub fn build(
        genome: &Genome,
        windows: &[Window],
        max_bases: u64,
    ) -> Result<Self, SequenceError> {
        let total: u64 = windows.iter().map(Window::len).sum();
        if total > max_bases {
            return Err(SequenceError::IndexUnavailable(format!(
                "the loaded reference windows hold {total} bases, more than the \
                 {max_bases} the k-mer index may hold"
            )));
        }
        let limit = u64::from(u32::MAX);
        let mut offsets = Vec::with_capacity(windows.len());
        let mut next = 0u64;
        for w in windows {
            offsets.push(next);
            next += w.len() + WINDOW_GAP;
            if next > limit {
                return Err(SequenceError::IndexUnavailable(
                    "too many reference windows for a 32-bit index".into(),
                ));
            }
        }
        let mut entries = Vec::new();
        let mut piece = Vec::new();
        for (w, &offset) in windows.iter().zip(&offsets) {
            let mut from = w.start;
            while from <= w.end {
                // Overlap pieces by K-1 bases so no k-mer is lost at a seam.
                let to = (from + READ_PIECE - 1).min(w.end);
                let read_from = from.saturating_sub(K as u64 - 1).max(w.start);
                piece.clear();
                genome.sequence_into(&w.chrom, read_from, to, &mut piece)?;
                let base = offset + (read_from - w.start);
                for (i, kmer) in kmers(&piece) {
                    let at = read_from + i as u64;
                    if at + (K as u64 - 1) >= from {
                        entries.push((u64::from(kmer) << 32) | (base + i as u64));
                    }
                }
                from = to + 1;
            }
        }
        entries.sort_unstable();
        Ok(Self {
            windows: windows.to_vec(),
            offsets,
            entries,
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Global coordinates where `kmer` occurs.
    pub fn hits(&self, kmer: u32) -> impl Iterator<Item = u64> + '_ {
        let key = u64::from(kmer) << 32;
        let from = self.entries.partition_point(|&e| e < key);
        self.entries[from..]
            .iter()
            .take_while(move |&&e| e >> 32 == u64::from(kmer))
            .map(|&e| e & 0xFFFF_FFFF)
    }

    /// How many times `kmer` occurs (for skipping repeats).
    pub fn count(&self, kmer: u32) -> usize {
        let key = u64::from(kmer) << 32;
        let from = self.entries.partition_point(|&e| e < key);
        let to = self
            .entries
            .partition_point(|&e| e >> 32 <= u64::from(kmer));
        to - from
    }

    /// The window holding global coordinate `global` (or the nearest before it) and its offset.
    pub fn window_at(&self, global: i64) -> Option<(&Window, i64)> {
        let at = self
            .offsets
            .partition_point(|&o| (o as i64) <= global)
            .checked_sub(1)?;
        Some((&self.windows[at], self.offsets[at] as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kmers_skip_ambiguous_letters() {
        let bases = b"ACGTACGTACGTACGTANCGTACGTACGTACGTAC";
        let all: Vec<usize> = kmers(bases).map(|(i, _)| i).collect();
        assert_eq!(all, vec![0, 1, 18, 19]);
        let first = kmers(bases).next().unwrap().1;
        assert_eq!(first, 0b00_01_10_11_00_01_10_11_00_01_10_11_00_01_10_11);
    }
}
