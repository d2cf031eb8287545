//! The contract between the gateway and vep-function, in one place: the CloudEvents they
//! exchange ([`event`]), their byte budget ([`budget`]), the typed annotation those events
//! carry ([`annotation`]) and its compact encoding ([`wire`]), the output
//! formats both write ([`output`]: VEP JSON, VCF with CSQ, VEP's TSV), how an event is
//! delivered to the Broker or `K_SINK` ([`delivery`]), how events are authenticated
//! ([`signing`]), the body of every HTTP error ([`ErrorBody`]), where settings come from
//! ([`config`]) and the custom annotation sources both are configured with ([`custom`]).

pub mod annotation;
pub mod budget;
pub mod config;
pub mod custom;
pub mod delivery;
pub mod event;
pub mod output;
pub mod signing;
pub mod wire;

mod error_body;

pub use error_body::ErrorBody;
