//! Building an [`Engine`] from gene model files in any dialect and indexed FASTA files, or
//! from the bundled data sets.

use std::path::{Path, PathBuf};

use super::engine::Engine;
use crate::engine::models::gene_models::GeneModels;
use crate::engine::models::genome::{Genome, GenomeError};
use crate::engine::models::index::{open_index, IndexError};
use crate::engine::models::loaders::{gff3, gtf, refseq, ModelFileError};
use crate::engine::models::transcript::Transcript;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot load gene models from {path}: {source}")]
    GeneModels {
        path: PathBuf,
        source: ModelFileError,
    },
    #[error("cannot load GTF gene models from {path}: {source}")]
    Gtf {
        path: PathBuf,
        source: ModelFileError,
    },
    #[error("cannot load RefSeq gene models from {path}: {source}")]
    RefSeq {
        path: PathBuf,
        source: ModelFileError,
    },
    #[error(transparent)]
    Genome(#[from] GenomeError),
    #[error("no gene models or no reference given")]
    Empty,
}

/// A gene model file and the dialect it is read with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelFile {
    /// Ensembl GFF3.
    Gff3(PathBuf),
    /// Ensembl GTF.
    Gtf(PathBuf),
    /// NCBI RefSeq GFF3 (`NC_` seqids).
    RefSeq(PathBuf),
}

impl ModelFile {
    pub fn path(&self) -> &Path {
        match self {
            ModelFile::Gff3(path) | ModelFile::Gtf(path) | ModelFile::RefSeq(path) => path,
        }
    }

    /// The file's transcripts, read in its dialect (the engine and `vep-function index` both
    /// read gene models through this).
    pub fn read(&self) -> Result<Vec<Transcript>, ModelFileError> {
        match self {
            ModelFile::Gff3(path) => gff3::read_path(path),
            ModelFile::Gtf(path) => gtf::read_path(path),
            ModelFile::RefSeq(path) => refseq::read_path(path),
        }
    }

    /// `source` as the engine's load error for this file.
    fn load_error(&self, source: ModelFileError) -> LoadError {
        match self.clone() {
            ModelFile::Gff3(path) => LoadError::GeneModels { path, source },
            ModelFile::Gtf(path) => LoadError::Gtf { path, source },
            ModelFile::RefSeq(path) => LoadError::RefSeq { path, source },
        }
    }
}

/// The data sets bundled under `data/`: GRCh38 chr21 test region and BRCA1.
pub const BUNDLED_SETS: [(&str, &str); 2] = [
    (
        "chr21/Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz",
        "chr21/GRCh38.chr21.vep_test_region.fa.gz",
    ),
    (
        "brca1/BRCA1.GRCh38.refseq_cdot.gff3.gz",
        "brca1/GRCh38.chr17.brca1_region.fa.gz",
    ),
];

impl Engine {
    /// Loads GFF3 gene models and indexed FASTA files (GRCh38).
    pub fn load(gff3s: &[PathBuf], fastas: &[PathBuf]) -> Result<Self, LoadError> {
        let files: Vec<ModelFile> = gff3s.iter().cloned().map(ModelFile::Gff3).collect();
        Self::load_files(&files, fastas)
    }

    /// Loads gene models in any supported dialect and indexed FASTA files (GRCh38).
    pub fn load_files(files: &[ModelFile], fastas: &[PathBuf]) -> Result<Self, LoadError> {
        if files.is_empty() || fastas.is_empty() {
            return Err(LoadError::Empty);
        }
        let mut transcripts = Vec::new();
        for file in files {
            transcripts.extend(file.read().map_err(|e| file.load_error(e))?);
        }
        let models = GeneModels::new(transcripts);
        let mut genome = Genome::new();
        for path in fastas {
            genome.add_fasta(path)?;
        }
        Ok(Self::new(models, genome, "GRCh38"))
    }

    /// Loads the bundled data sets from a `data/` directory laid out like this crate's.
    pub fn load_bundled(dir: &Path) -> Result<Self, LoadError> {
        let gff3s: Vec<PathBuf> = BUNDLED_SETS.iter().map(|(g, _)| dir.join(g)).collect();
        let fastas: Vec<PathBuf> = BUNDLED_SETS.iter().map(|(_, f)| dir.join(f)).collect();
        Self::load(&gff3s, &fastas)
    }

    /// Loads a prebuilt index (`vep-function index`, `VEP_INDEX`): gene models decoded per
    /// contig on first use, the reference it recorded, its assembly.
    pub fn load_index(path: &Path) -> Result<Self, IndexError> {
        let opened = open_index(path)?;
        Ok(Self::new(opened.models, opened.genome, opened.assembly))
    }
}
