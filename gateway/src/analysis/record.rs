//! An analysis as the bookkeeping sees it: what identifies it ([`AnalysisMeta`]), one
//! outcome of (part of) a chunk ready to count ([`Record`]), and how counting it went
//! ([`Ingested`]). Both stores count by these types, with the rules of [`super::ranges`].

use std::sync::Arc;

use super::ranges::{ChunkError, ChunkStarts, Covers, Span};

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
