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
/// Results in the compact encoding (`crate::wire`), one part of a chunk per event.
pub const TYPE_ANNOTATED: &str = "dev.genomics.variants.annotated.v2";
pub const TYPE_FAILED: &str = "dev.genomics.analysis.failed.v1";

pub const SCHEMA_SUBMITTED: &str = "urn:genomics:schemas:variants-submitted:v1";
pub const SCHEMA_ANNOTATED: &str = "urn:genomics:schemas:variants-annotated:v2";
pub const SCHEMA_FAILED: &str = "urn:genomics:schemas:analysis-failed:v1";

/// `datacontenttype` of submitted and failed events.
pub const CONTENT_TYPE_JSON: &str = "application/json";
/// `datacontenttype` of annotated events: the compact encoding of `crate::wire`.
pub const CONTENT_TYPE_ANNOTATED: &str = "application/vnd.genomics.variants-annotated.v2";

/// Extension attributes every event of an analysis carries.
pub const EXT_SESSION: &str = "sessionid";
pub const EXT_ANALYSIS: &str = "analysisid";
/// Kafka partition key (Knative's `partitionkey` extension): `<analysis id>:<chunk index>`
/// ([`partition_key`]), so the chunks of one upload spread over partitions and function
/// pods; the gateway's bookkeeping takes chunks and parts in any order.
pub const EXT_PARTITION: &str = "partitionkey";
/// W3C trace context (CloudEvents distributed-tracing extension).
pub const EXT_TRACEPARENT: &str = "traceparent";
pub const EXT_TRACESTATE: &str = "tracestate";

/// Upper bound on variants in one submitted event: larger analyses are chunked by the gateway.
pub const MAX_VARIANTS_PER_EVENT: usize = 10_000;

/// The `partitionkey` of every event of one chunk.
pub fn partition_key(analysis_id: &str, chunk_index: u32) -> String {
    format!("{analysis_id}:{chunk_index}")
}

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

/// One submitted variant that could not be annotated, and why; or, with `allele`, one ALT of
/// a multi-allelic line whose other ALTs were annotated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantError {
    /// The ALT allele this error is about, when the line's other ALTs have annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allele: Option<String>,
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

/// Data of a `variants.annotated` event, decoded (`crate::wire`): one part of the result of
/// one submitted chunk, covering the inputs `first_index .. first_index + variant_count`.
/// Every index of that range appears in `annotations` (one per ALT allele or called variant)
/// or in `errors`: an index with any annotation is annotated, and its errors then name the
/// ALT alleles that failed (`allele`); an index without one has exactly one error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotated {
    pub analysis_id: String,
    /// Each with its `input_index`.
    pub annotations: Vec<VariantAnnotation>,
    pub annotator: AnnotatorInfo,
    pub chunk_count: u32,
    pub chunk_index: u32,
    pub errors: Vec<VariantError>,
    /// Analysis index of the part's first input.
    pub first_index: u64,
    /// Parts of the chunk (each a contiguous range of its inputs, together all of them).
    pub part_count: u32,
    pub part_index: u32,
    pub session_id: String,
    /// Inputs in this part.
    pub variant_count: u64,
}

/// Data of an `analysis.failed` event: inputs of a chunk that could not be processed, all
/// with one cause: `first_index .. first_index + variant_count`, or the whole chunk when
/// `first_index` is absent (a part may fail after others were sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failed {
    pub analysis_id: String,
    pub chunk_count: u32,
    pub chunk_index: u32,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_index: Option<u64>,
    pub message: String,
    pub retryable: bool,
    pub session_id: String,
    pub variant_count: u64,
}

/// The routing facts every event of one analysis chunk carries, and the inputs an event
/// about it covers (`first_index`: `None` for the whole chunk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub analysis_id: String,
    pub session_id: String,
    pub chunk_index: u32,
    pub chunk_count: u32,
    pub first_index: Option<u64>,
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
            first_index: chunk.first_index,
            message,
            retryable,
            session_id: chunk.session_id,
            variant_count: chunk.variant_count,
        }
    }
}

#[cfg(test)]
mod tests;
