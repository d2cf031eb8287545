//! The sessions whose sockets this replica holds, and how to wake them.
//!
//! Results do not pass through here: they sit in the session's stream in the [`Store`]
//! (crate::store), and a woken session task reads them at its own pace. So the registry holds
//! no queue a slow client could grow; it only maps session ids to their signals.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegistryError {
    #[error("the gateway holds its maximum of {0} sessions")]
    TooManySessions(usize),
}

impl RegistryError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooManySessions(_) => "too_many_sessions",
        }
    }
}

/// How other parts of the gateway reach one connected session task.
#[derive(Debug, Default)]
pub struct Signals {
    /// New entries may be in the session's stream.
    pub wake: Notify,
    /// Another connection resumed this session: this one must close.
    pub evict: Notify,
}

/// A registered socket: its identity and signals.
#[derive(Debug, Clone)]
pub struct Registration {
    pub connection: String,
    pub signals: Arc<Signals>,
}

struct Local {
    /// Identifies the socket, so a stale connection cannot unregister its successor.
    connection: String,
    signals: Arc<Signals>,
}

pub struct Registry {
    sessions: Mutex<HashMap<String, Local>>,
    max_sessions: usize,
}

impl Registry {
    pub fn new(max_sessions: usize) -> Self {
        Self {
            sessions: Mutex::new(HashMap::new()),
            max_sessions,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Local>> {
        // Every operation leaves the map consistent, so a panic elsewhere must not stop routing.
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a new socket under a fresh session id (a UUID: it is also the capability
    /// that lets a client resume).
    pub fn register_session(&self) -> Result<(String, Registration), RegistryError> {
        let session_id = uuid::Uuid::new_v4().to_string();
        let connection = uuid::Uuid::new_v4().to_string();
        let signals = self.register(&session_id, &connection)?;
        Ok((
            session_id,
            Registration {
                connection,
                signals,
            },
        ))
    }

    /// Forgets a session whose socket never started (failed handshake).
    pub fn unregister_session(&self, session_id: &str) {
        self.lock().remove(session_id);
    }

    /// Registers a new socket under `session_id`.
    pub fn register(
        &self,
        session_id: &str,
        connection: &str,
    ) -> Result<Arc<Signals>, RegistryError> {
        let mut map = self.lock();
        if map.len() >= self.max_sessions {
            return Err(RegistryError::TooManySessions(self.max_sessions));
        }
        let signals = Arc::new(Signals::default());
        map.insert(
            session_id.to_owned(),
            Local {
                connection: connection.to_owned(),
                signals: signals.clone(),
            },
        );
        Ok(signals)
    }

    /// Moves a socket from its fresh session id to the one it resumed. A socket on this
    /// replica still holding that id is evicted.
    pub fn rebind(&self, from: &str, to: &str, connection: &str) -> Arc<Signals> {
        let mut map = self.lock();
        let signals = match map.remove(from) {
            Some(local) if local.connection == connection => local.signals,
            Some(other) => {
                map.insert(from.to_owned(), other);
                Arc::new(Signals::default())
            }
            None => Arc::new(Signals::default()),
        };
        let previous = map.insert(
            to.to_owned(),
            Local {
                connection: connection.to_owned(),
                signals: signals.clone(),
            },
        );
        if let Some(previous) = previous {
            if previous.connection != connection {
                previous.signals.evict.notify_one();
            }
        }
        signals
    }

    /// Forgets a session, unless another connection has taken its id since.
    pub fn unregister(&self, session_id: &str, connection: &str) {
        let mut map = self.lock();
        if map
            .get(session_id)
            .is_some_and(|l| l.connection == connection)
        {
            map.remove(session_id);
        }
    }

    pub fn wake(&self, session_id: &str) {
        if let Some(local) = self.lock().get(session_id) {
            local.signals.wake.notify_one();
        }
    }

    /// After a lost notification channel (Redis restart): every session re-reads its stream.
    pub fn wake_all(&self) {
        for local in self.lock().values() {
            local.signals.wake.notify_one();
        }
    }

    /// Closes the local socket of `session_id` unless it is `connection` itself.
    pub fn evict(&self, session_id: &str, connection: &str) {
        if let Some(local) = self.lock().get(session_id) {
            if local.connection != connection {
                local.signals.evict.notify_one();
            }
        }
    }

    pub fn session_count(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_limit_is_enforced() {
        let reg = Registry::new(1);
        reg.register("s1", "c1").expect("room");
        assert_eq!(
            reg.register("s2", "c2").err(),
            Some(RegistryError::TooManySessions(1))
        );
        reg.unregister("s1", "c1");
        assert!(reg.register("s2", "c2").is_ok());
    }

    #[tokio::test]
    async fn resuming_a_session_held_here_evicts_the_old_socket() {
        let reg = Registry::new(4);
        let old = reg.register("s1", "c1").expect("room");
        reg.register("fresh", "c2").expect("room");
        reg.rebind("fresh", "s1", "c2");
        tokio::time::timeout(std::time::Duration::from_secs(1), old.evict.notified())
            .await
            .expect("old socket evicted");
        // The old socket's cleanup must not remove its successor.
        reg.unregister("s1", "c1");
        assert_eq!(reg.session_count(), 1);
    }

    #[tokio::test]
    async fn waking_reaches_only_the_named_session() {
        let reg = Registry::new(4);
        let a = reg.register("a", "c1").expect("room");
        let b = reg.register("b", "c2").expect("room");
        reg.wake("a");
        tokio::time::timeout(std::time::Duration::from_secs(1), a.wake.notified())
            .await
            .expect("a woken");
        let b_woken =
            tokio::time::timeout(std::time::Duration::from_millis(50), b.wake.notified()).await;
        assert!(b_woken.is_err());
    }
}
