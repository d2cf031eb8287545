//! vep-function: a Knative function that annotates genetic variants.
//!
//! The HTTP/CloudEvents binding (`http`; results go to `K_SINK` through
//! `contract::delivery`, the gateway's sender too) is thin; the event contract (`events`), the
//! chunk processing (`service`) and the annotation engine (`engine`) know nothing of HTTP.

pub mod backend;
pub mod cli;
pub mod config;
pub mod driver;
pub mod engine;
pub mod events;
pub mod http;
pub mod reference;
pub mod scoring;
pub mod sequence;
pub mod service;
pub mod sink;
