//! Sessions on this replica, their analyses, and routing of inbound results to them.
//!
//! All state sits behind one short-lived `std` mutex (no `.await` while held). Routing goes
//! through the [`Delivery`] trait: issue #7 puts a cross-replica fan-out behind the same seam.

mod dedup;
mod progress;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::mpsc;

use crate::events::{Inbound, InboundKind};
use crate::protocol::ServerMessage;
use dedup::DedupWindow;
pub use progress::{ChunkError, Progress, Step};

/// What a session task receives: messages to write, in order, as one unit.
pub type Outbound = Vec<ServerMessage>;

/// In-flight analyses one session may hold; bounds the analysis map.
pub const MAX_ANALYSES_PER_SESSION: usize = 16;
/// Remembered (source, id) pairs for redelivery detection.
pub const DEDUP_CAPACITY: usize = 100_000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegistryError {
    #[error("the gateway holds its maximum of {0} sessions")]
    TooManySessions(usize),
    #[error("at most {MAX_ANALYSES_PER_SESSION} analyses may be in progress per session")]
    TooManyAnalyses,
    #[error("session {0} is not registered")]
    UnknownSession(String),
}

impl RegistryError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooManySessions(_) => "too_many_sessions",
            Self::TooManyAnalyses => "too_many_analyses",
            Self::UnknownSession(_) => "unknown_session",
        }
    }
}

/// How an inbound event was routed. The HTTP layer maps it to a status code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routed {
    Sent {
        completed: bool,
    },
    /// (source, id) was delivered before.
    Duplicate,
    /// The session is not on this replica.
    NotLocal,
    /// The session is here but the analysis is not (finished, abandoned).
    UnknownAnalysis,
    /// The session's outbound queue is full: the sender should retry later.
    QueueFull,
    /// The chunk contradicts the analysis' bookkeeping.
    Rejected(ChunkError),
}

pub trait Delivery: Send + Sync {
    fn deliver(&self, inbound: Inbound) -> Routed;
}

struct SessionEntry {
    tx: mpsc::Sender<Outbound>,
    analyses: usize,
}

struct AnalysisEntry {
    session_id: String,
    request_id: String,
    progress: Progress,
}

struct State {
    sessions: HashMap<String, SessionEntry>,
    analyses: HashMap<String, AnalysisEntry>,
    dedup: DedupWindow,
}

#[derive(Default)]
pub struct Counters {
    pub delivered: AtomicU64,
    pub duplicates: AtomicU64,
    pub not_local: AtomicU64,
    pub unknown_analysis: AtomicU64,
    pub queue_full: AtomicU64,
    pub rejected: AtomicU64,
}

pub struct Registry {
    state: Mutex<State>,
    max_sessions: usize,
    session_queue: usize,
    pub counters: Counters,
}

impl Registry {
    pub fn new(max_sessions: usize, session_queue: usize) -> Self {
        Self {
            state: Mutex::new(State {
                sessions: HashMap::new(),
                analyses: HashMap::new(),
                dedup: DedupWindow::new(DEDUP_CAPACITY),
            }),
            max_sessions,
            session_queue: session_queue.max(1),
            counters: Counters::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not take routing down with it; the maps stay consistent
        // because no operation leaves them half-updated.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Creates a session with a fresh id and its bounded outbound queue.
    pub fn register_session(&self) -> Result<(String, mpsc::Receiver<Outbound>), RegistryError> {
        let mut state = self.lock();
        if state.sessions.len() >= self.max_sessions {
            return Err(RegistryError::TooManySessions(self.max_sessions));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = mpsc::channel(self.session_queue);
        state
            .sessions
            .insert(id.clone(), SessionEntry { tx, analyses: 0 });
        Ok((id, rx))
    }

    /// Forgets a session and every analysis it started.
    pub fn unregister_session(&self, session_id: &str) {
        let mut state = self.lock();
        state.sessions.remove(session_id);
        state.analyses.retain(|_, a| a.session_id != session_id);
    }

    /// Registers an analysis before its events are sent, so a fast result finds it.
    pub fn begin_analysis(
        &self,
        session_id: &str,
        analysis_id: &str,
        request_id: &str,
        chunk_count: u64,
    ) -> Result<(), RegistryError> {
        let mut state = self.lock();
        let session = state
            .sessions
            .get_mut(session_id)
            .ok_or_else(|| RegistryError::UnknownSession(session_id.to_owned()))?;
        if session.analyses >= MAX_ANALYSES_PER_SESSION {
            return Err(RegistryError::TooManyAnalyses);
        }
        session.analyses += 1;
        state.analyses.insert(
            analysis_id.to_owned(),
            AnalysisEntry {
                session_id: session_id.to_owned(),
                request_id: request_id.to_owned(),
                progress: Progress::new(chunk_count),
            },
        );
        Ok(())
    }

    /// Drops an analysis whose submission failed.
    pub fn abandon_analysis(&self, analysis_id: &str) {
        let mut state = self.lock();
        Self::finish(&mut state, analysis_id);
    }

    /// Accounts chunks that never reached the broker as failed, and returns the messages
    /// the session must send for them (an error per chunk, then `complete` if it was the last).
    pub fn fail_chunks(
        &self,
        analysis_id: &str,
        chunks: &[(u64, u64)],
        code: &str,
        message: &str,
    ) -> Vec<ServerMessage> {
        let mut state = self.lock();
        let mut out = Vec::new();
        for &(index, variant_count) in chunks {
            let Some(entry) = state.analyses.get_mut(analysis_id) else {
                break;
            };
            let chunk_count = entry.progress_chunk_count();
            let request_id = entry.request_id.clone();
            let step = entry.progress.record(index, chunk_count, 0, variant_count);
            out.push(ServerMessage::Error {
                request_id: Some(request_id.clone()),
                analysis_id: Some(analysis_id.to_owned()),
                chunk_index: Some(index),
                code: code.to_owned(),
                message: message.to_owned(),
            });
            if let Ok(Step::Complete { annotated, failed }) = step {
                out.push(ServerMessage::Complete {
                    analysis_id: analysis_id.to_owned(),
                    request_id: Some(request_id),
                    annotated,
                    failed,
                });
                Self::finish(&mut state, analysis_id);
            }
        }
        out
    }

    fn finish(state: &mut State, analysis_id: &str) {
        if let Some(entry) = state.analyses.remove(analysis_id) {
            if let Some(session) = state.sessions.get_mut(&entry.session_id) {
                session.analyses = session.analyses.saturating_sub(1);
            }
        }
    }

    pub fn session_count(&self) -> usize {
        self.lock().sessions.len()
    }

    pub fn analysis_count(&self) -> usize {
        self.lock().analyses.len()
    }

    fn route(&self, inbound: Inbound) -> Routed {
        let mut state = self.lock();
        if state.dedup.contains(&inbound.source, &inbound.id) {
            return Routed::Duplicate;
        }
        let Some(session) = state.sessions.get(&inbound.session_id) else {
            return Routed::NotLocal;
        };
        let tx = session.tx.clone();
        let Some(entry) = state.analyses.get(&inbound.analysis_id) else {
            return Routed::UnknownAnalysis;
        };
        if entry.session_id != inbound.session_id {
            return Routed::UnknownAnalysis;
        }
        // Work on a copy: the bookkeeping is committed only once the messages are queued.
        let mut progress = entry.progress.clone();
        let request_id = entry.request_id.clone();
        let (mut messages, annotated, failed) = match inbound.kind {
            InboundKind::Annotated(a) => {
                let (ok, bad) = (a.annotations.len() as u64, a.errors.len() as u64);
                let msg = ServerMessage::Result {
                    analysis_id: inbound.analysis_id.clone(),
                    request_id: Some(request_id.clone()),
                    chunk_index: inbound.chunk_index,
                    annotations: a.annotations,
                    errors: a.errors,
                };
                (vec![msg], ok, bad)
            }
            InboundKind::Failed(f) => {
                let msg = ServerMessage::Error {
                    request_id: Some(request_id.clone()),
                    analysis_id: Some(inbound.analysis_id.clone()),
                    chunk_index: Some(inbound.chunk_index),
                    code: f.code,
                    message: f.message,
                };
                (vec![msg], 0, f.variant_count)
            }
        };
        let step =
            match progress.record(inbound.chunk_index, inbound.chunk_count, annotated, failed) {
                Ok(step) => step,
                Err(e) => return Routed::Rejected(e),
            };
        if let Step::Complete { annotated, failed } = step {
            messages.push(ServerMessage::Complete {
                analysis_id: inbound.analysis_id.clone(),
                request_id: Some(request_id),
                annotated,
                failed,
            });
        }
        match tx.try_send(messages) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => return Routed::QueueFull,
            // The session task ended between lookup and send: nobody is left to tell.
            Err(mpsc::error::TrySendError::Closed(_)) => return Routed::NotLocal,
        }
        state.dedup.insert(&inbound.source, &inbound.id);
        let completed = matches!(step, Step::Complete { .. });
        if completed {
            Self::finish(&mut state, &inbound.analysis_id);
        } else if let Some(entry) = state.analyses.get_mut(&inbound.analysis_id) {
            entry.progress = progress;
        }
        Routed::Sent { completed }
    }
}

impl AnalysisEntry {
    fn progress_chunk_count(&self) -> u64 {
        self.progress.chunk_count()
    }
}

impl Delivery for Registry {
    fn deliver(&self, inbound: Inbound) -> Routed {
        let routed = self.route(inbound);
        let counter = match &routed {
            Routed::Sent { .. } => &self.counters.delivered,
            Routed::Duplicate => &self.counters.duplicates,
            Routed::NotLocal => &self.counters.not_local,
            Routed::UnknownAnalysis => &self.counters.unknown_analysis,
            Routed::QueueFull => &self.counters.queue_full,
            Routed::Rejected(_) => &self.counters.rejected,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        routed
    }
}

#[cfg(test)]
mod tests;
