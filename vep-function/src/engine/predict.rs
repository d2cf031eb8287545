//! Prediction: one allele's effects on every transcript within reach, as Ensembl VEP 115
//! computes them (consequence terms, codons and peptides, HGVS names), plus the records of
//! custom annotation sources, which are looked up at the same stage.
//!
//! The `Engine` (gene models, genome, custom sources, caches) lives here because this stage
//! is what it is for; `load` builds it from files or an index, `scan` runs an allele over the
//! transcripts, `per_transcript` judges one transcript, and `effects` holds the result.

pub mod codon;
pub mod consequence;
pub mod custom;
pub mod effects;
mod engine;
mod error;
pub mod hgvs_name;
mod input_context;
mod load;
mod per_transcript;
mod scan;
mod sequence_cache;
mod terminal_codons;
mod transcript_sequence;

pub use self::{
    engine::Engine,
    error::AnnotateError,
    load::{LoadError, ModelFile, BUNDLED_SETS},
    per_transcript::UPSTREAM_DOWNSTREAM_DISTANCE,
};
