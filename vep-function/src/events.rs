//! The CloudEvent side of the function: decoding submitted events and encoding results
//! (`codec`, the only place the SDK's event type is built or read besides `http`/`sink`),
//! and splitting a chunk's result into parts within the byte budget (`parts`).
//! The contract itself (types, schema ids, extensions, data shapes) is `contract::event`,
//! shared with the gateway.

mod codec;
mod overrides;
mod parts;

pub use codec::{decode_submitted, routing_of, Emitter, EncodeError, EventError, PartEvent};
pub use contract::event::{
    Annotated, AnnotatorInfo, Backend, Chunk, Failed, ReferenceInfo, Submitted, VariantError,
    EXT_ANALYSIS, EXT_PARTITION, EXT_SESSION, MAX_VARIANTS_PER_EVENT, TYPE_ANNOTATED, TYPE_FAILED,
    TYPE_SUBMITTED,
};
pub use overrides::{CeOverrides, OverridesError};
pub use parts::{pack, Packed, Part, RESULT_TOO_LARGE};

/// What the function answers for one submitted event.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Annotated(Annotated),
    Failed(Failed),
}
