//! A small, bounded, thread-safe cache of transcript sequences (least recently used out), one
//! per core (`Lanes`): threads annotating side by side do not share one list.

use std::convert::Infallible;
use std::sync::{Arc, MutexGuard};

use crate::engine::lanes::Lanes;

/// (transcript id, transcript start) and its sequence.
type Entry = ((String, u64), Arc<Vec<u8>>);

#[derive(Debug)]
pub(super) struct SequenceCache {
    capacity: usize,
    /// Most recently used last; a linear scan is cheap at this size.
    entries: Lanes<Vec<Entry>>,
}

impl SequenceCache {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: Lanes::new(Vec::new()),
        }
    }

    /// The calling thread's entries (a lane is an empty list when first used).
    fn entries(&self) -> MutexGuard<'_, Vec<Entry>> {
        match self.entries.lock(|| Ok::<_, Infallible>(Vec::new())) {
            Ok(entries) => entries,
            Err(never) => match never {},
        }
    }

    pub(super) fn get(&self, key: (&str, u64)) -> Option<Arc<Vec<u8>>> {
        let mut entries = self.entries();
        let i = entries
            .iter()
            .rposition(|((id, start), _)| id == key.0 && *start == key.1)?;
        let entry = entries.remove(i);
        let seq = Arc::clone(&entry.1);
        entries.push(entry);
        Some(seq)
    }

    pub(super) fn insert(&self, key: (&str, u64), seq: Arc<Vec<u8>>) {
        let mut entries = self.entries();
        if entries.len() >= self.capacity {
            entries.remove(0);
        }
        entries.push(((key.0.to_string(), key.1), seq));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_at_most_capacity_entries_dropping_the_least_recent() {
        let cache = SequenceCache::new(2);
        cache.insert(("T1", 1), Arc::new(b"A".to_vec()));
        cache.insert(("T2", 1), Arc::new(b"C".to_vec()));
        assert!(cache.get(("T1", 1)).is_some());
        cache.insert(("T3", 1), Arc::new(b"G".to_vec()));
        assert!(cache.get(("T2", 1)).is_none());
        assert_eq!(cache.get(("T1", 1)).unwrap().as_slice(), b"A");
        assert!(cache.get(("T3", 1)).is_some());
    }
}
