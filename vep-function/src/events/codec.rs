//! Decoding submitted events and encoding results, with the SDK kept inside this file.

use cloudevents::event::{Data, ExtensionValue};
use cloudevents::{AttributesReader, Event, EventBuilder, EventBuilderV10};
use uuid::Uuid;

use contract::event::{
    valid_id, EXT_ANALYSIS, EXT_PARTITION, EXT_SESSION, EXT_TRACEPARENT, EXT_TRACESTATE,
    SCHEMA_ANNOTATED, SCHEMA_FAILED, TYPE_ANNOTATED, TYPE_FAILED, TYPE_SUBMITTED,
};
use contract::output::json;

use super::{CeOverrides, Outcome, Submitted, MAX_VARIANTS_PER_EVENT};

/// Why a submitted event cannot be processed. All of these are permanent: redelivering the
/// same event gives the same answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EventError {
    #[error("unexpected event type {0:?}: this function consumes {TYPE_SUBMITTED}")]
    WrongType(String),
    #[error("event has no data")]
    MissingData,
    #[error("event data must be application/json, got {0:?}")]
    WrongContentType(String),
    #[error("event data does not match the variants-submitted schema: {reason}")]
    InvalidData {
        /// serde's message: it may quote the data (variants: patient data).
        reason: String,
        /// Where in the data it failed (1-based), safe to log.
        line: usize,
        column: usize,
    },
    #[error("event lacks the {0} extension")]
    MissingExtension(&'static str),
    #[error("extension {name} is {attribute:?} but the data says {data:?}")]
    Mismatch {
        name: &'static str,
        attribute: String,
        data: String,
    },
    #[error("chunk_index {index} is not below chunk_count {count}")]
    BadChunk { index: u32, count: u32 },
    #[error("event has no variants")]
    NoVariants,
    #[error("event has {0} variants; at most {MAX_VARIANTS_PER_EVENT} are accepted per event")]
    TooManyVariants(usize),
    #[error("{field} {value:?} is not a valid id (1-64 letters, digits or '-')")]
    BadId { field: &'static str, value: String },
}

impl EventError {
    /// Where in the data decoding failed, `(line, column)`, when known: what a log may
    /// show instead of the message, which can quote the variants.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            EventError::InvalidData { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            EventError::WrongType(_) => "wrong_event_type",
            EventError::MissingData => "missing_data",
            EventError::WrongContentType(_) => "wrong_content_type",
            EventError::InvalidData { .. } => "invalid_data",
            EventError::MissingExtension(_) => "missing_extension",
            EventError::Mismatch { .. } => "extension_mismatch",
            EventError::BadChunk { .. } => "invalid_chunk",
            EventError::NoVariants => "no_variants",
            EventError::TooManyVariants(_) => "too_many_variants",
            EventError::BadId { .. } => "invalid_id",
        }
    }
}

fn extension(event: &Event, name: &'static str) -> Option<String> {
    event.extension(name).map(|v| match v {
        ExtensionValue::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// Decodes a `variants.submitted` event, checking it against the contract.
pub fn decode_submitted(event: &Event) -> Result<Submitted, EventError> {
    if event.ty() != TYPE_SUBMITTED {
        return Err(EventError::WrongType(event.ty().to_string()));
    }
    if let Some(ct) = event.datacontenttype() {
        let essence = ct.split(';').next().unwrap_or("").trim();
        if essence != "application/json" {
            return Err(EventError::WrongContentType(ct.to_string()));
        }
    }
    let submitted: Submitted = match event.data() {
        None => return Err(EventError::MissingData),
        Some(Data::Json(v)) => serde_json::from_value(v.clone()),
        Some(Data::Binary(b)) => serde_json::from_slice(b),
        Some(Data::String(s)) => serde_json::from_str(s),
    }
    .map_err(|e| EventError::InvalidData {
        reason: e.to_string(),
        line: e.line(),
        column: e.column(),
    })?;

    for (field, value) in [
        ("analysis_id", &submitted.analysis_id),
        ("session_id", &submitted.session_id),
    ] {
        if !valid_id(value) {
            return Err(EventError::BadId {
                field,
                value: value.chars().take(80).collect(),
            });
        }
    }
    for (name, data) in [
        (EXT_SESSION, &submitted.session_id),
        (EXT_ANALYSIS, &submitted.analysis_id),
    ] {
        let attribute = extension(event, name).ok_or(EventError::MissingExtension(name))?;
        if &attribute != data {
            return Err(EventError::Mismatch {
                name,
                attribute,
                data: data.clone(),
            });
        }
    }
    if submitted.chunk_index >= submitted.chunk_count {
        return Err(EventError::BadChunk {
            index: submitted.chunk_index,
            count: submitted.chunk_count,
        });
    }
    if submitted.variants.is_empty() {
        return Err(EventError::NoVariants);
    }
    if submitted.variants.len() > MAX_VARIANTS_PER_EVENT {
        return Err(EventError::TooManyVariants(submitted.variants.len()));
    }
    Ok(submitted)
}

/// The routing attributes of an event that may not decode as a whole: enough to tell the
/// user's session that its chunk failed.
pub fn routing_of(event: &Event) -> Option<(String, String)> {
    let session = extension(event, EXT_SESSION).filter(|s| valid_id(s))?;
    let analysis = extension(event, EXT_ANALYSIS).filter(|s| valid_id(s))?;
    Some((session, analysis))
}

/// The result id is derived from the input event's (source, id), so a redelivered input yields
/// the same result id and consumers can deduplicate.
pub fn result_id(input: &Event) -> String {
    const NAMESPACE: Uuid = Uuid::from_u128(0x6f1d_1a2e_5b7c_4c1e_9a0f_3d2b_8e4c_7a10);
    let key = format!("{}\n{}", input.source(), input.id());
    Uuid::new_v5(&NAMESPACE, key.as_bytes()).to_string()
}

/// Builds the result event for `input`. The data is written once, here, by the contract's
/// JSON writer (the bytes serde would give: sorted keys).
pub fn encode_result(
    input: &Event,
    outcome: &Outcome,
    source: &str,
    overrides: &CeOverrides,
) -> Result<Event, serde_json::Error> {
    let (ty, schema, session, analysis, data) = match outcome {
        Outcome::Annotated(a) => (
            TYPE_ANNOTATED,
            SCHEMA_ANNOTATED,
            &a.session_id,
            &a.analysis_id,
            json::annotated_data(a),
        ),
        Outcome::Failed(f) => (
            TYPE_FAILED,
            SCHEMA_FAILED,
            &f.session_id,
            &f.analysis_id,
            serde_json::to_vec(f)?,
        ),
    };
    let mut builder = EventBuilderV10::new()
        .id(result_id(input))
        .ty(ty)
        .source(source)
        .subject(session.as_str())
        .time(chrono::Utc::now())
        .data_with_schema("application/json", schema, data)
        .extension(EXT_SESSION, session.as_str())
        .extension(EXT_ANALYSIS, analysis.as_str())
        .extension(EXT_PARTITION, analysis.as_str());
    // W3C trace context travels with the analysis (distributed tracing extension).
    for name in [EXT_TRACEPARENT, EXT_TRACESTATE] {
        if let Some(v) = input.extension(name) {
            builder = builder.extension(name, v.to_string());
        }
    }
    for (name, value) in &overrides.extensions {
        builder = builder.extension(name, value.as_str());
    }
    builder
        .build()
        .map_err(|e| serde_json::Error::io(std::io::Error::other(e.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn submitted_event(data: serde_json::Value) -> Event {
        EventBuilderV10::new()
            .id("e-1")
            .ty(TYPE_SUBMITTED)
            .source("urn:genomics:gateway")
            .data("application/json", data)
            .extension(EXT_SESSION, "s-1")
            .extension(EXT_ANALYSIS, "a-1")
            .extension(EXT_PARTITION, "a-1")
            .build()
            .unwrap()
    }

    fn data(variants: serde_json::Value) -> serde_json::Value {
        json!({"analysis_id":"a-1","session_id":"s-1","request_id":"r","chunk_index":0,"chunk_count":1,"variants":variants})
    }

    #[test]
    fn decodes_a_valid_submission() {
        let s = decode_submitted(&submitted_event(data(json!(["21 25585733 . C T"])))).unwrap();
        assert_eq!(s.variants, vec!["21 25585733 . C T"]);
        assert_eq!(s.analysis_id, "a-1");
    }

    #[test]
    fn rejects_wrong_type() {
        let mut ev = submitted_event(data(json!(["x"])));
        cloudevents::event::AttributesWriter::set_type(&mut ev, "other.type");
        assert_eq!(
            decode_submitted(&ev),
            Err(EventError::WrongType("other.type".into()))
        );
    }

    #[test]
    fn rejects_unknown_fields_and_empty_variant_lists() {
        let mut d = data(json!(["x"]));
        d["surprise"] = json!(1);
        assert_eq!(
            decode_submitted(&submitted_event(d)).unwrap_err().code(),
            "invalid_data"
        );
        assert_eq!(
            decode_submitted(&submitted_event(data(json!([])))),
            Err(EventError::NoVariants)
        );
    }

    #[test]
    fn rejects_extension_that_disagrees_with_data() {
        let mut d = data(json!(["x"]));
        d["session_id"] = json!("s-2");
        assert!(matches!(
            decode_submitted(&submitted_event(d)),
            Err(EventError::Mismatch {
                name: "sessionid",
                ..
            })
        ));
    }

    #[test]
    fn result_id_is_stable_per_input_and_differs_between_inputs() {
        let a = submitted_event(data(json!(["x"])));
        let mut b = a.clone();
        cloudevents::event::AttributesWriter::set_id(&mut b, "e-2");
        assert_eq!(result_id(&a), result_id(&a.clone()));
        assert_ne!(result_id(&a), result_id(&b));
    }
}
