//! The protocol frames the gateway writes into sessions' streams (`PROTOCOL.md`): built
//! here once, as JSON text, for both stores (the Redis one builds `progress` and `complete`
//! the same way in `store/redis/ingest.lua`), and completed with the reader's request id,
//! trace context and cursor when a session reads them ([`frame`]).

use std::time::Duration;

use contract::annotation::VariantAnnotation;
use contract::event::VariantError;
use serde_json::{Map, Value};

use crate::analysis::ranges::{Covers, Span};
use crate::analysis::record::{AnalysisMeta, Record, Spooled};
use crate::protocol::ServerMessage;

/// A stored frame that is not a JSON object: the store's contents are damaged.
#[derive(Debug, thiserror::Error)]
#[error("stored frame is not a JSON object: {0}")]
pub struct FrameError(#[source] serde_json::Error);

/// The `result` frame of a part whose annotations its session shows.
pub fn result(
    analysis_id: &str,
    chunk_index: u64,
    annotations: Vec<VariantAnnotation>,
    errors: Vec<VariantError>,
) -> String {
    ServerMessage::Result {
        analysis_id: analysis_id.to_owned(),
        request_id: None,
        chunk_index,
        annotations,
        errors,
    }
    .to_json()
}

/// The `error` frame of (a range of) a chunk whose inputs failed; `range` absent: whatever
/// the chunk had not answered.
pub fn chunk_error(
    analysis_id: &str,
    chunk_index: u64,
    range: Option<Span>,
    code: &str,
    message: &str,
) -> String {
    ServerMessage::Error {
        request_id: None,
        analysis_id: Some(analysis_id.to_owned()),
        chunk_index: Some(chunk_index),
        first_index: range.map(|s| s.first),
        variant_count: range.map(|s| s.count),
        code: code.to_owned(),
        message: message.to_owned(),
    }
    .to_json()
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
    Record {
        dedup_key: format!("gateway\u{1f}{}\u{1f}{chunk_index}", meta.analysis_id),
        session_id: meta.session_id.clone(),
        analysis_id: meta.analysis_id.clone(),
        chunk_index,
        chunk_count: meta.chunk_count(),
        covers: Covers::Remainder,
        annotated: 0,
        failed: 0,
        message: chunk_error(&meta.analysis_id, chunk_index, None, code, message),
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
) -> Result<Value, FrameError> {
    let mut map: Map<String, Value> = serde_json::from_str(stored).map_err(FrameError)?;
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
