//! Who may act for a session: whoever holds its resume secret. The `session` frame gives it
//! to the socket that opened the session, once; `resume` and every REST use of the session
//! (attaching an upload, reading an upload's status or results through the session) must
//! present it. A session id alone, which may leak through a screenshot, a shared link or a
//! log, lets no one read or change anything.

use crate::store::{Store, StoreError};

/// The REST header that carries a session's secret (`Authorization` belongs to `AUTH_TOKEN`).
pub const SESSION_SECRET_HEADER: &str = "x-session-secret";

#[derive(Debug, thiserror::Error)]
pub enum SessionAuthError {
    #[error("acting for a session needs its resume_secret (from the session frame)")]
    Missing,
    /// Also for a session that does not exist (any more): the answer must not tell an
    /// attacker which ids are live.
    #[error("the session does not exist or the secret does not match")]
    Invalid,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SessionAuthError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "session_secret_required",
            Self::Invalid => "session_secret_invalid",
            Self::Store(e) => e.code(),
        }
    }
}

/// Checks `presented` against the hash the store keeps for `session_id`.
pub async fn authorize(
    store: &dyn Store,
    session_id: &str,
    presented: Option<&str>,
) -> Result<(), SessionAuthError> {
    let presented = presented
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(SessionAuthError::Missing)?;
    match store.session_secret(session_id).await? {
        Some(hash) if hash.matches(presented) => Ok(()),
        _ => Err(SessionAuthError::Invalid),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::credential::Secret;
    use crate::registry::Registry;
    use crate::store::memory::MemoryStore;
    use crate::store::{SharedStore, StreamLimits};

    fn store() -> SharedStore {
        let limits = StreamLimits {
            max_len: 8,
            ttl: Duration::from_secs(60),
            chunk_timeout: Duration::from_secs(60),
        };
        Arc::new(MemoryStore::new(
            limits,
            1 << 20,
            Arc::new(Registry::new(8)),
        ))
    }

    #[tokio::test]
    async fn only_the_sessions_own_secret_authorizes() {
        let store = store();
        let sid = uuid::Uuid::new_v4().to_string();
        let secret = Secret::generate().expect("rng");
        store
            .register_session(&sid, secret.hash())
            .await
            .expect("stored");
        assert!(authorize(store.as_ref(), &sid, Some(secret.expose()))
            .await
            .is_ok());
        let code = |r: Result<(), SessionAuthError>| r.expect_err("refused").code();
        assert_eq!(
            code(authorize(store.as_ref(), &sid, None).await),
            "session_secret_required"
        );
        assert_eq!(
            code(authorize(store.as_ref(), &sid, Some(" ")).await),
            "session_secret_required"
        );
        assert_eq!(
            code(authorize(store.as_ref(), &sid, Some("guess")).await),
            "session_secret_invalid"
        );
        // An unknown session answers like a wrong secret.
        let other = uuid::Uuid::new_v4().to_string();
        assert_eq!(
            code(authorize(store.as_ref(), &other, Some(secret.expose())).await),
            "session_secret_invalid"
        );
        store.forget_session(&sid).await.expect("dropped");
        assert_eq!(
            code(authorize(store.as_ref(), &sid, Some(secret.expose())).await),
            "session_secret_invalid"
        );
    }
}
