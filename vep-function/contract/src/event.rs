//! The CloudEvents the gateway and the function exchange (`eventing/schemas/` at the
//! repository root): types, schema ids, extension names, the data of each event and the id
//! rule. One set of names for both sides; the SDK stays in each service's `events` module.
//!
//! Data structs declare their fields in alphabetical order: serialised with `serde_json`
//! they give the same bytes as the `serde_json::Value` objects the services sent before
//! (whose keys are sorted), so the wire format did not change when they became typed.

use serde::{Deserialize, Serialize};

use crate::annotation::VariantAnnotation;

pub const TYPE_SUBMITTED: &str = "dev.genomics.variants.submitted.v1";
pub const TYPE_ANNOTATED: &str = "dev.genomics.variants.annotated.v1";
pub const TYPE_FAILED: &str = "dev.genomics.analysis.failed.v1";

pub const SCHEMA_SUBMITTED: &str = "urn:genomics:schemas:variants-submitted:v1";
pub const SCHEMA_ANNOTATED: &str = "urn:genomics:schemas:variants-annotated:v1";
pub const SCHEMA_FAILED: &str = "urn:genomics:schemas:analysis-failed:v1";

/// Extension attributes every event of an analysis carries.
pub const EXT_SESSION: &str = "sessionid";
pub const EXT_ANALYSIS: &str = "analysisid";
/// Kafka partition key (Knative's `partitionkey` extension): one analysis, one partition.
pub const EXT_PARTITION: &str = "partitionkey";
/// W3C trace context (CloudEvents distributed-tracing extension).
pub const EXT_TRACEPARENT: &str = "traceparent";
pub const EXT_TRACESTATE: &str = "tracestate";

/// Upper bound on variants in one submitted event: larger analyses are chunked by the gateway.
pub const MAX_VARIANTS_PER_EVENT: usize = 10_000;

/// Whether `id` is a valid session or analysis id: 1-64 ASCII letters, digits or `-` (the
/// schema's pattern). Ids become Redis keys and directory names, so nothing else passes.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Data of a `variants.submitted` event: one chunk of an analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submitted {
    pub analysis_id: String,
    pub chunk_count: u32,
    pub chunk_index: u32,
    /// Index within the analysis of this chunk's first variant (0 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_index: Option<u64>,
    pub request_id: String,
    pub session_id: String,
    pub variants: Vec<String>,
}

/// One submitted variant that could not be annotated, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantError {
    /// Stable snake_case code, e.g. `reference_mismatch`, `unparsable`, `not_annotated`.
    pub code: String,
    pub input: String,
    pub input_index: u64,
    pub message: String,
}

/// Which backend annotated a chunk (`VEP_BACKEND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Backend {
    /// The built-in engine.
    #[serde(rename = "local")]
    Local,
    /// The Ensembl VEP REST API.
    #[serde(rename = "ensembl")]
    Ensembl,
    /// The engine, with Ensembl for what it does not cover and for extra fields.
    #[serde(rename = "local+ensembl")]
    LocalEnsembl,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Local => "local",
            Backend::Ensembl => "ensembl",
            Backend::LocalEnsembl => "local+ensembl",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which backend produced the annotations, recorded in every result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnotatorInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assembly: Option<String>,
    pub backend: Backend,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gene_models: Option<String>,
    /// The reference the built-in engine has loaded (absent for the Ensembl REST backend).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<ReferenceInfo>,
    pub version: String,
}

/// Which reference is loaded: what the page shows next to the connection status, and what
/// an error about a variant outside it names. Fields in key order, like every event struct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceInfo {
    pub assembly: String,
    /// What the reference covers when it is not a whole genome (`21:24.99-26.00 Mb, ...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// `ensembl`, `refseq`, `bundled` (the regions shipped with the function) or `custom`.
    pub source: String,
    pub transcripts: u64,
}

/// Data of a `variants.annotated` event: the result of one submitted chunk. Every submitted
/// index appears in `errors` (exactly once) or in `annotations` (one per ALT allele or called
/// variant), never in both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotated {
    pub analysis_id: String,
    /// Each with its `input_index`.
    pub annotations: Vec<VariantAnnotation>,
    pub annotator: AnnotatorInfo,
    pub chunk_count: u32,
    pub chunk_index: u32,
    pub errors: Vec<VariantError>,
    pub session_id: String,
    /// Submitted variant strings in the chunk.
    pub variant_count: u64,
}

/// Data of an `analysis.failed` event: a chunk that could not be processed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failed {
    pub analysis_id: String,
    pub chunk_count: u32,
    pub chunk_index: u32,
    pub code: String,
    pub message: String,
    pub retryable: bool,
    pub session_id: String,
    pub variant_count: u64,
}

/// The routing facts every event of one analysis chunk carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub analysis_id: String,
    pub session_id: String,
    pub chunk_index: u32,
    pub chunk_count: u32,
    pub variant_count: u64,
}

impl Failed {
    /// A chunk that failed as a whole, reported to the user rather than dropped.
    pub fn of(chunk: Chunk, code: &str, message: String, retryable: bool) -> Self {
        Self {
            analysis_id: chunk.analysis_id,
            chunk_count: chunk.chunk_count,
            chunk_index: chunk.chunk_index,
            code: code.to_owned(),
            message,
            retryable,
            session_id: chunk.session_id,
            variant_count: chunk.variant_count,
        }
    }
}

#[cfg(test)]
mod tests;
