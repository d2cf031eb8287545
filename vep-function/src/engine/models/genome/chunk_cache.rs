//! A small LRU of decoded reference chunks, keyed by contig and chunk index.

use rustc_hash::FxHashMap;

pub(super) struct ChunkCache {
    capacity: usize,
    tick: u64,
    entries: Vec<Entry>,
    /// contig -> chunk -> slot in `entries`.
    index: FxHashMap<String, FxHashMap<u64, usize>>,
    /// Slot of the chunk used last: consecutive reads (sorted input, a variant's transcripts)
    /// mostly hit it again, which skips hashing the contig name and chunk.
    last: Option<usize>,
}

struct Entry {
    contig: String,
    chunk: u64,
    last_used: u64,
    bases: Vec<u8>,
}

impl ChunkCache {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            tick: 0,
            entries: Vec::new(),
            index: FxHashMap::default(),
            last: None,
        }
    }

    /// The bases of a cached chunk, marked used.
    #[cfg(test)]
    pub(super) fn get(&mut self, contig: &str, chunk: u64) -> Option<&[u8]> {
        let slot = self.slot(contig, chunk)?;
        Some(self.bases(slot))
    }

    /// Slot of a cached chunk, marked used. Slots (not shared pointers) are handed out so a
    /// hit costs no reference counting: the caller copies the bases out before the next call.
    pub(super) fn slot(&mut self, contig: &str, chunk: u64) -> Option<usize> {
        self.tick += 1;
        let recent = self
            .last
            .filter(|&i| self.entries[i].chunk == chunk && self.entries[i].contig == contig);
        let i = match recent {
            Some(i) => i,
            None => *self.index.get(contig)?.get(&chunk)?,
        };
        self.last = Some(i);
        self.entries[i].last_used = self.tick;
        Some(i)
    }

    /// Bases held in `slot` (from [`ChunkCache::slot`] or [`ChunkCache::insert`]).
    pub(super) fn bases(&self, slot: usize) -> &[u8] {
        self.entries.get(slot).map_or(&[], |e| e.bases.as_slice())
    }

    /// Caches a chunk (evicting the least recently used one when full); returns its slot.
    pub(super) fn insert(&mut self, contig: &str, chunk: u64, bases: Vec<u8>) -> usize {
        self.tick += 1;
        let entry = Entry {
            contig: contig.to_string(),
            chunk,
            last_used: self.tick,
            bases,
        };
        let slot = if self.entries.len() < self.capacity {
            self.entries.push(entry);
            self.entries.len() - 1
        } else {
            let oldest = (0..self.entries.len())
                .min_by_key(|&i| self.entries[i].last_used)
                .unwrap_or(0);
            let old = std::mem::replace(&mut self.entries[oldest], entry);
            if let Some(chunks) = self.index.get_mut(&old.contig) {
                chunks.remove(&old.chunk);
            }
            oldest
        };
        self.index
            .entry(contig.to_string())
            .or_default()
            .insert(chunk, slot);
        self.last = Some(slot);
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_least_recently_used_chunk() {
        let mut cache = ChunkCache::new(2);
        cache.insert("1", 0, vec![b'A']);
        cache.insert("1", 1, vec![b'C']);
        assert!(cache.get("1", 0).is_some());
        cache.insert("1", 2, vec![b'G']);
        assert!(cache.get("1", 1).is_none());
        assert!(cache.get("1", 0).is_some());
        assert!(cache.get("1", 2).is_some());
    }
}
