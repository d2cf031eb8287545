//! Decoding the annotated/failed CloudEvents the function sends back: signature first (a
//! forged or tampered event is refused before its data is read), then the data (annotated
//! parts in the compact encoding, `contract::wire`; failures as JSON), checked against
//! themselves: every input of a part's range answered, nothing outside it.

use std::sync::Arc;

use cloudevents::event::ExtensionValue;
use cloudevents::{AttributesReader, Data, Event};
use contract::annotation::VariantAnnotation;
use contract::event::{
    Failed as FailedData, VariantError, CONTENT_TYPE_ANNOTATED, MAX_VARIANTS_PER_EVENT,
};
use contract::signing::{SignatureError, Signing};

use super::{EXT_ANALYSIS, EXT_SESSION, TYPE_ANNOTATED, TYPE_FAILED};
use crate::analysis::ranges::{Covers, Span};

/// A validated inbound event, ready to route to its session.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    pub source: String,
    pub id: String,
    pub session_id: String,
    pub analysis_id: String,
    pub chunk_index: u64,
    pub chunk_count: u64,
    /// Which inputs of the chunk it answers.
    pub covers: Covers,
    pub kind: InboundKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InboundKind {
    Annotated(Annotated),
    Failed(Failed),
}

/// One part of a chunk's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotated {
    /// Its annotations and errors, decoded only when a `result` frame will show them
    /// (counting needs the input indexes only: `contract::wire::scan`).
    pub decoded: Option<(Vec<VariantAnnotation>, Vec<VariantError>)>,
    /// Distinct input indexes annotated (a multi-allelic line has several annotations).
    pub annotated: u64,
    /// Distinct input indexes without any annotation.
    pub failed: u64,
    /// The data as received (what an upload's spool keeps, not re-encoded).
    pub data: Arc<[u8]>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub variant_count: u64,
    pub code: String,
    pub message: String,
}

/// Every variant but `Unauthenticated` is a 400: the same bytes would fail the same way.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InboundError {
    #[error("not a CloudEvent: {0}")]
    NotACloudEvent(String),
    #[error(transparent)]
    Unauthenticated(#[from] SignatureError),
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    #[error("missing or non-string extension {0:?}")]
    MissingExtension(&'static str),
    #[error("event has no data")]
    MissingData,
    #[error("datacontenttype {0:?} is not the one of this event type")]
    WrongContentType(String),
    #[error("data does not match the {schema} schema: {reason}")]
    InvalidData {
        schema: &'static str,
        reason: String,
    },
    #[error("inconsistent event: {0}")]
    Inconsistent(String),
}

impl InboundError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotACloudEvent(_) => "not_a_cloudevent",
            Self::Unauthenticated(e) => e.code(),
            Self::UnknownType(_) => "unknown_event_type",
            Self::MissingExtension(_) => "missing_extension",
            Self::MissingData => "missing_data",
            Self::WrongContentType(_) => "wrong_content_type",
            Self::InvalidData { .. } => "invalid_data",
            Self::Inconsistent(_) => "inconsistent_event",
        }
    }

    /// The HTTP status the events port answers.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthenticated(e) => e.status(),
            _ => 400,
        }
    }
}

/// Decodes a binary- or structured-mode HTTP CloudEvent and checks its signature; an
/// annotated part is decoded whole only when `render` says its analysis shows `result`
/// frames (else only scanned for its input indexes).
pub fn decode_inbound(
    headers: &actix_web::http::header::HeaderMap,
    body: Vec<u8>,
    signing: &Signing,
    render: impl FnOnce(&str) -> bool,
) -> Result<Inbound, InboundError> {
    let event = cloudevents::binding::http_0_2::to_event(headers, body)
        .map_err(|e| InboundError::NotACloudEvent(e.to_string()))?;
    signing.verify(&event)?;
    from_event(&event, render)
}

/// Which inputs of `span` the entries (input index, annotation?) answer, checked: each index
/// inside the span, every index of it answered. (annotated, failed) distinct inputs.
fn count_part(
    span: Span,
    entries: impl Iterator<Item = (Option<u64>, bool)>,
) -> Result<(u64, u64), InboundError> {
    const NONE: u8 = 0;
    const ERROR: u8 = 1;
    const ANNOTATED: u8 = 2;
    let inconsistent = |m: String| InboundError::Inconsistent(m);
    let len = span.count as usize;
    let mut state = vec![NONE; len];
    for (i, (index, annotation)) in entries.enumerate() {
        let index =
            index.ok_or_else(|| inconsistent(format!("annotation {i} has no input_index")))?;
        let o = index
            .checked_sub(span.first)
            .map(|o| o as usize)
            .filter(|&o| o < len)
            .ok_or_else(|| inconsistent(format!("input {index} is outside the part")))?;
        state[o] = state[o].max(if annotation { ANNOTATED } else { ERROR });
    }
    if let Some(o) = state.iter().position(|&s| s == NONE) {
        return Err(inconsistent(format!(
            "input {} has no annotation or error",
            span.first + o as u64
        )));
    }
    let annotated = state.iter().filter(|&&s| s == ANNOTATED).count() as u64;
    Ok((annotated, span.count - annotated))
}

/// `count`, when it is between `min` and the most inputs one chunk may have.
fn bounded(count: u64, min: u64) -> Result<u64, InboundError> {
    if count < min || count > MAX_VARIANTS_PER_EVENT as u64 {
        return Err(InboundError::Inconsistent(format!(
            "variant_count {count} is not between {min} and {MAX_VARIANTS_PER_EVENT}"
        )));
    }
    Ok(count)
}

fn from_event(event: &Event, render: impl FnOnce(&str) -> bool) -> Result<Inbound, InboundError> {
    let ty = event.ty();
    if ty != TYPE_ANNOTATED && ty != TYPE_FAILED {
        return Err(InboundError::UnknownType(ty.to_owned()));
    }
    let session_id = extension(event, EXT_SESSION)?;
    let analysis_id = extension(event, EXT_ANALYSIS)?;
    let (data_session, data_analysis, chunk_index, chunk_count, covers, kind) =
        if ty == TYPE_ANNOTATED {
            let content_type = event.datacontenttype().unwrap_or_default();
            if content_type != CONTENT_TYPE_ANNOTATED {
                return Err(InboundError::WrongContentType(content_type.to_owned()));
            }
            let bytes = match event.data() {
                None => return Err(InboundError::MissingData),
                Some(Data::Binary(b)) => b.as_slice(),
                Some(_) => return Err(InboundError::WrongContentType(content_type.to_owned())),
            };
            let invalid = |e: contract::wire::WireError| InboundError::InvalidData {
                schema: "variants-annotated.v2",
                reason: e.to_string(),
            };
            let d = contract::wire::scan(bytes).map_err(invalid)?;
            if d.part_index >= d.part_count {
                return Err(InboundError::Inconsistent(format!(
                    "part_index {} is outside part_count {}",
                    d.part_index, d.part_count
                )));
            }
            let span = Span::new(d.first_index, bounded(d.variant_count, 1)?);
            let (annotated, failed) = count_part(span, d.entries.into_iter())?;
            let decoded = if render(&analysis_id) {
                let whole = contract::wire::decode(bytes).map_err(invalid)?;
                Some((whole.annotations, whole.errors))
            } else {
                None
            };
            let kind = InboundKind::Annotated(Annotated {
                decoded,
                annotated,
                failed,
                data: Arc::from(bytes),
            });
            (
                d.session_id,
                d.analysis_id,
                u64::from(d.chunk_index),
                u64::from(d.chunk_count),
                Covers::Range(span),
                kind,
            )
        } else {
            let d: FailedData = data(event, "analysis-failed.v1")?;
            // A whole chunk may say 0 inputs (unknown: its data did not decode); a range
            // names its inputs.
            let (count, covers) = match d.first_index {
                Some(first) => {
                    let count = bounded(d.variant_count, 1)?;
                    (count, Covers::Range(Span::new(first, count)))
                }
                None => (bounded(d.variant_count, 0)?, Covers::Chunk),
            };
            let kind = InboundKind::Failed(Failed {
                variant_count: count,
                code: d.code,
                message: d.message,
            });
            (
                d.session_id,
                d.analysis_id,
                u64::from(d.chunk_index),
                u64::from(d.chunk_count),
                covers,
                kind,
            )
        };
    if data_session != session_id || data_analysis != analysis_id {
        return Err(InboundError::Inconsistent(
            "sessionid/analysisid extensions differ from the data".to_owned(),
        ));
    }
    if chunk_count == 0 || chunk_index >= chunk_count {
        return Err(InboundError::Inconsistent(format!(
            "chunk_index {chunk_index} is outside chunk_count {chunk_count}"
        )));
    }
    Ok(Inbound {
        source: event.source().to_string(),
        id: event.id().to_owned(),
        session_id,
        analysis_id,
        chunk_index,
        chunk_count,
        covers,
        kind,
    })
}

fn extension(event: &Event, name: &'static str) -> Result<String, InboundError> {
    match event.extension(name) {
        Some(ExtensionValue::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(InboundError::MissingExtension(name)),
    }
}

fn data<T: serde::de::DeserializeOwned>(
    event: &Event,
    schema: &'static str,
) -> Result<T, InboundError> {
    let invalid = |e: serde_json::Error| InboundError::InvalidData {
        schema,
        reason: e.to_string(),
    };
    match event.data() {
        None => Err(InboundError::MissingData),
        Some(Data::Json(v)) => T::deserialize(v).map_err(invalid),
        Some(Data::Binary(b)) => serde_json::from_slice(b).map_err(invalid),
        Some(Data::String(s)) => serde_json::from_str(s).map_err(invalid),
    }
}

#[cfg(test)]
mod tests;
