//! The CloudEvent contract (`eventing/schemas/*.json`). The SDK stays behind this module:
//! the rest of the gateway sees only our typed structs.

mod inbound;
mod submitted;

pub use inbound::{decode_inbound, Annotated, Failed, Inbound, InboundError, InboundKind};
pub use submitted::{build_submitted, chunk, Chunk, Submission, SubmitError};

/// What the broker accepts: an opaque, ready-to-send event.
pub type OutboundEvent = cloudevents::Event;

pub const TYPE_SUBMITTED: &str = "dev.genomics.variants.submitted.v1";
pub const TYPE_ANNOTATED: &str = "dev.genomics.variants.annotated.v1";
pub const TYPE_FAILED: &str = "dev.genomics.analysis.failed.v1";
pub const SCHEMA_SUBMITTED: &str = "urn:genomics:schemas:variants-submitted:v1";
pub const EXT_SESSION: &str = "sessionid";
pub const EXT_ANALYSIS: &str = "analysisid";
pub const EXT_PARTITION: &str = "partitionkey";
pub const EXT_TRACEPARENT: &str = "traceparent";
