//! Output: the engine's effects turned into the shared contract's typed annotation (the
//! Ensembl VEP REST shape: `contract::annotation`, where its fields, JSON forms and
//! pass-through rules live). The CSQ/TSV/JSON writers are the contract's too
//! (`contract::output`); the VCF and JSON fast paths print straight from `predict::effects`.

mod annotation;

pub use self::annotation::{IntergenicConsequence, TranscriptConsequence, VariantAnnotation};
