//! The CloudEvent side of the function: decoding submitted events and encoding results
//! (`codec`, the only place the SDK's event type is built or read besides `http`/`sink`).
//! The contract itself (types, schema ids, extensions, data shapes) is `contract::event`,
//! shared with the gateway.

mod codec;
mod overrides;

pub use codec::{decode_submitted, encode_result, routing_of, EventError};
pub use contract::event::{
    Annotated, AnnotatorInfo, Backend, Chunk, Failed, ReferenceInfo, Submitted, VariantError,
    EXT_ANALYSIS, EXT_PARTITION, EXT_SESSION, MAX_VARIANTS_PER_EVENT, TYPE_ANNOTATED, TYPE_FAILED,
    TYPE_SUBMITTED,
};
pub use overrides::{CeOverrides, OverridesError};

/// What the function answers for one submitted event.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Annotated(Annotated),
    Failed(Failed),
}
