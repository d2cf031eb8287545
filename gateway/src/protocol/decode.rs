//! Decoding and validating browser frames into [`ClientMessage`].

use serde::Deserialize;
use serde_json::Value;

use super::ClientMessage;

/// Longest accepted `request_id`; the submitted-event schema caps it.
pub const MAX_REQUEST_ID_CHARS: usize = 128;
/// Longest accepted variant string; the submitted-event schema caps it.
pub const MAX_VARIANT_CHARS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_variants: usize,
    pub max_frame_bytes: usize,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("frame of {size} bytes exceeds the limit of {limit} bytes")]
    FrameTooLarge { size: usize, limit: usize },
    #[error("binary frames are not supported; send JSON text frames")]
    BinaryFrame,
    #[error("frame is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("message has no string \"type\" field")]
    MissingType,
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    #[error("invalid {kind} message: {reason}")]
    InvalidMessage { kind: &'static str, reason: String },
    #[error("request_id must be 1 to {MAX_REQUEST_ID_CHARS} characters")]
    InvalidRequestId,
    #[error("variants is empty: nothing to analyze")]
    EmptyRequest,
    #[error("{count} variants exceed the limit of {limit} per request")]
    TooManyVariants { count: usize, limit: usize },
    #[error("variant at index {index} is {reason}")]
    InvalidVariant { index: usize, reason: &'static str },
    #[error("traceparent is not a W3C trace context (00-<32 hex>-<16 hex>-<2 hex>)")]
    InvalidTraceparent,
    #[error("session_id must be a session id this gateway issued")]
    InvalidSessionId,
    #[error("last_seen must be a cursor from an earlier frame")]
    InvalidCursor,
}

impl DecodeError {
    /// The stable `code` sent to clients (see PROTOCOL.md).
    pub fn code(&self) -> &'static str {
        match self {
            Self::FrameTooLarge { .. } => "frame_too_large",
            Self::BinaryFrame => "binary_not_supported",
            Self::MalformedJson(_) => "malformed_json",
            Self::MissingType => "missing_type",
            Self::UnknownType(_) => "unknown_type",
            Self::InvalidMessage { .. } => "invalid_message",
            Self::InvalidRequestId => "invalid_request_id",
            Self::EmptyRequest => "empty_request",
            Self::TooManyVariants { .. } => "too_many_variants",
            Self::InvalidVariant { .. } => "invalid_variant",
            Self::InvalidTraceparent => "invalid_traceparent",
            Self::InvalidSessionId => "invalid_session_id",
            Self::InvalidCursor => "invalid_cursor",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnalyzeFrame {
    #[serde(rename = "type")]
    _type: String,
    request_id: String,
    variants: Vec<String>,
    #[serde(default)]
    traceparent: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResumeFrame {
    #[serde(rename = "type")]
    _type: String,
    session_id: String,
    #[serde(default)]
    resume_secret: Option<String>,
    #[serde(default)]
    last_seen: Option<String>,
}

/// Decodes one text frame. On failure also returns the `request_id` when one could be read,
/// so the error reply can be correlated by the client.
pub fn decode(text: &str, limits: Limits) -> Result<ClientMessage, (Option<String>, DecodeError)> {
    if text.len() > limits.max_frame_bytes {
        return Err((
            None,
            DecodeError::FrameTooLarge {
                size: text.len(),
                limit: limits.max_frame_bytes,
            },
        ));
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| (None, DecodeError::MalformedJson(e.to_string())))?;
    let request_id = value
        .get("request_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .ok_or((request_id.clone(), DecodeError::MissingType))?;
    match kind {
        "ping" => Ok(ClientMessage::Ping),
        "analyze" => analyze(value, limits).map_err(|e| (request_id, e)),
        "resume" => resume(value).map_err(|e| (None, e)),
        other => Err((request_id, DecodeError::UnknownType(other.to_owned()))),
    }
}

fn analyze(value: Value, limits: Limits) -> Result<ClientMessage, DecodeError> {
    // Count before the typed parse so an oversized list is named as such, not as a type error.
    if let Some(list) = value.get("variants").and_then(Value::as_array) {
        if list.len() > limits.max_variants {
            return Err(DecodeError::TooManyVariants {
                count: list.len(),
                limit: limits.max_variants,
            });
        }
    }
    let frame: AnalyzeFrame =
        serde_json::from_value(value).map_err(|e| DecodeError::InvalidMessage {
            kind: "analyze",
            reason: e.to_string(),
        })?;
    let id_chars = frame.request_id.chars().count();
    if id_chars == 0 || id_chars > MAX_REQUEST_ID_CHARS {
        return Err(DecodeError::InvalidRequestId);
    }
    if frame.variants.is_empty() {
        return Err(DecodeError::EmptyRequest);
    }
    for (index, variant) in frame.variants.iter().enumerate() {
        if variant.trim().is_empty() {
            return Err(DecodeError::InvalidVariant {
                index,
                reason: "empty",
            });
        }
        if variant.chars().count() > MAX_VARIANT_CHARS {
            return Err(DecodeError::InvalidVariant {
                index,
                reason: "longer than 10000 characters",
            });
        }
    }
    if let Some(t) = &frame.traceparent {
        if !is_traceparent(t) {
            return Err(DecodeError::InvalidTraceparent);
        }
    }
    Ok(ClientMessage::Analyze {
        request_id: frame.request_id,
        variants: frame.variants,
        traceparent: frame.traceparent,
    })
}

fn resume(value: Value) -> Result<ClientMessage, DecodeError> {
    let frame: ResumeFrame =
        serde_json::from_value(value).map_err(|e| DecodeError::InvalidMessage {
            kind: "resume",
            reason: e.to_string(),
        })?;
    // Session ids are UUIDs we issued; anything else cannot name a stream of ours.
    if uuid::Uuid::parse_str(&frame.session_id).is_err() {
        return Err(DecodeError::InvalidSessionId);
    }
    if let Some(c) = &frame.last_seen {
        if !is_cursor(c) {
            return Err(DecodeError::InvalidCursor);
        }
    }
    Ok(ClientMessage::Resume {
        session_id: frame.session_id,
        resume_secret: frame.resume_secret,
        last_seen: frame.last_seen,
    })
}

/// `<ms>-<seq>` as in Redis stream ids, or `0` for "nothing seen".
fn is_cursor(c: &str) -> bool {
    if c == "0" {
        return true;
    }
    let digits = |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    c.split_once('-')
        .is_some_and(|(ms, seq)| digits(ms) && digits(seq))
}

/// W3C trace context, version 00: `00-<trace id>-<parent id>-<flags>`, lowercase hex,
/// ids not all zero.
fn is_traceparent(t: &str) -> bool {
    let parts: Vec<&str> = t.split('-').collect();
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    matches!(parts.as_slice(), [v, trace, parent, flags]
        if *v == "00" && hex(trace, 32) && hex(parent, 16) && hex(flags, 2)
            && trace.bytes().any(|b| b != b'0') && parent.bytes().any(|b| b != b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_variants: 3,
        max_frame_bytes: 512,
    };

    fn err(text: &str) -> (Option<String>, DecodeError) {
        decode(text, LIMITS).expect_err("should be rejected")
    }

    #[test]
    fn analyze_with_vcf_and_hgvs_lines_decodes() {
        let msg = decode(
            r#"{"type":"analyze","request_id":"r1","variants":["21 25585733 . C T","17:g.43094077C>T"]}"#,
            LIMITS,
        )
        .expect("valid");
        assert_eq!(
            msg,
            ClientMessage::Analyze {
                request_id: "r1".into(),
                variants: vec!["21 25585733 . C T".into(), "17:g.43094077C>T".into()],
                traceparent: None,
            }
        );
    }

    #[test]
    fn analyze_carries_a_valid_traceparent_and_rejects_a_bad_one() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let ok = decode(
            &format!(
                r#"{{"type":"analyze","request_id":"r","variants":["x"],"traceparent":"{tp}"}}"#
            ),
            LIMITS,
        )
        .expect("valid");
        assert!(matches!(ok, ClientMessage::Analyze { traceparent: Some(ref t), .. } if t == tp));
        let bad = err(
            r#"{"type":"analyze","request_id":"r","variants":["x"],"traceparent":"00-xyz-1-01"}"#,
        );
        assert_eq!(bad.1, DecodeError::InvalidTraceparent);
    }

    #[test]
    fn resume_needs_a_uuid_session_and_a_cursor() {
        let sid = "5d1c2f4e-8a7b-4c3d-9e0f-1a2b3c4d5e6f";
        assert_eq!(
            decode(
                &format!(
                    r#"{{"type":"resume","session_id":"{sid}","last_seen":"1700000000000-3"}}"#
                ),
                LIMITS
            ),
            Ok(ClientMessage::Resume {
                session_id: sid.into(),
                resume_secret: None,
                last_seen: Some("1700000000000-3".into())
            })
        );
        assert_eq!(
            err(r#"{"type":"resume","session_id":"../etc"}"#).1,
            DecodeError::InvalidSessionId
        );
        assert_eq!(
            err(&format!(
                r#"{{"type":"resume","session_id":"{sid}","last_seen":"1-x"}}"#
            ))
            .1,
            DecodeError::InvalidCursor
        );
    }

    #[test]
    fn resume_carries_the_session_secret() {
        let sid = "5d1c2f4e-8a7b-4c3d-9e0f-1a2b3c4d5e6f";
        assert_eq!(
            decode(
                &format!(r#"{{"type":"resume","session_id":"{sid}","resume_secret":"s3"}}"#),
                LIMITS
            ),
            Ok(ClientMessage::Resume {
                session_id: sid.into(),
                resume_secret: Some("s3".into()),
                last_seen: None,
            })
        );
    }

    #[test]
    fn ping_decodes() {
        assert_eq!(
            decode(r#"{"type":"ping"}"#, LIMITS),
            Ok(ClientMessage::Ping)
        );
    }

    #[test]
    fn malformed_json_is_named() {
        let (id, e) = err("{not json");
        assert_eq!(id, None);
        assert_eq!(e.code(), "malformed_json");
    }

    #[test]
    fn unknown_type_keeps_the_request_id() {
        let (id, e) = err(r#"{"type":"annotate","request_id":"r9"}"#);
        assert_eq!(id.as_deref(), Some("r9"));
        assert_eq!(e, DecodeError::UnknownType("annotate".into()));
        assert_eq!(e.code(), "unknown_type");
    }

    #[test]
    fn missing_type_is_named() {
        assert_eq!(err(r#"{"variants":[]}"#).1, DecodeError::MissingType);
        assert_eq!(err(r#"[1,2]"#).1.code(), "missing_type");
    }

    #[test]
    fn too_many_variants_reports_count_and_limit() {
        let (id, e) = err(r#"{"type":"analyze","request_id":"r2","variants":["a","b","c","d"]}"#);
        assert_eq!(id.as_deref(), Some("r2"));
        assert_eq!(e, DecodeError::TooManyVariants { count: 4, limit: 3 });
        assert_eq!(e.code(), "too_many_variants");
    }

    #[test]
    fn oversize_frame_is_rejected_before_parsing() {
        let big = format!(
            r#"{{"type":"analyze","request_id":"r","variants":["{}"]}}"#,
            "A".repeat(600)
        );
        assert!(matches!(
            err(&big).1,
            DecodeError::FrameTooLarge { limit: 512, .. }
        ));
    }

    #[test]
    fn empty_variant_list_is_an_empty_request() {
        assert_eq!(
            err(r#"{"type":"analyze","request_id":"r","variants":[]}"#).1,
            DecodeError::EmptyRequest
        );
    }

    #[test]
    fn blank_variant_is_named_by_index() {
        assert_eq!(
            err(r#"{"type":"analyze","request_id":"r","variants":["1 1 . A T","  "]}"#).1,
            DecodeError::InvalidVariant {
                index: 1,
                reason: "empty"
            }
        );
    }

    #[test]
    fn missing_or_empty_request_id_is_rejected() {
        assert_eq!(
            err(r#"{"type":"analyze","request_id":"","variants":["x"]}"#).1,
            DecodeError::InvalidRequestId
        );
        assert_eq!(
            err(r#"{"type":"analyze","variants":["x"]}"#).1.code(),
            "invalid_message"
        );
    }

    #[test]
    fn non_string_variant_is_an_invalid_message() {
        assert_eq!(
            err(r#"{"type":"analyze","request_id":"r","variants":[42]}"#)
                .1
                .code(),
            "invalid_message"
        );
    }

    #[test]
    fn unknown_fields_are_rejected() {
        assert_eq!(
            err(r#"{"type":"analyze","request_id":"r","variants":["x"],"extra":1}"#)
                .1
                .code(),
            "invalid_message"
        );
    }
}
