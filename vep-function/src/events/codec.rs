//! Decoding submitted events and encoding results (signed, annotated results split into
//! parts within the byte budget), with the SDK kept inside this file.

use cloudevents::event::{Data, ExtensionValue};
use cloudevents::{AttributesReader, Event, EventBuilder, EventBuilderV10};
use uuid::Uuid;

use contract::budget::{header_bytes, Budget};
use contract::event::{
    partition_key, valid_id, Annotated, Failed, CONTENT_TYPE_ANNOTATED, CONTENT_TYPE_JSON,
    EXT_ANALYSIS, EXT_PARTITION, EXT_SESSION, EXT_TRACEPARENT, EXT_TRACESTATE, SCHEMA_ANNOTATED,
    SCHEMA_FAILED, TYPE_ANNOTATED, TYPE_FAILED, TYPE_SUBMITTED,
};
use contract::signing::Signing;

use super::parts::{pack, Part};
use super::{CeOverrides, Submitted, MAX_VARIANTS_PER_EVENT};

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

/// Why a result event could not be built (a defect, never the input's fault).
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("the result event could not be built: {0}")]
    Build(String),
    #[error("the result data could not be written: {0}")]
    Json(#[from] serde_json::Error),
}

/// An annotated event and the inputs it covers: (event, first index, inputs).
pub type PartEvent = (Event, u64, u64);

/// Headroom for what differs between the template the header size is measured on and the
/// real events: the `time` attribute's fraction digits.
const HEADER_SLACK: usize = 64;

/// Builds the result events of one submitted event: ids derived from the input's
/// (source, id), so a redelivered input yields the same ids and the gateway deduplicates;
/// the routing extensions of the chunk; trace context and `K_CE_OVERRIDES`; the signature.
pub struct Emitter<'a> {
    pub input: &'a Event,
    pub source: &'a str,
    pub overrides: &'a CeOverrides,
    pub signing: &'a Signing,
}

/// The routing of a result: whose analysis, which chunk.
struct Route<'a> {
    session: &'a str,
    analysis: &'a str,
    chunk_index: u32,
}

impl Emitter<'_> {
    /// `salt` tells apart the events one input yields (its parts, a failure of a range).
    pub fn result_id(&self, salt: &str) -> String {
        const NAMESPACE: Uuid = Uuid::from_u128(0x6f1d_1a2e_5b7c_4c1e_9a0f_3d2b_8e4c_7a10);
        let key = format!("{}\n{}\n{salt}", self.input.source(), self.input.id());
        Uuid::new_v5(&NAMESPACE, key.as_bytes()).to_string()
    }

    fn build(
        &self,
        salt: &str,
        (ty, schema, content_type): (&str, &str, &str),
        route: &Route<'_>,
        data: Vec<u8>,
    ) -> Result<Event, EncodeError> {
        let mut builder = EventBuilderV10::new()
            .id(self.result_id(salt))
            .ty(ty)
            .source(self.source)
            .subject(route.session)
            .time(chrono::Utc::now())
            .data_with_schema(content_type, schema, data)
            .extension(EXT_SESSION, route.session)
            .extension(EXT_ANALYSIS, route.analysis)
            .extension(
                EXT_PARTITION,
                partition_key(route.analysis, route.chunk_index),
            );
        // W3C trace context travels with the analysis (distributed tracing extension).
        for name in [EXT_TRACEPARENT, EXT_TRACESTATE] {
            if let Some(v) = self.input.extension(name) {
                builder = builder.extension(name, v.to_string());
            }
        }
        for (name, value) in &self.overrides.extensions {
            builder = builder.extension(name, value.as_str());
        }
        let mut event = builder
            .build()
            .map_err(|e| EncodeError::Build(e.to_string()))?;
        self.signing.sign(&mut event);
        Ok(event)
    }

    /// The `failed` event of `failed` (its whole chunk, or the range it names).
    pub fn failed(&self, failed: &Failed) -> Result<Event, EncodeError> {
        let route = Route {
            session: &failed.session_id,
            analysis: &failed.analysis_id,
            chunk_index: failed.chunk_index,
        };
        let salt = match failed.first_index {
            None => "failed".to_owned(),
            Some(first) => format!("failed {first} {}", failed.variant_count),
        };
        let data = serde_json::to_vec(failed)?;
        self.build(
            &salt,
            (TYPE_FAILED, SCHEMA_FAILED, CONTENT_TYPE_JSON),
            &route,
            data,
        )
    }

    fn part_event(&self, chunk: &Annotated, part: Part) -> Result<PartEvent, EncodeError> {
        let range = (part.first_index, part.variant_count);
        let route = Route {
            session: &chunk.session_id,
            analysis: &chunk.analysis_id,
            chunk_index: chunk.chunk_index,
        };
        let salt = format!("part {} {}", part.first_index, part.variant_count);
        let event = self.build(
            &salt,
            (TYPE_ANNOTATED, SCHEMA_ANNOTATED, CONTENT_TYPE_ANNOTATED),
            &route,
            part.data,
        )?;
        Ok((event, range.0, range.1))
    }

    /// The annotated events of a whole chunk, each with its range (first index, inputs):
    /// parts within `budget` (headers included), or one event holding everything when there
    /// is no budget (the inline reply: no Kafka hop). Also the indexes that got
    /// `result_too_large`.
    pub fn annotated(
        &self,
        chunk: &Annotated,
        budget: Option<Budget>,
    ) -> Result<(Vec<PartEvent>, Vec<u64>), EncodeError> {
        let Some(budget) = budget else {
            let part = Part {
                first_index: chunk.first_index,
                variant_count: chunk.variant_count,
                data: contract::wire::encode(chunk),
            };
            return Ok((vec![self.part_event(chunk, part)?], Vec::new()));
        };
        let template = self.part_event(
            chunk,
            Part {
                first_index: chunk.first_index,
                variant_count: chunk.variant_count,
                data: Vec::new(),
            },
        )?;
        let max_data = budget
            .bytes()
            .saturating_sub(header_bytes(&template.0) + HEADER_SLACK);
        let packed = pack(chunk, max_data);
        let events = packed
            .parts
            .into_iter()
            .map(|part| self.part_event(chunk, part))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((events, packed.too_large))
    }
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
    fn result_id_is_stable_per_input_and_differs_between_inputs_and_parts() {
        let a = submitted_event(data(json!(["x"])));
        let mut b = a.clone();
        cloudevents::event::AttributesWriter::set_id(&mut b, "e-2");
        let (overrides, signing) = (CeOverrides::default(), Signing::Insecure);
        let id = |input: &Event, salt: &str| {
            Emitter {
                input,
                source: "s",
                overrides: &overrides,
                signing: &signing,
            }
            .result_id(salt)
        };
        assert_eq!(id(&a, "part 0 5"), id(&a.clone(), "part 0 5"));
        assert_ne!(id(&a, "part 0 5"), id(&b, "part 0 5"));
        assert_ne!(id(&a, "part 0 5"), id(&a, "part 5 5"));
    }
}
