//! vep-function: a Knative function that annotates genetic variants.
//!
//! The HTTP/CloudEvents binding (`http`) is thin; the annotation engine (`engine`) and the
//! event contract (`events`) know nothing of HTTP.

pub mod engine;
