//! The built-in annotation engine: Ensembl-VEP-compatible consequences and HGVS computed
//! offline from gene models (GFF3/GTF/RefSeq) and a reference FASTA.
//!
//! Grouped by job, each stage using only the ones above it in this list (`engine-layers.txt`,
//! checked by the repository's `scripts/module_graph.py --under engine --skip-tests`, run by
//! `tests/manifests/test_module_graph.py`):
//! - `lanes`: per-core storage shared by the stages below (no lock shared between threads);
//! - `models`: what is loaded (gene model files, the index, transcripts, the reference genome);
//! - `input`: submitted text -> VCF-style variants (VCF, Ensembl format, HGVS) and alleles;
//! - `predict`: an allele's effects on every transcript nearby (consequences, HGVS names,
//!   custom annotation sources), and the `Engine` that holds models, genome and sources;
//! - `output`: effects -> the contract's typed annotation (`VariantAnnotation`).

pub mod input;
mod lanes;
pub mod models;
pub mod output;
pub mod predict;
