//! The gateway's side of the CloudEvent contract (`eventing/schemas/*.json`, typed in
//! `contract::event`). The SDK stays behind this module: the rest of the gateway sees only
//! typed structs.

mod inbound;
mod record;
mod submitted;

pub use inbound::{decode_inbound, Annotated, Failed, Inbound, InboundError, InboundKind};
pub use record::record_of;
pub use submitted::{build_submitted, build_within, variant_bytes, Submission, SubmitError};

/// The event contract's settings, both ways (`Config::events`): the byte budget every event
/// keeps to (`EVENT_MAX_BYTES`: submitted events are cut to fit, and no result is larger)
/// and the key submissions are signed and results verified with (`EVENT_SIGNING_KEY_FILE`,
/// unless `EVENT_SIGNING_INSECURE=true` says to do neither).
#[derive(Debug, Clone)]
pub struct EventSettings {
    pub budget: contract::budget::Budget,
    pub signing: std::sync::Arc<contract::signing::Signing>,
}

/// What the broker accepts: an opaque, ready-to-send event.
pub type OutboundEvent = cloudevents::Event;

/// The contract's names, shared with vep-function (`contract::event`).
pub use contract::event::{
    EXT_ANALYSIS, EXT_PARTITION, EXT_SESSION, EXT_TRACEPARENT, SCHEMA_SUBMITTED, TYPE_ANNOTATED,
    TYPE_FAILED, TYPE_SUBMITTED,
};
