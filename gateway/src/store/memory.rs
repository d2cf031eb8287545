//! The single-replica store: the same streams and bookkeeping as Redis, in this process.
//! One short-lived `std` mutex, never held across an `.await`.

mod dedup;
mod progress;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use dedup::DedupWindow;
pub use progress::{ChunkError, Progress, Step};

use super::{
    complete_message, frame, progress_message, AnalysisMeta, Entry, Frames, Ingested, Overdue,
    Read, Record, StreamLimits,
};
use crate::registry::Registry;

/// Remembered (source, id) pairs for redelivery detection.
pub const DEDUP_CAPACITY: usize = 100_000;
/// How often expired streams and analyses are swept (on the next write).
const SWEEP_EVERY: Duration = Duration::from_secs(30);

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

#[derive(Default)]
struct Stream {
    /// Sequence number of the last appended entry.
    last: u64,
    entries: VecDeque<Stored>,
    touched: Option<Instant>,
}

struct State {
    analyses: HashMap<String, Analysis>,
    streams: HashMap<String, Stream>,
    dedup: DedupWindow,
    swept: Instant,
}

pub struct MemoryStore {
    state: Mutex<State>,
    limits: StreamLimits,
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
    pub fn new(limits: StreamLimits, registry: Arc<Registry>) -> Self {
        Self {
            state: Mutex::new(State {
                analyses: HashMap::new(),
                streams: HashMap::new(),
                dedup: DedupWindow::new(DEDUP_CAPACITY),
                swept: Instant::now(),
            }),
            limits,
            registry,
        }
    }

    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
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
                progress: Progress::new(meta.chunk_count),
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
            Self::ingest_locked(&mut state, record, self.limits)
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
        let step = match analysis.progress.record(
            record.chunk_index,
            record.chunk_count,
            record.annotated,
            record.failed,
        ) {
            Ok(step) => step,
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
            };
        }
        let stream = state.streams.entry(meta.session_id.clone()).or_default();
        let mut append = |message: String| {
            stream.last += 1;
            stream.entries.push_back(Stored {
                seq: stream.last,
                message,
                request_id: meta.request_id.clone(),
                traceparent: meta.traceparent.clone(),
            });
            while stream.entries.len() > limits.max_len {
                stream.entries.pop_front();
            }
        };
        if meta.frames.keeps(record.result) {
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
        }
    }

    pub fn read(&self, session_id: &str, after: &str, count: usize) -> Read {
        let Some(after) = parse_cursor(after) else {
            return Read::Gap;
        };
        let state = self.lock();
        let Some(stream) = state.streams.get(session_id) else {
            // Nothing was ever appended (or it expired): fine only for a fresh reader.
            return if after == 0 {
                Read::Entries(Vec::new())
            } else {
                Read::Gap
            };
        };
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
                missing: a.progress.missing(),
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
        state
            .streams
            .retain(|_, s| s.touched.is_none_or(|t| t.elapsed() < ttl));
        state.analyses.retain(|_, a| a.touched.elapsed() < ttl);
    }
}

#[cfg(test)]
mod tests;
