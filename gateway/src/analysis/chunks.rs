//! An analysis cut into chunks: by count and by bytes of variant text (issue #16.1: one
//! variant may be 10 kB, and every event must fit `EVENT_MAX_BYTES` with its headers). The
//! cut is the analysis' [`ChunkStarts`], what every part and failure is later checked against.

use contract::output::json;

use super::ranges::ChunkStarts;

/// One slice of a submission's variants, in submission order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub index: usize,
    pub count: usize,
    /// Index within the analysis of this chunk's first variant.
    pub first_index: usize,
    pub variants: Vec<String>,
}

/// Cuts a stream of variants into chunks of at most `max_variants` variants and at most
/// `max_bytes` of variant text as the event's JSON writes it.
#[derive(Debug, Clone)]
pub struct Chunker {
    max_variants: usize,
    max_bytes: usize,
    count: usize,
    bytes: usize,
    starts: Vec<u64>,
    next: u64,
}

impl Chunker {
    pub fn new(max_variants: usize, max_bytes: usize) -> Self {
        Self {
            max_variants: max_variants.max(1),
            max_bytes,
            count: 0,
            bytes: 0,
            starts: Vec::new(),
            next: 0,
        }
    }

    /// Places the next variant; true when it starts a chunk.
    pub fn push(&mut self, variant: &str) -> bool {
        // Its JSON string and the comma before the next.
        let cost = json::str_len(variant) + 1;
        let starts =
            self.next == 0 || self.count >= self.max_variants || self.bytes + cost > self.max_bytes;
        if starts {
            self.starts.push(self.next);
            (self.count, self.bytes) = (0, 0);
        }
        self.count += 1;
        self.bytes += cost;
        self.next += 1;
        starts
    }

    /// Where each chunk of the variants pushed so far starts.
    pub fn finish(self) -> ChunkStarts {
        ChunkStarts::new(self.starts, self.next)
            .unwrap_or_else(|| unreachable!("chunk starts increase from 0"))
    }
}

/// Splits variants into chunks as `chunker` cuts them.
pub fn chunk(variants: Vec<String>, mut chunker: Chunker) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::new();
    for (i, v) in variants.into_iter().enumerate() {
        if chunker.push(&v) {
            out.push(Chunk {
                index: out.len(),
                count: 0,
                first_index: i,
                variants: Vec::new(),
            });
        }
        if let Some(last) = out.last_mut() {
            last.variants.push(v);
        }
    }
    let count = out.len();
    for c in &mut out {
        c.count = count;
    }
    out
}

#[cfg(test)]
mod tests;
