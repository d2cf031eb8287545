//! Where results live until their session has read them: a per-session, bounded, expiring
//! stream of server frames, plus the shared bookkeeping of every analysis (the input ranges
//! of each chunk answered, counts, dedup of redelivered events: `analysis::ranges`) so every
//! input is counted once and `complete` is appended exactly once.
//!
//! One [`Store`] trait, two back ends with one behaviour: [`memory`] (one replica, the
//! local default) and [`redis`] (any number of replicas). Any replica may ingest an event; the replica holding
//! the session's socket is woken and reads the stream from the client's cursor, so a client
//! that reconnects anywhere resumes where it left off.

pub mod memory;
pub mod redis;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use crate::analysis::record::{AnalysisMeta, Ingested, Overdue, Record};
use crate::credential::SecretHash;
use crate::frames::FrameError;

/// The cursor of a stream's beginning: "nothing seen yet".
pub const START: &str = "0";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// Entries kept per session; a client further behind loses the oldest (and is told).
    pub max_len: usize,
    /// How long a session's results and an analysis' bookkeeping outlive their last write.
    pub ttl: Duration,
    /// An analysis with chunks outstanding and no chunk back for this long: the outstanding
    /// chunks fail with `chunk_timeout` (see [`Store::overdue`]).
    pub chunk_timeout: Duration,
}

/// The store's configuration (`Config::store`).
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// Shared store for cross-replica delivery and resume; `None`: in memory, one replica.
    pub redis_url: Option<String>,
    pub limits: StreamLimits,
    /// Bytes of results the in-memory store (no Redis) keeps for resumes.
    pub memory_max_bytes: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the result store is unavailable: {0}")]
    Unavailable(String),
    #[error("the result store answered unexpectedly: {0}")]
    Protocol(String),
}

impl From<FrameError> for StoreError {
    fn from(e: FrameError) -> Self {
        Self::Protocol(e.to_string())
    }
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "store_unavailable",
            Self::Protocol(_) => "store_error",
        }
    }
}

/// A frame read from a session's stream, with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub cursor: String,
    /// Position in the session's stream, 1-based and without holes: detects trimmed entries.
    pub seq: u64,
    pub message: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    /// The entries after the cursor, oldest first (possibly none).
    Entries(Vec<Entry>),
    /// Entries after the cursor were trimmed or expired before the client read them.
    Gap,
    /// Entries after the cursor were evicted to keep the in-memory store within its bytes.
    Expired,
}

/// Where a replica keeps sessions' streams and analyses' bookkeeping. Each method is one
/// atomic step for every replica: [`memory::MemoryStore`] under its mutex, [`redis::RedisStore`]
/// in one pipeline or Lua script (`redis/ingest.lua`), so which replica ingests an event
/// never matters.
#[async_trait]
pub trait Store: Send + Sync {
    /// Starts an analysis' bookkeeping; its chunks start their timeout.
    async fn begin(&self, meta: &AnalysisMeta) -> Result<(), StoreError>;

    /// Drops an analysis whose submission failed before any chunk left.
    async fn abandon(&self, analysis_id: &str) -> Result<(), StoreError>;

    /// Records a chunk and appends its frame (and `complete` after the last chunk) to the
    /// session's stream, atomically; then wakes whichever replica holds the session.
    async fn ingest(&self, record: &Record) -> Result<Ingested, StoreError>;

    /// Up to `count` entries after `after` (a cursor from an earlier read, or [`START`]).
    async fn read(&self, session_id: &str, after: &str, count: usize) -> Result<Read, StoreError>;

    /// Distinct variants (annotated, failed) of an analysis in progress; `None` once it
    /// completed, was abandoned or expired (or never existed).
    async fn progress(&self, analysis_id: &str) -> Result<Option<(u64, u64)>, StoreError>;

    /// Up to `max` analyses that made no progress for the chunk timeout, with their missing
    /// chunks. Read-only: the caller ingests a timed-out record (`frames::timed_out_chunk`)
    /// per missing chunk, and the dedup key of those records makes that exactly-once
    /// whichever replica gets there first.
    async fn overdue(&self, max: usize) -> Result<Vec<Overdue>, StoreError>;

    /// Tells the replica holding `session_id` that another connection resumed it.
    async fn evict(&self, session_id: &str, connection: &str) -> Result<(), StoreError>;

    /// Remembers the hash of a new session's resume secret (for the session TTL plus the
    /// chunk timeout after its last use, like its results).
    async fn register_session(&self, session_id: &str, hash: SecretHash) -> Result<(), StoreError>;

    /// The hash of the session's resume secret; `None` for a session never issued, or
    /// forgotten since.
    async fn session_secret(&self, session_id: &str) -> Result<Option<SecretHash>, StoreError>;

    /// Restarts the TTL of the session's secret (resumed, still connected, or just closed).
    async fn touch_session(&self, session_id: &str) -> Result<(), StoreError>;

    /// Drops the secret of a session no one can use any more (a connection's fresh session
    /// that it left for a resumed one).
    async fn forget_session(&self, session_id: &str) -> Result<(), StoreError>;
}

/// The store as the rest of the gateway holds it: one per process, shared by every task.
pub type SharedStore = Arc<dyn Store>;
