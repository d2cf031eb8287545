//! The built-in annotation engine: Ensembl-VEP-compatible consequences and HGVS computed
//! offline from gene models (GFF3/GTF) and a reference FASTA.

pub mod transcript;
pub mod variant;
