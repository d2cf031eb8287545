//! The sessions whose sockets this replica holds, and how to wake them.
//!
//! Results do not pass through here: they sit in the session's stream in the [`Store`]
//! (crate::store), and a woken session task reads them at its own pace. So the registry holds
//! no queue a slow client could grow; it only maps session ids to their signals.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::futures::Notified;
use tokio::sync::{watch, Notify};
use uuid::Uuid;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegistryError {
    #[error("the gateway holds its maximum of {0} sessions")]
    TooManySessions(usize),
    #[error("a session id is a UUID")]
    InvalidSessionId,
}

impl RegistryError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooManySessions(_) => "too_many_sessions",
            Self::InvalidSessionId => "invalid_session_id",
        }
    }
}

/// Another connection resumed this session: this one must close.
const EVICTED: u8 = 1;
/// The server is shutting down: the session closes with "service restart".
const RESTART: u8 = 2;

/// How other parts of the gateway reach one connected session task. One [`Notify`] for
/// every reason plus flags, rather than one waiter per reason: every idle session waits on
/// it, so each waiter would cost once per connection.
#[derive(Debug, Default)]
pub struct Signals {
    notify: Notify,
    flags: AtomicU8,
}

impl Signals {
    /// New entries may be in the session's stream.
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    fn raise(&self, flag: u8) {
        self.flags.fetch_or(flag, Ordering::AcqRel);
        self.notify.notify_one();
    }

    /// Resolves after [`Signals::wake`], an eviction or the shutdown (a signal sent while
    /// nobody waited is kept for the next wait); the flags say which.
    pub fn notified(&self) -> Notified<'_> {
        self.notify.notified()
    }

    pub fn evicted(&self) -> bool {
        self.flags.load(Ordering::Acquire) & EVICTED != 0
    }

    pub fn restarting(&self) -> bool {
        self.flags.load(Ordering::Acquire) & RESTART != 0
    }
}

/// A registered socket: its identity and signals.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Identifies the socket, so a stale connection cannot unregister its successor. A UUID
    /// (other replicas compare it too), kept binary: no string per session.
    pub connection: Uuid,
    pub signals: Arc<Signals>,
}

/// Keys are the session ids parsed: every id is a UUID (issued here, or checked by the
/// protocol before a resume), and 16 inline bytes cost less than a string per session.
pub struct Registry {
    sessions: Mutex<Sessions>,
    max_sessions: usize,
    /// Whether a task already watches the shutdown signal for this registry.
    watching: AtomicBool,
}

#[derive(Default)]
struct Sessions {
    map: HashMap<Uuid, Registration>,
    /// Set by the shutdown: sessions registered from then on start closing at once.
    stopping: bool,
}

impl Registry {
    pub fn new(max_sessions: usize) -> Self {
        Self {
            sessions: Mutex::new(Sessions::default()),
            max_sessions,
            watching: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Sessions> {
        // Every operation leaves the map consistent, so a panic elsewhere must not stop routing.
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Closes every session ("service restart") once `shutdown` turns true or its sender is
    /// gone. One task per registry (the first call spawns it, later calls return at once)
    /// rather than a shutdown waiter in every session. Must run inside a Tokio runtime.
    pub fn watch_shutdown(self: &Arc<Self>, shutdown: &watch::Receiver<bool>) {
        if self.watching.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut shutdown = shutdown.clone();
        let registry = Arc::clone(self);
        tokio::spawn(async move {
            // Err: the sender is gone, which only happens when the gateway is torn down.
            let _ = shutdown.wait_for(|stop| *stop).await;
            registry.restart_all();
        });
    }

    /// Tells every session, present and future, that the server is shutting down.
    pub fn restart_all(&self) {
        let mut sessions = self.lock();
        sessions.stopping = true;
        for local in sessions.map.values() {
            local.signals.raise(RESTART);
        }
    }

    /// Registers a new socket under a fresh session id (a UUID; the id alone lets no one
    /// resume it: that needs the session's secret, see `session::secret`).
    pub fn register_session(&self) -> Result<(String, Registration), RegistryError> {
        let session_id = Uuid::new_v4();
        let registration = self.insert_new(session_id, Uuid::new_v4())?;
        Ok((session_id.to_string(), registration))
    }

    /// Forgets a session whose socket never started (failed handshake).
    pub fn unregister_session(&self, session_id: &str) {
        if let Some(id) = key(session_id) {
            self.lock().map.remove(&id);
        }
    }

    /// Registers a new socket under `session_id`.
    pub fn register(
        &self,
        session_id: &str,
        connection: Uuid,
    ) -> Result<Arc<Signals>, RegistryError> {
        let id = key(session_id).ok_or(RegistryError::InvalidSessionId)?;
        Ok(self.insert_new(id, connection)?.signals)
    }

    fn insert_new(&self, id: Uuid, connection: Uuid) -> Result<Registration, RegistryError> {
        let mut sessions = self.lock();
        if sessions.map.len() >= self.max_sessions {
            return Err(RegistryError::TooManySessions(self.max_sessions));
        }
        let registration = Registration {
            connection,
            signals: Arc::new(Signals::default()),
        };
        if sessions.stopping {
            // Upgraded just before readiness went off: closes with the others.
            registration.signals.raise(RESTART);
        }
        sessions.map.insert(id, registration.clone());
        Ok(registration)
    }

    /// Moves a socket from its fresh session id to the one it resumed. A socket on this
    /// replica still holding that id is evicted. `to` is checked by the protocol; one that is
    /// not a UUID cannot be held here, so the socket keeps fresh signals no one else reaches.
    pub fn rebind(&self, from: &str, to: &str, connection: Uuid) -> Arc<Signals> {
        let mut sessions = self.lock();
        let map = &mut sessions.map;
        let from = key(from);
        let signals = match from.and_then(|id| map.remove(&id).map(|r| (id, r))) {
            Some((_, local)) if local.connection == connection => local.signals,
            Some((id, other)) => {
                map.insert(id, other);
                Arc::new(Signals::default())
            }
            None => Arc::new(Signals::default()),
        };
        let Some(to) = key(to) else {
            return signals;
        };
        let previous = map.insert(
            to,
            Registration {
                connection,
                signals: signals.clone(),
            },
        );
        if let Some(previous) = previous {
            if previous.connection != connection {
                previous.signals.raise(EVICTED);
            }
        }
        signals
    }

    /// Forgets a session, unless another connection has taken its id since.
    pub fn unregister(&self, session_id: &str, connection: Uuid) {
        let Some(id) = key(session_id) else {
            return;
        };
        let mut sessions = self.lock();
        if sessions
            .map
            .get(&id)
            .is_some_and(|l| l.connection == connection)
        {
            sessions.map.remove(&id);
        }
    }

    pub fn wake(&self, session_id: &str) {
        let Some(id) = key(session_id) else {
            return;
        };
        if let Some(local) = self.lock().map.get(&id) {
            local.signals.wake();
        }
    }

    /// After a lost notification channel (Redis restart): every session re-reads its stream.
    pub fn wake_all(&self) {
        for local in self.lock().map.values() {
            local.signals.wake();
        }
    }

    /// Closes the local socket of `session_id` unless it is `connection` itself (as text:
    /// it comes from another replica; text that is no UUID names no socket of ours).
    pub fn evict(&self, session_id: &str, connection: &str) {
        let Some(id) = key(session_id) else {
            return;
        };
        let connection = Uuid::parse_str(connection).ok();
        if let Some(local) = self.lock().map.get(&id) {
            if Some(local.connection) != connection {
                local.signals.raise(EVICTED);
            }
        }
    }

    /// Whether a socket of this replica holds the session.
    pub fn holds(&self, session_id: &Uuid) -> bool {
        self.lock().map.contains_key(session_id)
    }

    pub fn session_count(&self) -> usize {
        self.lock().map.len()
    }
}

/// A session id that is no UUID was never issued by any replica: nothing is registered under
/// it.
fn key(session_id: &str) -> Option<Uuid> {
    Uuid::parse_str(session_id).ok()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn id() -> String {
        Uuid::new_v4().to_string()
    }

    #[test]
    fn the_session_limit_is_enforced() {
        let reg = Registry::new(1);
        let (s1, c1) = (id(), Uuid::new_v4());
        reg.register(&s1, c1).expect("room");
        assert_eq!(
            reg.register(&id(), Uuid::new_v4()).err(),
            Some(RegistryError::TooManySessions(1))
        );
        reg.unregister(&s1, c1);
        assert!(reg.register(&id(), Uuid::new_v4()).is_ok());
    }

    #[test]
    fn a_session_id_that_is_not_a_uuid_is_refused() {
        let reg = Registry::new(4);
        assert_eq!(
            reg.register("s1", Uuid::new_v4()).err(),
            Some(RegistryError::InvalidSessionId)
        );
        // Signals for such an id reach no one, and nothing panics.
        reg.wake("s1");
        reg.evict("s1", "c1");
        reg.unregister("s1", Uuid::new_v4());
        assert_eq!(reg.session_count(), 0);
    }

    #[tokio::test]
    async fn resuming_a_session_held_here_evicts_the_old_socket() {
        let reg = Registry::new(4);
        let (s1, c1, c2, fresh) = (id(), Uuid::new_v4(), Uuid::new_v4(), id());
        let old = reg.register(&s1, c1).expect("room");
        reg.register(&fresh, c2).expect("room");
        let new = reg.rebind(&fresh, &s1, c2);
        tokio::time::timeout(Duration::from_secs(1), old.notified())
            .await
            .expect("old socket signalled");
        assert!(old.evicted());
        assert!(!new.evicted());
        // The old socket's cleanup must not remove its successor.
        reg.unregister(&s1, c1);
        assert_eq!(reg.session_count(), 1);
    }

    #[tokio::test]
    async fn an_eviction_names_the_socket_that_stays() {
        let reg = Registry::new(4);
        let (s1, c1) = (id(), Uuid::new_v4());
        let own = reg.register(&s1, c1).expect("room");
        reg.evict(&s1, &c1.to_string());
        assert!(!own.evicted());
        reg.evict(&s1, &Uuid::new_v4().to_string());
        assert!(own.evicted());
    }

    #[tokio::test]
    async fn shutdown_reaches_every_session_and_later_ones() {
        let reg = Arc::new(Registry::new(4));
        let (tx, rx) = watch::channel(false);
        reg.watch_shutdown(&rx);
        reg.watch_shutdown(&rx);
        let before = reg.register(&id(), Uuid::new_v4()).expect("room");
        assert!(!before.restarting());
        tx.send(true).expect("watcher listens");
        tokio::time::timeout(Duration::from_secs(1), before.notified())
            .await
            .expect("signalled");
        assert!(before.restarting() && !before.evicted());
        let after = reg.register(&id(), Uuid::new_v4()).expect("room");
        tokio::time::timeout(Duration::from_secs(1), after.notified())
            .await
            .expect("signalled at once");
        assert!(after.restarting());
    }

    #[tokio::test]
    async fn waking_reaches_only_the_named_session() {
        let reg = Registry::new(4);
        let (a_id, b_id) = (id(), id());
        let a = reg.register(&a_id, Uuid::new_v4()).expect("room");
        let b = reg.register(&b_id, Uuid::new_v4()).expect("room");
        reg.wake(&a_id.to_uppercase());
        tokio::time::timeout(Duration::from_secs(1), a.notified())
            .await
            .expect("a woken");
        assert!(!a.evicted());
        let b_woken = tokio::time::timeout(Duration::from_millis(50), b.notified()).await;
        assert!(b_woken.is_err());
    }
}
