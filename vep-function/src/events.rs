//! The CloudEvent contract (see `eventing/schemas/` at the repository root): event types,
//! extensions and data shapes. The SDK is used only here and in `http`/`sink`.

mod codec;
mod overrides;

pub use codec::{decode_submitted, encode_result, routing_of, EventError};
pub use overrides::{CeOverrides, OverridesError};

use serde::{Deserialize, Serialize};

pub const SUBMITTED_TYPE: &str = "dev.genomics.variants.submitted.v1";
pub const ANNOTATED_TYPE: &str = "dev.genomics.variants.annotated.v1";
pub const FAILED_TYPE: &str = "dev.genomics.analysis.failed.v1";

pub const SUBMITTED_SCHEMA: &str = "urn:genomics:schemas:variants-submitted:v1";
pub const ANNOTATED_SCHEMA: &str = "urn:genomics:schemas:variants-annotated:v1";
pub const FAILED_SCHEMA: &str = "urn:genomics:schemas:analysis-failed:v1";

pub const EXT_SESSION: &str = "sessionid";
pub const EXT_ANALYSIS: &str = "analysisid";
pub const EXT_PARTITION: &str = "partitionkey";

/// Upper bound on variants in one submitted event: larger analyses are chunked by the gateway.
pub const MAX_VARIANTS_PER_EVENT: usize = 10_000;

/// Data of a `variants.submitted` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submitted {
    pub analysis_id: String,
    pub session_id: String,
    pub request_id: String,
    pub chunk_index: u32,
    pub chunk_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_index: Option<u64>,
    pub variants: Vec<String>,
}

/// The routing attributes every event of one analysis chunk carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub analysis_id: String,
    pub session_id: String,
    pub chunk_index: u32,
    pub chunk_count: u32,
    pub variant_count: usize,
}

/// One submitted variant that could not be annotated, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantError {
    pub input: String,
    pub input_index: u64,
    /// Stable snake_case code, e.g. `reference_mismatch`, `unparsable`, `not_annotated`.
    pub code: String,
    pub message: String,
}

/// Which backend produced the annotations, recorded in every result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnotatorInfo {
    pub backend: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assembly: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gene_models: Option<String>,
    /// The reference the built-in engine has loaded (absent for the Ensembl REST backend).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<ReferenceInfo>,
}

/// Which reference is loaded: what the page shows next to the connection status, and what
/// an error about a variant outside it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceInfo {
    pub assembly: String,
    /// `ensembl`, `refseq`, `bundled` (the regions shipped with the function) or `custom`.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    pub transcripts: u64,
    /// What the reference covers when it is not a whole genome (`21:24.99-26.00 Mb, ...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions: Option<String>,
}

/// Data of a `variants.annotated` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotated {
    pub analysis_id: String,
    pub session_id: String,
    pub chunk_index: u32,
    pub chunk_count: u32,
    pub variant_count: usize,
    /// VEP REST JSON objects, each with `input_index` added.
    pub annotations: Vec<serde_json::Value>,
    pub errors: Vec<VariantError>,
    pub annotator: AnnotatorInfo,
}

/// Data of an `analysis.failed` event: a chunk that could not be processed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failed {
    pub analysis_id: String,
    pub session_id: String,
    pub chunk_index: u32,
    pub chunk_count: u32,
    pub variant_count: usize,
    pub code: String,
    pub message: String,
    pub retryable: bool,
}

/// What the function answers for one submitted event.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Annotated(Annotated),
    Failed(Failed),
}
