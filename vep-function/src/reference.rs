//! Whole-genome references: `vep-function reference fetch` turns a publisher's release files
//! into a directory the function serves with `VEP_INDEX=DIR` (layout in [`manifest`]).
//!
//! Sources and the layouts they publish, as checked (paths relative to `--base-url`):
//!
//! - **Ensembl GRCh38** (`https://ftp.ensembl.org/pub/`):
//!   `release-N/gff3/homo_sapiens/Homo_sapiens.GRCh38.N.gff3.gz` and
//!   `release-N/fasta/homo_sapiens/dna/Homo_sapiens.GRCh38.dna.primary_assembly.fa.gz`, each
//!   directory with a `CHECKSUMS`. The primary assembly (no haplotypes/patches) is what
//!   Ensembl VEP's own installer picks (Ensembl/ensembl-vep `INSTALL.pl`, `fasta()`: the
//!   `primary_assembly.fa.gz` file, else `toplevel`); GFF3 exists from release 81
//!   (SACGF/variantgrid `genes/scripts/ensembl/download_ensembl_gene_annotation*.sh`).
//! - **Ensembl GRCh37** (same host, `grch37/` tree): `grch37/release-N/gff3/homo_sapiens/`
//!   and `grch37/release-N/fasta/homo_sapiens/dna/Homo_sapiens.GRCh37.dna.primary_assembly.fa.gz`.
//!   The gene set is frozen at 87, so releases after 87 carry `Homo_sapiens.GRCh37.87.gff3.gz`
//!   (populationgenomics/ClinvArbitration `bcftools_data/README.txt`: release-113 holds
//!   `Homo_sapiens.GRCh37.87.gff3.gz`); GFF3 exists there from release 82 (SACGF/variantgrid).
//! - **NCBI RefSeq GRCh38** (`https://ftp.ncbi.nlm.nih.gov/`), annotation releases of
//!   GCF_000001405.40 (GRCh38.p14): `refseq/H_sapiens/annotation/annotation_releases/<R>/
//!   GCF_000001405.40_GRCh38.p14/` with `..._genomic.gff.gz`, `..._genomic.fna.gz` and
//!   `md5checksums.txt`; `<R>` is `110` or `GCF_000001405.40-RS_2024_08`
//!   (deepgenomics/GenomeKit `data-src/hg38.p14/NCBI/hg38.p14_RS_2024_08/fetch.sh`). The FASTA
//!   names sequences by accession (`NC_000017.11`), which the engine aliases to `17`.
//!
//! Checksums: Ensembl's `CHECKSUMS` is written by its production pipeline running `sum` on
//! each file (Ensembl/ensembl-production `Pipeline/Common/ChksumGenerator.pm`: `sum $target`,
//! then the file name; the release README: "We use the sum command for calculating
//! checksums"); VEP's installer checks downloads the same way (`INSTALL.pl`, `cache()`).
//! NCBI's `md5checksums.txt` is `md5sum` output, checkable with `md5sum -c`
//! (NAL-i5K/Organism_Onboarding `block_check_checksum/README.md`). See [`checksum`].
//!
//! The published FASTA is plain gzip; it is re-compressed to BGZF with `.fai` and `.gzi`
//! ([`genome`]), as VEP's installer does with `gzip -dc | bgzip`.

pub mod checksum;
pub mod clinvar;
mod download;
pub mod error;
pub mod fetch;
mod genome;
pub mod layout;
pub mod manifest;
mod progress;

use std::path::{Path, PathBuf};

pub use download::Settings as DownloadSettings;
pub use error::FetchError;

use crate::engine::annotate::Engine;
use crate::engine::index::{load_index, IndexError};
use crate::events::ReferenceInfo;
use manifest::{Manifest, ManifestError, INDEX};

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("index {path}: {source}")]
    Index { path: PathBuf, source: IndexError },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

/// Loads what `VEP_INDEX` names: a reference directory (`DIR/index.vepidx` described by
/// `DIR/reference.json`) or, as before, an index file.
pub fn open(path: &Path) -> Result<(Engine, ReferenceInfo), OpenError> {
    let (index, manifest) = if path.is_dir() {
        (path.join(INDEX), Some(Manifest::read(path)?))
    } else {
        (path.to_path_buf(), None)
    };
    let engine = load_index(&index).map_err(|source| OpenError::Index {
        path: index.clone(),
        source,
    })?;
    let info = match manifest {
        Some(m) => ReferenceInfo {
            transcripts: engine.models().len() as u64,
            ..m.reference_info()
        },
        None => ReferenceInfo {
            assembly: engine.assembly().to_string(),
            source: "custom".into(),
            release: Some(format!("index {}", index.display())),
            transcripts: engine.models().len() as u64,
            regions: None,
        },
    };
    Ok((engine, info))
}
