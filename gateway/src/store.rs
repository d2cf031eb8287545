//! Where results live until their session has read them: a per-session, bounded, expiring
//! stream of server frames, plus the shared bookkeeping of every analysis (the input ranges
//! of each chunk answered, counts, dedup of redelivered events: [`ranges`]) so every input
//! is counted once and `complete` is appended exactly once.
//!
//! Two back ends with one behaviour: [`memory`] (one replica, the local default) and
//! [`redis`] (any number of replicas). Any replica may ingest an event; the replica holding
//! the session's socket is woken and reads the stream from the client's cursor, so a client
//! that reconnects anywhere resumes where it left off.

pub mod memory;
pub mod ranges;
pub mod redis;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::analysis::spool::Spool;
use crate::credential::SecretHash;
use crate::events::{Inbound, InboundKind};
use crate::protocol::ServerMessage;
use crate::registry::Registry;
pub use ranges::{ChunkError, ChunkStarts, Covers, Progress, Recorded, Span, Step};

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

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the result store is unavailable: {0}")]
    Unavailable(String),
    #[error("the result store answered unexpectedly: {0}")]
    Protocol(String),
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "store_unavailable",
            Self::Protocol(_) => "store_error",
        }
    }
}

/// What an analysis needs to be recognised when its events come back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalysisMeta {
    pub session_id: String,
    pub analysis_id: String,
    pub request_id: String,
    pub traceparent: Option<String>,
    /// Variants submitted.
    pub variant_count: u64,
    /// Where each chunk starts: what a part or a failure of a chunk is checked against.
    pub chunks: ChunkStarts,
    /// Which of its frames enter the session's stream.
    pub frames: Frames,
}

/// Which frames of an analysis enter its session's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frames {
    /// Every frame (WebSocket analyses; uploads attached to a session by default).
    All,
    /// `progress`, chunk `error` and `complete`, not the `result` frames: an upload whose
    /// page shows progress and downloads the results, so 100k annotations neither cross the
    /// socket nor sit in the session's stream.
    Summary,
    /// None: a REST analysis without a session (nobody would read them).
    None,
}

impl Frames {
    /// How the Redis store records it (absent: `All`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Summary => "summary",
            Self::None => "none",
        }
    }

    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("summary") => Self::Summary,
            Some("none") => Self::None,
            _ => Self::All,
        }
    }

    /// Whether a record's own frame (a `result` or a chunk `error`) enters the stream.
    pub fn keeps(self, result: bool) -> bool {
        match self {
            Self::All => true,
            Self::Summary => !result,
            Self::None => false,
        }
    }
}

impl AnalysisMeta {
    pub fn chunk_count(&self) -> u64 {
        self.chunks.count()
    }

    /// Variants in chunk `index`.
    pub fn chunk_variants(&self, index: u64) -> u64 {
        self.chunks.span(index).map_or(0, |s| s.count)
    }
}

/// An analysis whose deadline passed while some of its chunks were still outstanding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdue {
    pub meta: AnalysisMeta,
    /// Indexes of the chunks not wholly answered.
    pub missing: Vec<u64>,
}

/// What the spool keeps of an accepted record (REST analyses): the part's data as it came,
/// or the error its inputs got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spooled {
    Part(Arc<[u8]>),
    Error { code: String, message: String },
}

/// One outcome of (part of) a chunk, ready to be appended.
#[derive(Debug, Clone)]
pub struct Record {
    /// (source, id) of the event, for redelivery detection.
    pub dedup_key: String,
    pub session_id: String,
    pub analysis_id: String,
    pub chunk_index: u64,
    pub chunk_count: u64,
    /// Which inputs of the chunk it answers.
    pub covers: Covers,
    pub annotated: u64,
    pub failed: u64,
    /// The `result` or `error` frame, without `request_id`/`cursor` (added on read); empty
    /// when the analysis keeps no result frames (`Frames`), which then never need it.
    pub message: String,
    /// True for a `result` frame, false for an `error`.
    pub result: bool,
    pub spooled: Spooled,
}

/// How an ingested record was handled. The HTTP layer maps it to a status code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    Appended {
        completed: bool,
        /// The analysis' distinct variants annotated and failed so far, this record included.
        annotated: u64,
        failed: u64,
        /// The inputs this record answered (a remainder may be several ranges).
        filled: Vec<Span>,
    },
    /// The event (source, id) or exactly its range was ingested before, or nothing was left
    /// for a remainder: nothing changed.
    Duplicate,
    /// No such analysis (finished, abandoned, expired, or never ours).
    UnknownAnalysis,
    /// The chunk contradicts the analysis' bookkeeping.
    Rejected(ChunkError),
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

/// The configured back end, plus where results of REST analyses are spooled for download.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    spool: Option<Spool>,
}

#[derive(Clone)]
enum Backend {
    Memory(Arc<memory::MemoryStore>),
    Redis(redis::RedisStore),
}

impl Store {
    pub fn memory(store: Arc<memory::MemoryStore>) -> Self {
        Self {
            backend: Backend::Memory(store),
            spool: None,
        }
    }

    pub fn redis(store: redis::RedisStore) -> Self {
        Self {
            backend: Backend::Redis(store),
            spool: None,
        }
    }

    /// Chunks of analyses that have a spool directory are also written there (downloads).
    pub fn with_spool(mut self, spool: Spool) -> Self {
        self.spool = Some(spool);
        self
    }

    pub fn spool(&self) -> Option<&Spool> {
        self.spool.as_ref()
    }

    pub async fn begin(&self, meta: &AnalysisMeta) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Memory(m) => {
                m.begin(meta);
                Ok(())
            }
            Backend::Redis(r) => r.begin(meta).await,
        }
    }

    pub async fn abandon(&self, analysis_id: &str) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Memory(m) => {
                m.abandon(analysis_id);
                Ok(())
            }
            Backend::Redis(r) => r.abandon(analysis_id).await,
        }
    }

    /// Records a chunk and appends its frame (and `complete` after the last chunk) to the
    /// session's stream, atomically; then wakes whichever replica holds the session.
    pub async fn ingest(&self, record: &Record) -> Result<Ingested, StoreError> {
        let ingested = match &self.backend {
            Backend::Memory(m) => m.ingest(record),
            Backend::Redis(r) => r.ingest(record).await?,
        };
        if let (Some(spool), Ingested::Appended { .. }) = (&self.spool, &ingested) {
            // After the bookkeeping accepted it, so a redelivery is never spooled twice.
            spool.chunk(record, &ingested).await;
        }
        Ok(ingested)
    }

    /// Up to `count` entries after `after` (a cursor from an earlier read, or [`START`]).
    pub async fn read(
        &self,
        session_id: &str,
        after: &str,
        count: usize,
    ) -> Result<Read, StoreError> {
        match &self.backend {
            Backend::Memory(m) => Ok(m.read(session_id, after, count)),
            Backend::Redis(r) => r.read(session_id, after, count).await,
        }
    }

    /// Distinct variants (annotated, failed) of an analysis in progress; `None` once it
    /// completed, was abandoned or expired (or never existed).
    pub async fn progress(&self, analysis_id: &str) -> Result<Option<(u64, u64)>, StoreError> {
        match &self.backend {
            Backend::Memory(m) => Ok(m.progress(analysis_id)),
            Backend::Redis(r) => r.progress(analysis_id).await,
        }
    }

    /// Up to `max` analyses that made no progress for the chunk timeout, with their missing
    /// chunks. Read-only: the caller ingests a [`timed_out_chunk`] per missing chunk, and the
    /// dedup key of those records makes that exactly-once whichever replica gets there first.
    pub async fn overdue(&self, max: usize) -> Result<Vec<Overdue>, StoreError> {
        match &self.backend {
            Backend::Memory(m) => Ok(m.overdue(max)),
            Backend::Redis(r) => r.overdue(max).await,
        }
    }

    /// Tells the replica holding `session_id` that another connection resumed it.
    pub async fn evict(&self, session_id: &str, connection: &str) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Memory(m) => {
                m.evict(session_id, connection);
                Ok(())
            }
            Backend::Redis(r) => r.evict(session_id, connection).await,
        }
    }

    pub fn registry(&self) -> &Arc<Registry> {
        match &self.backend {
            Backend::Memory(m) => m.registry(),
            Backend::Redis(r) => r.registry(),
        }
    }

    /// Remembers the hash of a new session's resume secret (for the session TTL plus the
    /// chunk timeout after its last use, like its results).
    pub async fn register_session(
        &self,
        session_id: &str,
        hash: SecretHash,
    ) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Memory(m) => {
                m.register_session(session_id, hash);
                Ok(())
            }
            Backend::Redis(r) => r.register_session(session_id, hash).await,
        }
    }

    /// The hash of the session's resume secret; `None` for a session never issued, or
    /// forgotten since.
    pub async fn session_secret(&self, session_id: &str) -> Result<Option<SecretHash>, StoreError> {
        match &self.backend {
            Backend::Memory(m) => Ok(m.session_secret(session_id)),
            Backend::Redis(r) => r.session_secret(session_id).await,
        }
    }

    /// Restarts the TTL of the session's secret (resumed, still connected, or just closed).
    pub async fn touch_session(&self, session_id: &str) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Memory(m) => {
                m.touch_session(session_id);
                Ok(())
            }
            Backend::Redis(r) => r.touch_session(session_id).await,
        }
    }

    /// Drops the secret of a session no one can use any more (a connection's fresh session
    /// that it left for a resumed one).
    pub async fn forget_session(&self, session_id: &str) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Memory(m) => {
                m.forget_session(session_id);
                Ok(())
            }
            Backend::Redis(r) => r.forget_session(session_id).await,
        }
    }
}

/// Turns a validated inbound event into the record to append. A part's `result` frame is
/// written only when the part was decoded for it (its analysis shows results).
pub fn record_of(inbound: Inbound) -> Record {
    let dedup_key = format!("{}\u{1f}{}", inbound.source, inbound.id);
    let result = matches!(inbound.kind, InboundKind::Annotated(_));
    let (message, annotated, failed, spooled) = match inbound.kind {
        InboundKind::Annotated(a) => {
            let message = match a.decoded {
                Some((annotations, errors)) => ServerMessage::Result {
                    analysis_id: inbound.analysis_id.clone(),
                    request_id: None,
                    chunk_index: inbound.chunk_index,
                    annotations,
                    errors,
                }
                .to_json(),
                None => String::new(),
            };
            (message, a.annotated, a.failed, Spooled::Part(a.data))
        }
        InboundKind::Failed(f) => {
            let range = match inbound.covers {
                Covers::Range(span) => Some(span),
                _ => None,
            };
            let msg = ServerMessage::Error {
                request_id: None,
                analysis_id: Some(inbound.analysis_id.clone()),
                chunk_index: Some(inbound.chunk_index),
                first_index: range.map(|s| s.first),
                variant_count: range.map(|s| s.count),
                code: f.code.clone(),
                message: f.message.clone(),
            };
            let spooled = Spooled::Error {
                code: f.code,
                message: f.message,
            };
            (msg.to_json(), 0, f.variant_count, spooled)
        }
    };
    Record {
        dedup_key,
        session_id: inbound.session_id,
        analysis_id: inbound.analysis_id,
        chunk_index: inbound.chunk_index,
        chunk_count: inbound.chunk_count,
        covers: inbound.covers,
        annotated,
        failed,
        message,
        result,
        spooled,
    }
}

/// Error code of the variants of a chunk that did not come back in time.
pub const CHUNK_TIMEOUT: &str = "chunk_timeout";

/// A record for the inputs of a chunk that got no result within the chunk timeout: they
/// fail, whatever parts of the chunk came back before. Its dedup key is the one of
/// [`unsent_chunk`]: a chunk fails on the gateway's side once.
pub fn timed_out_chunk(meta: &AnalysisMeta, chunk_index: u64, timeout: Duration) -> Record {
    unsent_chunk(
        meta,
        chunk_index,
        CHUNK_TIMEOUT,
        &format!(
            "no result for (the rest of) chunk {chunk_index} within {} s",
            timeout.as_secs()
        ),
    )
}

/// A record that fails whatever the chunk has not answered yet (all of it, for a chunk that
/// never reached the broker).
pub fn unsent_chunk(meta: &AnalysisMeta, chunk_index: u64, code: &str, message: &str) -> Record {
    let msg = ServerMessage::Error {
        request_id: None,
        analysis_id: Some(meta.analysis_id.clone()),
        chunk_index: Some(chunk_index),
        first_index: None,
        variant_count: None,
        code: code.to_owned(),
        message: message.to_owned(),
    };
    Record {
        dedup_key: format!("gateway\u{1f}{}\u{1f}{chunk_index}", meta.analysis_id),
        session_id: meta.session_id.clone(),
        analysis_id: meta.analysis_id.clone(),
        chunk_index,
        chunk_count: meta.chunk_count(),
        covers: Covers::Remainder,
        annotated: 0,
        failed: 0,
        message: msg.to_json(),
        result: false,
        spooled: Spooled::Error {
            code: code.to_owned(),
            message: message.to_owned(),
        },
    }
}

/// The frame as the client sees it: the stored message plus its request id, trace context
/// and cursor.
pub fn frame(
    stored: &str,
    request_id: Option<&str>,
    traceparent: Option<&str>,
    cursor: &str,
) -> Result<Value, StoreError> {
    let mut map: Map<String, Value> = serde_json::from_str(stored)
        .map_err(|e| StoreError::Protocol(format!("stored frame is not a JSON object: {e}")))?;
    if let Some(r) = request_id {
        map.insert("request_id".into(), Value::String(r.to_owned()));
    }
    if let Some(t) = traceparent {
        map.insert("traceparent".into(), Value::String(t.to_owned()));
    }
    map.insert("cursor".into(), Value::String(cursor.to_owned()));
    Ok(Value::Object(map))
}

/// The `progress` frame, shared by both back ends (the Redis one builds the same in Lua).
pub fn progress_message(analysis_id: &str, done: u64, total: u64) -> String {
    ServerMessage::Progress {
        analysis_id: analysis_id.to_owned(),
        request_id: None,
        done,
        total,
    }
    .to_json()
}

/// The `complete` frame, shared by both back ends (the Redis one builds the same in Lua).
pub fn complete_message(analysis_id: &str, annotated: u64, failed: u64) -> String {
    ServerMessage::Complete {
        analysis_id: analysis_id.to_owned(),
        request_id: None,
        annotated,
        failed,
    }
    .to_json()
}

#[cfg(test)]
mod tests;
