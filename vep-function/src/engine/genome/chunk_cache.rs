//! A small LRU of decoded reference chunks, keyed by contig and chunk index.

use std::sync::Arc;

pub(super) struct ChunkCache {
    capacity: usize,
    tick: u64,
    entries: Vec<Entry>,
}

struct Entry {
    contig: String,
    chunk: u64,
    last_used: u64,
    bases: Arc<Vec<u8>>,
}

impl ChunkCache {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            tick: 0,
            entries: Vec::new(),
        }
    }

    pub(super) fn get(&mut self, contig: &str, chunk: u64) -> Option<Arc<Vec<u8>>> {
        self.tick += 1;
        let tick = self.tick;
        self.entries
            .iter_mut()
            .find(|e| e.chunk == chunk && e.contig == contig)
            .map(|e| {
                e.last_used = tick;
                Arc::clone(&e.bases)
            })
    }

    pub(super) fn insert(&mut self, contig: &str, chunk: u64, bases: Vec<u8>) -> Arc<Vec<u8>> {
        self.tick += 1;
        let bases = Arc::new(bases);
        let entry = Entry {
            contig: contig.to_string(),
            chunk,
            last_used: self.tick,
            bases: Arc::clone(&bases),
        };
        if self.entries.len() < self.capacity {
            self.entries.push(entry);
        } else if let Some(oldest) = self.entries.iter_mut().min_by_key(|e| e.last_used) {
            *oldest = entry;
        }
        bases
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
