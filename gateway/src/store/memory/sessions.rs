//! The resume-secret hashes of the sessions this process issued (no Redis): one 32-byte hash
//! per session, kept for the TTL after the session's last connection closed, and bounded in
//! number so opening sessions in a loop cannot grow the process without limit.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::credential::SecretHash;

/// Sessions remembered at most (~75 bytes each: under 8 MB).
pub const CAPACITY: usize = 100_000;

struct Key {
    hash: SecretHash,
    touched: Instant,
}

pub struct SessionKeys {
    map: HashMap<Uuid, Key>,
    capacity: usize,
    ttl: Duration,
}

impl SessionKeys {
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            map: HashMap::new(),
            capacity: capacity.max(1),
            ttl,
        }
    }

    /// Remembers a new session's hash. When full, expired keys go first, then the least
    /// recently used ones of sessions `connected` says are not held by a socket (those
    /// sessions can no longer be resumed; they are told `session_secret_invalid`).
    pub fn insert(&mut self, id: Uuid, hash: SecretHash, connected: impl Fn(&Uuid) -> bool) {
        if self.map.len() >= self.capacity && !self.map.contains_key(&id) {
            self.sweep();
        }
        if self.map.len() >= self.capacity {
            self.evict_idle(connected);
        }
        self.map.insert(
            id,
            Key {
                hash,
                touched: Instant::now(),
            },
        );
    }

    fn evict_idle(&mut self, connected: impl Fn(&Uuid) -> bool) {
        // A sixteenth at a time, so a full map does not sort on every new session.
        let mut idle: Vec<(Instant, Uuid)> = self
            .map
            .iter()
            .filter(|(id, _)| !connected(id))
            .map(|(id, k)| (k.touched, *id))
            .collect();
        idle.sort_unstable();
        for (_, id) in idle.into_iter().take((self.capacity / 16).max(1)) {
            self.map.remove(&id);
        }
    }

    pub fn get(&self, id: &Uuid) -> Option<SecretHash> {
        self.map
            .get(id)
            .filter(|k| k.touched.elapsed() < self.ttl)
            .map(|k| k.hash)
    }

    /// Restarts the key's TTL (its session was just used or closed).
    pub fn touch(&mut self, id: &Uuid) {
        if let Some(k) = self.map.get_mut(id) {
            k.touched = Instant::now();
        }
    }

    pub fn remove(&mut self, id: &Uuid) {
        self.map.remove(id);
    }

    pub fn sweep(&mut self) {
        let ttl = self.ttl;
        self.map.retain(|_, k| k.touched.elapsed() < ttl);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn a_key_is_found_until_its_ttl_passes() {
        let mut keys = SessionKeys::new(4, Duration::from_millis(30));
        let id = Uuid::new_v4();
        keys.insert(id, SecretHash::of("s"), |_| false);
        assert_eq!(keys.get(&id), Some(SecretHash::of("s")));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(keys.get(&id), None);
        keys.sweep();
        assert_eq!(keys.len(), 0);
    }

    #[test]
    fn when_full_idle_sessions_make_room_and_connected_ones_stay() {
        let mut keys = SessionKeys::new(16, HOUR);
        let held = Uuid::new_v4();
        keys.insert(held, SecretHash::of("held"), |_| false);
        for i in 0..40 {
            keys.insert(Uuid::new_v4(), SecretHash::of(&i.to_string()), |id| {
                *id == held
            });
            assert!(keys.len() <= 16);
        }
        assert_eq!(keys.get(&held), Some(SecretHash::of("held")));
    }
}
