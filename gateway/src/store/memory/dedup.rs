//! A bounded memory of delivered (source, id) pairs: CloudEvents are delivered at least once.

use std::collections::{HashSet, VecDeque};

#[derive(Debug)]
pub struct DedupWindow {
    seen: HashSet<(String, String)>,
    order: VecDeque<(String, String)>,
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

    pub fn contains(&self, source: &str, id: &str) -> bool {
        self.seen.contains(&(source.to_owned(), id.to_owned()))
    }

    /// Remembers a pair, forgetting the oldest once full.
    pub fn insert(&mut self, source: &str, id: &str) {
        let key = (source.to_owned(), id.to_owned());
        if !self.seen.insert(key.clone()) {
            return;
        }
        self.order.push_back(key);
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
    fn same_id_from_another_source_is_not_a_duplicate() {
        let mut d = DedupWindow::new(10);
        d.insert("src-a", "1");
        assert!(d.contains("src-a", "1"));
        assert!(!d.contains("src-b", "1"));
    }

    #[test]
    fn oldest_entry_is_forgotten_when_full() {
        let mut d = DedupWindow::new(2);
        d.insert("s", "1");
        d.insert("s", "2");
        d.insert("s", "3");
        assert_eq!(d.len(), 2);
        assert!(!d.contains("s", "1"));
        assert!(d.contains("s", "2") && d.contains("s", "3"));
    }

    #[test]
    fn reinserting_does_not_grow_the_window() {
        let mut d = DedupWindow::new(2);
        d.insert("s", "1");
        d.insert("s", "1");
        assert_eq!(d.len(), 1);
    }
}
