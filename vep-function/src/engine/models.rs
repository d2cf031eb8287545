//! What the engine loads before it annotates: gene model files (`loaders`), the prebuilt
//! index (`index`), the transcripts they hold (`transcript`, `gene_models`) and the reference
//! sequence (`genome`). Nothing here knows about variants.

pub mod gene_models;
pub mod genome;
pub mod index;
pub mod loaders;
pub mod transcript;
