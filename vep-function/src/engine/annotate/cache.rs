//! A small, bounded, thread-safe cache of transcript sequences (least recently used out).

use std::sync::{Arc, Mutex};

/// (transcript id, transcript start) and its sequence.
type Entry = ((String, u64), Arc<Vec<u8>>);

#[derive(Debug)]
pub(super) struct SequenceCache {
    capacity: usize,
    /// Most recently used last; a linear scan is cheap at this size.
    entries: Mutex<Vec<Entry>>,
}

impl SequenceCache {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: Mutex::new(Vec::new()),
        }
    }

    pub(super) fn get(&self, key: (&str, u64)) -> Option<Arc<Vec<u8>>> {
        // A poisoned lock only means a panic elsewhere mid-update; entries stay valid.
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let i = entries
            .iter()
            .rposition(|((id, start), _)| id == key.0 && *start == key.1)?;
        let entry = entries.remove(i);
        let seq = Arc::clone(&entry.1);
        entries.push(entry);
        Some(seq)
    }

    pub(super) fn insert(&self, key: (&str, u64), seq: Arc<Vec<u8>>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
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
