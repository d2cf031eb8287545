//! WebSocket protocol v1: the JSON text frames exchanged with browsers (see PROTOCOL.md).

mod decode;

pub use decode::{decode, DecodeError, Limits};

use contract::annotation::VariantAnnotation;
pub use contract::event::VariantError;
use serde::Serialize;

pub const PROTOCOL_VERSION: u32 = 1;

/// A request from the browser, after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    Analyze {
        request_id: String,
        variants: Vec<String>,
        /// W3C trace context from the page, carried into the CloudEvents and back.
        traceparent: Option<String>,
    },
    /// Reattach to an earlier session and replay the frames after `last_seen`; needs the
    /// session's `resume_secret`.
    Resume {
        session_id: String,
        resume_secret: Option<String>,
        last_seen: Option<String>,
    },
    /// Application-level keep-alive: browsers cannot send WebSocket ping frames.
    Ping,
}

/// The reference the annotator serves, as configured (`REFERENCE_*`), shown by the page next
/// to the connection status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    pub assembly: String,
    /// `ensembl`, `refseq`, `bundled` or `custom`.
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcripts: Option<u64>,
    /// What a partial reference covers (the bundled regions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regions: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Session {
        session_id: String,
        /// The credential that lets its holder resume the session or attach uploads to it;
        /// sent once, here.
        resume_secret: String,
        protocol: u32,
        max_variants: usize,
        max_frame_bytes: usize,
        /// Absent when the gateway is not told which reference the function has loaded.
        /// Boxed: the other messages stay small.
        #[serde(skip_serializing_if = "Option::is_none")]
        reference: Option<Box<Reference>>,
    },
    Accepted {
        request_id: String,
        analysis_id: String,
        variant_count: usize,
        chunk_count: usize,
    },
    Result {
        analysis_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
        chunk_index: u64,
        annotations: Vec<VariantAnnotation>,
        errors: Vec<VariantError>,
    },
    Error {
        #[serde(skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        analysis_id: Option<String>,
        /// Set when inputs of a chunk failed: the range `first_index .. first_index +
        /// variant_count` when given, else every input of the chunk no `result` answered.
        #[serde(skip_serializing_if = "Option::is_none")]
        chunk_index: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        first_index: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        variant_count: Option<u64>,
        code: String,
        message: String,
    },
    /// Variants of the analysis that have a result or an error so far, out of `total`;
    /// sent after each chunk but the last (then `complete` follows). Never decreases.
    Progress {
        analysis_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
        done: u64,
        total: u64,
    },
    Complete {
        analysis_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
        annotated: u64,
        failed: u64,
    },
    /// Answer to `resume`: frames after `last_seen` follow, each with its `cursor`.
    Resumed {
        session_id: String,
    },
    Pong,
}

impl ServerMessage {
    /// An error about a request as a whole (nothing was submitted).
    pub fn request_error(request_id: Option<String>, code: &str, message: String) -> Self {
        Self::Error {
            request_id,
            analysis_id: None,
            chunk_index: None,
            first_index: None,
            variant_count: None,
            code: code.to_owned(),
            message,
        }
    }

    pub fn to_json(&self) -> String {
        // Serialising these plain structs cannot fail (string keys, no non-finite floats
        // are produced by serde_json::Value); fall back to a typed error frame regardless.
        serde_json::to_string(self).unwrap_or_else(|e| {
            format!(
                r#"{{"type":"error","code":"internal","message":"could not encode reply: {}"}}"#,
                e.to_string().replace('"', "'")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn result_omits_absent_request_id() {
        let annotation = json!({"input": "x", "input_index": 0, "seq_region_name": "21",
                                "start": 1, "end": 1, "allele_string": "C/T",
                                "most_severe_consequence": "intergenic_variant"});
        let msg = ServerMessage::Result {
            analysis_id: "a1".into(),
            request_id: None,
            chunk_index: 0,
            annotations: vec![VariantAnnotation::try_from(annotation.clone()).expect("valid")],
            errors: vec![],
        };
        let v: Value = serde_json::from_str(&msg.to_json()).expect("json");
        assert_eq!(
            v,
            json!({"type":"result","analysis_id":"a1","chunk_index":0,
                   "annotations":[annotation],"errors":[]})
        );
    }

    #[test]
    fn session_names_the_configured_reference_and_omits_it_when_unknown() {
        let reference = Reference {
            assembly: "GRCh38".into(),
            source: "ensembl".into(),
            release: Some("115".into()),
            transcripts: Some(252_913),
            regions: None,
        };
        let hello = |reference| ServerMessage::Session {
            session_id: "s".into(),
            resume_secret: "secret".into(),
            protocol: PROTOCOL_VERSION,
            max_variants: 1000,
            max_frame_bytes: 1024,
            reference,
        };
        let v: Value =
            serde_json::from_str(&hello(Some(Box::new(reference))).to_json()).expect("json");
        assert_eq!(
            v["reference"],
            json!({"assembly":"GRCh38","source":"ensembl","release":"115","transcripts":252913})
        );
        let v: Value = serde_json::from_str(&hello(None).to_json()).expect("json");
        assert!(v.get("reference").is_none(), "{v}");
    }

    #[test]
    fn complete_carries_counts() {
        let msg = ServerMessage::Complete {
            analysis_id: "a1".into(),
            request_id: Some("r1".into()),
            annotated: 2,
            failed: 1,
        };
        let v: Value = serde_json::from_str(&msg.to_json()).expect("json");
        assert_eq!(
            v,
            json!({"type":"complete","analysis_id":"a1","request_id":"r1","annotated":2,"failed":1})
        );
    }
}
