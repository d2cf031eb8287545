//! Building `dev.genomics.variants.submitted.v1` events from an accepted request's chunks
//! (cut by `analysis::chunks` so every event fits `EVENT_MAX_BYTES` with its headers),
//! signed, keyed by chunk.

use cloudevents::{EventBuilder, EventBuilderV10};
use contract::budget::{event_bytes, Budget};
use contract::event::{partition_key, Submitted, CONTENT_TYPE_JSON};
use contract::signing::Signing;

use super::{
    OutboundEvent, EXT_ANALYSIS, EXT_PARTITION, EXT_SESSION, EXT_TRACEPARENT, SCHEMA_SUBMITTED,
    TYPE_SUBMITTED,
};
use crate::analysis::chunks::Chunk;

/// Identifies whose analysis a chunk belongs to.
#[derive(Debug, Clone)]
pub struct Submission<'a> {
    pub source: &'a str,
    pub session_id: &'a str,
    pub analysis_id: &'a str,
    pub request_id: &'a str,
    /// W3C trace context of the browser request (CloudEvents distributed-tracing extension).
    pub traceparent: Option<&'a str>,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("could not build the submitted event: {0}")]
    Build(#[from] cloudevents::event::EventBuilderError),
    #[error("could not encode the submitted data: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("chunk {index} of {count} is beyond the contract's chunk numbers (u32)")]
    ChunkOutOfRange { index: usize, count: usize },
    #[error("chunk {index}'s event is {bytes} bytes, over EVENT_MAX_BYTES ({limit})")]
    TooLarge {
        index: usize,
        bytes: usize,
        limit: usize,
    },
}

/// Headroom for what the template below cannot know: the `time` attribute's digits.
const SLACK: usize = 64;

/// Bytes of variant text (as [`crate::analysis::chunks::Chunker`] counts it) one event of `sub` can carry within
/// `budget`: the budget less the headers and the data's other fields at their longest.
pub fn variant_bytes(sub: &Submission<'_>, signing: &Signing, budget: Budget) -> usize {
    let widest = Chunk {
        index: u32::MAX as usize,
        count: u32::MAX as usize,
        first_index: u64::MAX as usize,
        variants: Vec::new(),
    };
    let fixed = build_submitted(sub, &widest, signing).map_or(budget.bytes(), |e| event_bytes(&e));
    budget.bytes().saturating_sub(fixed + SLACK)
}

pub fn build_submitted(
    sub: &Submission<'_>,
    chunk: &Chunk,
    signing: &Signing,
) -> Result<OutboundEvent, SubmitError> {
    let out_of_range = || SubmitError::ChunkOutOfRange {
        index: chunk.index,
        count: chunk.count,
    };
    let chunk_index = u32::try_from(chunk.index).map_err(|_| out_of_range())?;
    let data = serde_json::to_vec(&Submitted {
        analysis_id: sub.analysis_id.to_owned(),
        chunk_count: u32::try_from(chunk.count).map_err(|_| out_of_range())?,
        chunk_index,
        first_index: Some(chunk.first_index as u64),
        request_id: sub.request_id.to_owned(),
        session_id: sub.session_id.to_owned(),
        variants: chunk.variants.clone(),
    })?;
    let mut builder = EventBuilderV10::new()
        .id(uuid::Uuid::new_v4().to_string())
        .source(sub.source)
        .ty(TYPE_SUBMITTED)
        .subject(sub.session_id)
        .time(chrono::Utc::now())
        .extension(EXT_SESSION, sub.session_id)
        .extension(EXT_ANALYSIS, sub.analysis_id)
        // Keyed by chunk: the chunks of one analysis spread over partitions and pods.
        .extension(EXT_PARTITION, partition_key(sub.analysis_id, chunk_index))
        .data_with_schema(CONTENT_TYPE_JSON, SCHEMA_SUBMITTED, data);
    if let Some(t) = sub.traceparent {
        builder = builder.extension(EXT_TRACEPARENT, t);
    }
    let mut event = builder.build()?;
    signing.sign(&mut event);
    Ok(event)
}

/// [`build_submitted`], refusing an event over `budget` (a defect of the chunking: the
/// function would refuse it with 413).
pub fn build_within(
    sub: &Submission<'_>,
    chunk: &Chunk,
    signing: &Signing,
    budget: Budget,
) -> Result<OutboundEvent, SubmitError> {
    let event = build_submitted(sub, chunk, signing)?;
    let bytes = event_bytes(&event);
    if bytes > budget.bytes() {
        return Err(SubmitError::TooLarge {
            index: chunk.index,
            bytes,
            limit: budget.bytes(),
        });
    }
    Ok(event)
}

#[cfg(test)]
mod tests;
