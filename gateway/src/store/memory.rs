//! The single-replica store: the same streams and bookkeeping as Redis, in this process.
//! One short-lived `std` mutex, never held across an `.await`.
//!
//! Redis bounds its own memory; here the streams are bounded by bytes (`max_bytes`): past
//! the budget, frames already sent to a socket go first (they are kept only for a resume
//! from an older cursor), then unsent frames of sessions with nothing in progress, then
//! those of busy sessions; least recently written streams first each time. A reader whose
//! cursor is before an evicted entry gets [`Read::Expired`] instead of a stream with a hole.

mod dedup;
mod sessions;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use dedup::DedupWindow;
use sessions::SessionKeys;
use uuid::Uuid;

use async_trait::async_trait;

use super::{Entry, Read, Store, StoreError, StreamLimits};
use crate::analysis::ranges::{Progress, Recorded, Step};
use crate::analysis::record::{AnalysisMeta, Frames, Ingested, Overdue, Record};
use crate::credential::SecretHash;
use crate::frames::{complete_message, frame, progress_message};
use crate::registry::Registry;

/// Remembered (source, id) pairs for redelivery detection.
pub const DEDUP_CAPACITY: usize = 100_000;
/// How often expired streams and analyses are swept (on the next write).
const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// What an entry costs beyond its text (the struct, its deque slot, allocator rounding).
const ENTRY_OVERHEAD: usize = 96;

struct Analysis {
    meta: AnalysisMeta,
    progress: Progress,
    touched: Instant,
}

struct Stored {
    seq: u64,
    message: String,
    request_id: String,
    traceparent: Option<String>,
}

impl Stored {
    fn bytes(&self) -> usize {
        ENTRY_OVERHEAD
            + self.message.len()
            + self.request_id.len()
            + self.traceparent.as_ref().map_or(0, String::len)
    }
}

#[derive(Default)]
struct Stream {
    /// Sequence number of the last appended entry.
    last: u64,
    entries: VecDeque<Stored>,
    touched: Option<Instant>,
    /// Entries up to this sequence number were evicted for memory (0: none).
    expired_through: u64,
    /// Entries up to this sequence number were sent to a socket: a read after a cursor
    /// comes from a connection that sent everything up to it.
    read_through: u64,
}

struct State {
    analyses: HashMap<String, Analysis>,
    streams: HashMap<String, Stream>,
    dedup: DedupWindow,
    sessions: SessionKeys,
    /// Bytes held by every stream's entries.
    bytes: usize,
    swept: Instant,
}

pub struct MemoryStore {
    state: Mutex<State>,
    limits: StreamLimits,
    max_bytes: usize,
    registry: Arc<Registry>,
}

/// Cursors look like Redis stream ids, so clients see one format whatever the back end.
fn cursor(seq: u64) -> String {
    format!("0-{seq}")
}

fn parse_cursor(c: &str) -> Option<u64> {
    if c == super::START {
        return Some(0);
    }
    c.strip_prefix("0-")?.parse().ok()
}

impl MemoryStore {
    /// `max_bytes`: the budget of every session's stream entries together.
    pub fn new(limits: StreamLimits, max_bytes: usize, registry: Arc<Registry>) -> Self {
        Self {
            state: Mutex::new(State {
                analyses: HashMap::new(),
                streams: HashMap::new(),
                dedup: DedupWindow::new(DEDUP_CAPACITY),
                sessions: SessionKeys::new(sessions::CAPACITY, session_key_ttl(limits)),
                bytes: 0,
                swept: Instant::now(),
            }),
            limits,
            max_bytes,
            registry,
        }
    }

    /// Bytes the streams hold now.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    pub fn register_session(&self, session_id: &str, hash: SecretHash) {
        let Ok(id) = Uuid::parse_str(session_id) else {
            return;
        };
        let registry = &self.registry;
        self.lock()
            .sessions
            .insert(id, hash, |id| registry.holds(id));
    }

    pub fn session_secret(&self, session_id: &str) -> Option<SecretHash> {
        let id = Uuid::parse_str(session_id).ok()?;
        self.lock().sessions.get(&id)
    }

    pub fn touch_session(&self, session_id: &str) {
        if let Ok(id) = Uuid::parse_str(session_id) {
            self.lock().sessions.touch(&id);
        }
    }

    pub fn forget_session(&self, session_id: &str) {
        if let Ok(id) = Uuid::parse_str(session_id) {
            self.lock().sessions.remove(&id);
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // No operation leaves the maps half-updated, so a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn begin(&self, meta: &AnalysisMeta) {
        let mut state = self.lock();
        state.analyses.insert(
            meta.analysis_id.clone(),
            Analysis {
                meta: meta.clone(),
                progress: Progress::new(meta.chunks.clone()),
                touched: Instant::now(),
            },
        );
    }

    pub fn abandon(&self, analysis_id: &str) {
        self.lock().analyses.remove(analysis_id);
    }

    pub fn ingest(&self, record: &Record) -> Ingested {
        let ingested = {
            let mut state = self.lock();
            self.sweep(&mut state);
            let ingested = Self::ingest_locked(&mut state, record, self.limits);
            if state.bytes > self.max_bytes {
                evict(&mut state, self.max_bytes);
            }
            ingested
        };
        if matches!(ingested, Ingested::Appended { .. }) {
            self.registry.wake(&record.session_id);
        }
        ingested
    }

    fn ingest_locked(state: &mut State, record: &Record, limits: StreamLimits) -> Ingested {
        if state.dedup.contains(&record.dedup_key) {
            return Ingested::Duplicate;
        }
        let Some(analysis) = state.analyses.get_mut(&record.analysis_id) else {
            return Ingested::UnknownAnalysis;
        };
        if analysis.meta.session_id != record.session_id {
            return Ingested::UnknownAnalysis;
        }
        let (step, filled) = match analysis.progress.record(
            record.chunk_index,
            record.chunk_count,
            record.covers,
            record.annotated,
            record.failed,
        ) {
            Ok(Recorded::Accepted { step, filled }) => (step, filled),
            Ok(Recorded::Duplicate) => return Ingested::Duplicate,
            Err(e) => return Ingested::Rejected(e),
        };
        analysis.touched = Instant::now();
        let (annotated, failed) = analysis.progress.totals();
        let meta = analysis.meta.clone();
        state.dedup.insert(&record.dedup_key);
        if meta.frames == Frames::None {
            let completed = matches!(step, Step::Complete { .. });
            if completed {
                state.analyses.remove(&record.analysis_id);
            }
            return Ingested::Appended {
                completed,
                annotated,
                failed,
                filled,
            };
        }
        let stream = state.streams.entry(meta.session_id.clone()).or_default();
        let bytes = &mut state.bytes;
        let mut append = |message: String| {
            stream.last += 1;
            let stored = Stored {
                seq: stream.last,
                message,
                request_id: meta.request_id.clone(),
                traceparent: meta.traceparent.clone(),
            };
            *bytes += stored.bytes();
            stream.entries.push_back(stored);
            while stream.entries.len() > limits.max_len {
                if let Some(old) = stream.entries.pop_front() {
                    *bytes -= old.bytes();
                }
            }
        };
        if meta.frames.keeps(record.result) && !record.message.is_empty() {
            append(record.message.clone());
        }
        let completed = if let Step::Complete { annotated, failed } = step {
            append(complete_message(&record.analysis_id, annotated, failed));
            true
        } else {
            append(progress_message(
                &record.analysis_id,
                annotated + failed,
                meta.variant_count,
            ));
            false
        };
        stream.touched = Some(Instant::now());
        if completed {
            state.analyses.remove(&record.analysis_id);
        }
        Ingested::Appended {
            completed,
            annotated,
            failed,
            filled,
        }
    }

    pub fn read(&self, session_id: &str, after: &str, count: usize) -> Read {
        let Some(after) = parse_cursor(after) else {
            return Read::Gap;
        };
        let mut state = self.lock();
        let Some(stream) = state.streams.get_mut(session_id) else {
            // Nothing was ever appended (or it expired): fine only for a fresh reader.
            return if after == 0 {
                Read::Entries(Vec::new())
            } else {
                Read::Gap
            };
        };
        if after < stream.expired_through {
            return Read::Expired;
        }
        stream.read_through = stream.read_through.max(after.min(stream.last));
        let first = stream.entries.front().map_or(stream.last + 1, |e| e.seq);
        if after + 1 < first || after > stream.last {
            return Read::Gap;
        }
        let mut out = Vec::new();
        for stored in stream.entries.iter().filter(|e| e.seq > after).take(count) {
            let c = cursor(stored.seq);
            match frame(
                &stored.message,
                Some(&stored.request_id),
                stored.traceparent.as_deref(),
                &c,
            ) {
                Ok(message) => out.push(Entry {
                    cursor: c,
                    seq: stored.seq,
                    message,
                }),
                // Stored frames are our own JSON; one that is not cannot be shown.
                Err(e) => tracing::error!(error = %e, "unreadable stored frame"),
            }
        }
        Read::Entries(out)
    }

    pub fn progress(&self, analysis_id: &str) -> Option<(u64, u64)> {
        self.lock()
            .analyses
            .get(analysis_id)
            .map(|a| a.progress.totals())
    }

    /// Analyses with no chunk back for the chunk timeout (`touched` moves on each chunk).
    pub fn overdue(&self, max: usize) -> Vec<Overdue> {
        let timeout = self.limits.chunk_timeout;
        self.lock()
            .analyses
            .values()
            .filter(|a| a.touched.elapsed() >= timeout)
            .take(max)
            .map(|a| Overdue {
                meta: a.meta.clone(),
                missing: a.progress.missing().into_iter().map(|(i, _)| i).collect(),
            })
            .collect()
    }

    pub fn evict(&self, session_id: &str, connection: &str) {
        self.registry.evict(session_id, connection);
    }

    fn sweep(&self, state: &mut State) {
        if state.swept.elapsed() < SWEEP_EVERY {
            return;
        }
        state.swept = Instant::now();
        let ttl = self.limits.ttl;
        let mut freed = 0;
        state.streams.retain(|_, s| {
            let keep = s.touched.is_none_or(|t| t.elapsed() < ttl);
            if !keep {
                freed += s.entries.iter().map(Stored::bytes).sum::<usize>();
            }
            keep
        });
        state.bytes -= freed;
        state.analyses.retain(|_, a| a.touched.elapsed() < ttl);
        state.sessions.sweep();
    }
}

/// A session's key outlives its stream's TTL by the chunk timeout: results of analyses
/// still running when its socket closed may arrive (and refresh the stream) that much later.
fn session_key_ttl(limits: StreamLimits) -> Duration {
    limits.ttl.saturating_add(limits.chunk_timeout)
}

/// Brings the streams back under 7/8 of `max_bytes` (the slack spares an eviction pass on
/// every write). Cheapest loss first: frames already sent (only a resume from an older
/// cursor needs them), then unsent frames of sessions with nothing in progress, then those
/// of busy sessions; within each, least recently written streams first, oldest frames first.
fn evict(state: &mut State, max_bytes: usize) {
    let target = max_bytes - max_bytes / 8;
    let busy: HashSet<&str> = state
        .analyses
        .values()
        .map(|a| a.meta.session_id.as_str())
        .collect();
    let mut order: Vec<(bool, Instant, String)> = state
        .streams
        .iter()
        .filter(|(_, s)| !s.entries.is_empty())
        .map(|(id, s)| {
            let touched = s.touched.unwrap_or_else(Instant::now);
            (busy.contains(id.as_str()), touched, id.clone())
        })
        .collect();
    // Idle sessions (false) before busy ones, each oldest first.
    order.sort_unstable();
    let mut by_age: Vec<&(bool, Instant, String)> = order.iter().collect();
    by_age.sort_unstable_by_key(|(_, touched, _)| *touched);
    let sent_only = |s: &Stream, seq: u64| seq <= s.read_through;
    for (_, _, id) in by_age {
        if pop_while(state, id, target, sent_only) {
            return;
        }
    }
    for (_, _, id) in &order {
        if pop_while(state, id, target, |_, _| true) {
            return;
        }
    }
}

/// Evicts the oldest entries of stream `id` while the store is over `target` and `evictable`
/// allows; true once the store is within `target`.
fn pop_while(
    state: &mut State,
    id: &str,
    target: usize,
    evictable: impl Fn(&Stream, u64) -> bool,
) -> bool {
    let Some(stream) = state.streams.get_mut(id) else {
        return state.bytes <= target;
    };
    while state.bytes > target {
        let Some(seq) = stream.entries.front().map(|e| e.seq) else {
            break;
        };
        if !evictable(stream, seq) {
            break;
        }
        if let Some(old) = stream.entries.pop_front() {
            state.bytes -= old.bytes();
            stream.expired_through = old.seq;
        }
    }
    state.bytes <= target
}

/// The trait over the inherent methods above, which never fail: one process, no I/O.
#[async_trait]
impl Store for MemoryStore {
    async fn begin(&self, meta: &AnalysisMeta) -> Result<(), StoreError> {
        MemoryStore::begin(self, meta);
        Ok(())
    }

    async fn abandon(&self, analysis_id: &str) -> Result<(), StoreError> {
        MemoryStore::abandon(self, analysis_id);
        Ok(())
    }

    async fn ingest(&self, record: &Record) -> Result<Ingested, StoreError> {
        Ok(MemoryStore::ingest(self, record))
    }

    async fn read(&self, session_id: &str, after: &str, count: usize) -> Result<Read, StoreError> {
        Ok(MemoryStore::read(self, session_id, after, count))
    }

    async fn progress(&self, analysis_id: &str) -> Result<Option<(u64, u64)>, StoreError> {
        Ok(MemoryStore::progress(self, analysis_id))
    }

    async fn overdue(&self, max: usize) -> Result<Vec<Overdue>, StoreError> {
        Ok(MemoryStore::overdue(self, max))
    }

    async fn evict(&self, session_id: &str, connection: &str) -> Result<(), StoreError> {
        MemoryStore::evict(self, session_id, connection);
        Ok(())
    }

    async fn register_session(&self, session_id: &str, hash: SecretHash) -> Result<(), StoreError> {
        MemoryStore::register_session(self, session_id, hash);
        Ok(())
    }

    async fn session_secret(&self, session_id: &str) -> Result<Option<SecretHash>, StoreError> {
        Ok(MemoryStore::session_secret(self, session_id))
    }

    async fn touch_session(&self, session_id: &str) -> Result<(), StoreError> {
        MemoryStore::touch_session(self, session_id);
        Ok(())
    }

    async fn forget_session(&self, session_id: &str) -> Result<(), StoreError> {
        MemoryStore::forget_session(self, session_id);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
