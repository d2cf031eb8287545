//! Decoding the annotated/failed CloudEvents the function sends back.

use cloudevents::event::ExtensionValue;
use cloudevents::{AttributesReader, Data, Event};
use contract::annotation::VariantAnnotation;
use contract::event::{Annotated as AnnotatedData, Failed as FailedData, VariantError};
use serde::de::DeserializeOwned;

use super::{EXT_ANALYSIS, EXT_SESSION, TYPE_ANNOTATED, TYPE_FAILED};

/// A validated inbound event, ready to route to its session.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    pub source: String,
    pub id: String,
    pub session_id: String,
    pub analysis_id: String,
    pub chunk_index: u64,
    pub chunk_count: u64,
    pub kind: InboundKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InboundKind {
    Annotated(Annotated),
    Failed(Failed),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Annotated {
    pub annotations: Vec<VariantAnnotation>,
    pub errors: Vec<VariantError>,
    /// Distinct input indexes annotated (a multi-allelic line has several annotations).
    pub annotated: u64,
    /// Distinct input indexes only in `errors`.
    pub failed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub variant_count: u64,
    pub code: String,
    pub message: String,
}

/// Every variant is non-retryable: the same bytes would fail the same way.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InboundError {
    #[error("not a CloudEvent: {0}")]
    NotACloudEvent(String),
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    #[error("missing or non-string extension {0:?}")]
    MissingExtension(&'static str),
    #[error("event has no data")]
    MissingData,
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
            Self::UnknownType(_) => "unknown_event_type",
            Self::MissingExtension(_) => "missing_extension",
            Self::MissingData => "missing_data",
            Self::InvalidData { .. } => "invalid_data",
            Self::Inconsistent(_) => "inconsistent_event",
        }
    }
}

/// Decodes a binary- or structured-mode HTTP CloudEvent.
pub fn decode_inbound(
    headers: &actix_web::http::header::HeaderMap,
    body: Vec<u8>,
) -> Result<Inbound, InboundError> {
    let event = cloudevents::binding::http_0_2::to_event(headers, body)
        .map_err(|e| InboundError::NotACloudEvent(e.to_string()))?;
    from_event(&event)
}

fn from_event(event: &Event) -> Result<Inbound, InboundError> {
    let ty = event.ty();
    if ty != TYPE_ANNOTATED && ty != TYPE_FAILED {
        return Err(InboundError::UnknownType(ty.to_owned()));
    }
    let session_id = extension(event, EXT_SESSION)?;
    let analysis_id = extension(event, EXT_ANALYSIS)?;
    let (data_session, data_analysis, chunk_index, chunk_count, kind) = if ty == TYPE_ANNOTATED {
        let d: AnnotatedData = data(event, "variants-annotated.v1")?;
        let error_indexes: Vec<u64> = d.errors.iter().map(|e| e.input_index).collect();
        let counts = crate::store::count_inputs(&d.annotations, &error_indexes)
            .map_err(|e| InboundError::Inconsistent(e.to_string()))?;
        // One submitted variant may yield several annotations (one per ALT allele), all with
        // its input_index: count variants, not objects.
        let reported = counts.annotated + counts.failed;
        if reported != d.variant_count {
            return Err(InboundError::Inconsistent(format!(
                "variant_count is {} but {} distinct inputs were annotated or failed",
                d.variant_count, reported
            )));
        }
        let kind = InboundKind::Annotated(Annotated {
            annotations: d.annotations,
            errors: d.errors,
            annotated: counts.annotated,
            failed: counts.failed,
        });
        (
            d.session_id,
            d.analysis_id,
            u64::from(d.chunk_index),
            u64::from(d.chunk_count),
            kind,
        )
    } else {
        let d: FailedData = data(event, "analysis-failed.v1")?;
        let kind = InboundKind::Failed(Failed {
            variant_count: d.variant_count,
            code: d.code,
            message: d.message,
        });
        (
            d.session_id,
            d.analysis_id,
            u64::from(d.chunk_index),
            u64::from(d.chunk_count),
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
        kind,
    })
}

fn extension(event: &Event, name: &'static str) -> Result<String, InboundError> {
    match event.extension(name) {
        Some(ExtensionValue::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(InboundError::MissingExtension(name)),
    }
}

fn data<T: DeserializeOwned>(event: &Event, schema: &'static str) -> Result<T, InboundError> {
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
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
    use serde_json::{json, Value};

    fn headers(ty: &str, session: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("ce-specversion", "1.0"),
            ("ce-id", "evt-1"),
            ("ce-source", "urn:genomics:vep-function"),
            ("ce-type", ty),
            ("ce-subject", session),
            ("ce-sessionid", session),
            ("ce-analysisid", "a1"),
            ("ce-partitionkey", "a1"),
            ("content-type", "application/json"),
        ] {
            h.insert(
                HeaderName::from_static(k),
                HeaderValue::from_str(v).expect("valid header"),
            );
        }
        h
    }

    fn annotated_body(variant_count: u64) -> Vec<u8> {
        json!({
            "analysis_id": "a1", "session_id": "s1", "chunk_index": 0, "chunk_count": 1,
            "variant_count": variant_count,
            "annotations": [{"input": "21 25585733 . C T", "input_index": 0, "seq_region_name": "21",
                             "start": 25585733, "end": 25585733, "allele_string": "C/T",
                             "most_severe_consequence": "missense_variant"}],
            "errors": [{"input": "zz", "input_index": 1, "code": "unparseable", "message": "not a variant"}],
            "annotator": {"backend": "local", "version": "0.1.0"}
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn binary_mode_annotated_event_decodes() {
        let inbound =
            decode_inbound(&headers(TYPE_ANNOTATED, "s1"), annotated_body(2)).expect("valid");
        assert_eq!(
            (inbound.source.as_str(), inbound.id.as_str()),
            ("urn:genomics:vep-function", "evt-1")
        );
        assert_eq!(inbound.session_id, "s1");
        match inbound.kind {
            InboundKind::Annotated(a) => {
                assert_eq!(a.annotations.len(), 1);
                assert_eq!(a.errors[0].code, "unparseable");
            }
            other => panic!("expected annotated, got {other:?}"),
        }
    }

    #[test]
    fn failed_event_decodes_with_its_variant_count() {
        let body = json!({"analysis_id": "a1", "session_id": "s1", "chunk_index": 0, "chunk_count": 1,
            "variant_count": 7, "code": "backend_unavailable", "message": "down", "retryable": true});
        let inbound = decode_inbound(&headers(TYPE_FAILED, "s1"), body.to_string().into_bytes())
            .expect("valid");
        assert_eq!(
            inbound.kind,
            InboundKind::Failed(Failed {
                variant_count: 7,
                code: "backend_unavailable".into(),
                message: "down".into()
            })
        );
    }

    #[test]
    fn structured_mode_event_decodes() {
        let mut h = HeaderMap::new();
        h.insert(
            HeaderName::from_static("content-type"),
            HeaderValue::from_static("application/cloudevents+json"),
        );
        let data: Value = serde_json::from_slice(&annotated_body(2)).expect("json");
        let body = json!({
            "specversion": "1.0", "id": "evt-9", "source": "urn:genomics:vep-function",
            "type": TYPE_ANNOTATED, "subject": "s1", "sessionid": "s1", "analysisid": "a1",
            "partitionkey": "a1", "datacontenttype": "application/json", "data": data
        });
        let inbound = decode_inbound(&h, body.to_string().into_bytes()).expect("valid");
        assert_eq!((inbound.id.as_str(), inbound.chunk_count), ("evt-9", 1));
        assert!(matches!(inbound.kind, InboundKind::Annotated(ref a) if a.errors.len() == 1));
    }

    #[test]
    fn unknown_type_is_rejected() {
        let err = decode_inbound(&headers("dev.genomics.other.v1", "s1"), annotated_body(2))
            .expect_err("unknown");
        assert_eq!(
            err,
            InboundError::UnknownType("dev.genomics.other.v1".into())
        );
    }

    #[test]
    fn plain_json_without_ce_headers_is_not_a_cloudevent() {
        let mut h = HeaderMap::new();
        h.insert(
            HeaderName::from_static("content-type"),
            HeaderValue::from_static("application/json"),
        );
        let err = decode_inbound(&h, b"{}".to_vec()).expect_err("not an event");
        assert_eq!(err.code(), "not_a_cloudevent");
    }

    /// `21 25585733 . C T,G`: one submitted variant, two annotations with one input_index.
    #[test]
    fn multi_allelic_annotations_count_as_one_variant() {
        let body = json!({
            "analysis_id": "a1", "session_id": "s1", "chunk_index": 0, "chunk_count": 1,
            "variant_count": 2,
            "annotations": [
                {"input": "21 25585733 . C T,G", "input_index": 0, "seq_region_name": "21",
                 "start": 25585733, "end": 25585733, "allele_string": "C/T",
                 "most_severe_consequence": "missense_variant"},
                {"input": "21 25585733 . C T,G", "input_index": 0, "seq_region_name": "21",
                 "start": 25585733, "end": 25585733, "allele_string": "C/G",
                 "most_severe_consequence": "missense_variant"}],
            "errors": [{"input": "zz", "input_index": 1, "code": "unparseable", "message": "not a variant"}],
            "annotator": {"backend": "local", "version": "0.1.0"}
        });
        let inbound = decode_inbound(
            &headers(TYPE_ANNOTATED, "s1"),
            body.to_string().into_bytes(),
        )
        .expect("two variants, three objects");
        match inbound.kind {
            InboundKind::Annotated(a) => {
                assert_eq!((a.annotations.len(), a.annotated, a.failed), (2, 1, 1));
            }
            other => panic!("expected annotated, got {other:?}"),
        }
    }

    #[test]
    fn miscounted_chunk_is_inconsistent() {
        let err =
            decode_inbound(&headers(TYPE_ANNOTATED, "s1"), annotated_body(3)).expect_err("count");
        assert_eq!(err.code(), "inconsistent_event");
    }

    #[test]
    fn session_mismatch_between_extension_and_data_is_inconsistent() {
        let err = decode_inbound(&headers(TYPE_ANNOTATED, "other"), annotated_body(2))
            .expect_err("mismatch");
        assert_eq!(err.code(), "inconsistent_event");
    }

    #[test]
    fn data_missing_required_fields_is_invalid() {
        let err = decode_inbound(
            &headers(TYPE_ANNOTATED, "s1"),
            br#"{"analysis_id":"a1"}"#.to_vec(),
        )
        .expect_err("invalid");
        assert_eq!(err.code(), "invalid_data");
    }
}
