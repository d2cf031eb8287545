//! The engine's output type: the typed Ensembl VEP REST annotation of the shared contract
//! (`contract::annotation`), where its fields, JSON forms and pass-through rules live.

pub use contract::annotation::{IntergenicConsequence, TranscriptConsequence, VariantAnnotation};
