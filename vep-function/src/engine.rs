//! The built-in annotation engine: Ensembl-VEP-compatible consequences and HGVS computed
//! offline from gene models (GFF3/GTF) and a reference FASTA.

pub mod annotate;
pub mod codon;
pub mod consequence;
pub mod custom;
pub mod effects;
pub mod genome;
pub mod gff3;
pub mod gtf;
pub mod hgvs;
pub mod index;
mod lanes;
pub mod models;
pub mod notation;
pub mod output;
pub mod refseq;
pub mod text_file;
pub mod transcript;
pub mod variant;
