//! A bounded memory of ingested event keys ((source, id)): CloudEvents arrive at least once.

use std::collections::{HashSet, VecDeque};

#[derive(Debug)]
pub struct DedupWindow {
    seen: HashSet<String>,
    order: VecDeque<String>,
    capacity: usize,
}

impl DedupWindow {
    pub fn new(capacity: usize) -> Self {
        Self {
            seen: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    pub fn contains(&self, key: &str) -> bool {
        self.seen.contains(key)
    }

    /// Remembers a key, forgetting the oldest once full.
    pub fn insert(&mut self, key: &str) {
        if !self.seen.insert(key.to_owned()) {
            return;
        }
        self.order.push_back(key.to_owned());
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oldest_entry_is_forgotten_when_full() {
        let mut d = DedupWindow::new(2);
        d.insert("1");
        d.insert("2");
        d.insert("3");
        assert_eq!(d.len(), 2);
        assert!(!d.contains("1"));
        assert!(d.contains("2") && d.contains("3"));
    }

    #[test]
    fn reinserting_does_not_grow_the_window() {
        let mut d = DedupWindow::new(2);
        d.insert("1");
        d.insert("1");
        assert_eq!(d.len(), 1);
    }
}
