//! The prebuilt annotation index: every transcript of the gene models plus where the
//! reference FASTA files are, in one compact binary file. Parsing a whole-genome GFF3 takes
//! tens of seconds; decoding this takes a fraction of that, which is what a Knative
//! scale-from-zero start needs.
//!
//! Layout: `MAGIC` (8 bytes), format version (u32 little endian), then a postcard-encoded
//! [`IndexContents`]. A file written by another format version is refused, never misread.

use std::{
    fs::File,
    io::{self, BufWriter, Read, Write},
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use super::annotate::Engine;
use super::genome::{Genome, GenomeError};
use super::models::GeneModels;
use super::transcript::Transcript;

pub const MAGIC: &[u8; 8] = b"VEPIDX\x00\x01";
/// Bump on any change of [`IndexContents`] or of the types inside it.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("cannot read index {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write index {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("{path} is not a vep-function index (bad magic bytes)")]
    NotAnIndex { path: PathBuf },
    #[error("{path} has index format version {found}, this build reads version {expected}: rebuild it with `vep-function index`")]
    Version {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("index {path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "reference {fasta} changed since the index was built (size {found}, indexed {expected})"
    )]
    StaleReference {
        fasta: PathBuf,
        found: u64,
        expected: u64,
    },
    #[error(transparent)]
    Genome(#[from] GenomeError),
}

/// A reference FASTA the index points at, with its size to notice a replaced file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FastaRef {
    pub path: PathBuf,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexContents {
    pub assembly: String,
    pub fastas: Vec<FastaRef>,
    pub transcripts: Vec<Transcript>,
}

impl IndexContents {
    /// Describes `fastas` (made absolute, so the index works from any directory).
    pub fn new(
        assembly: impl Into<String>,
        fastas: &[PathBuf],
        transcripts: Vec<Transcript>,
    ) -> Result<Self, IndexError> {
        let fastas = fastas
            .iter()
            .map(|path| {
                let read_err = |source| IndexError::Read {
                    path: path.clone(),
                    source,
                };
                let absolute = std::fs::canonicalize(path).map_err(read_err)?;
                let size = std::fs::metadata(&absolute).map_err(read_err)?.len();
                Ok(FastaRef {
                    path: absolute,
                    size,
                })
            })
            .collect::<Result<_, IndexError>>()?;
        Ok(Self {
            assembly: assembly.into(),
            fastas,
            transcripts,
        })
    }
}

/// Writes `contents` to `path` (through a temporary file, so a reader never sees half).
pub fn write_index(path: &Path, contents: &IndexContents) -> Result<(), IndexError> {
    let write_err = |source| IndexError::Write {
        path: path.to_path_buf(),
        source,
    };
    let payload = postcard::to_stdvec(contents).map_err(|e| IndexError::Corrupt {
        path: path.to_path_buf(),
        reason: format!("cannot encode: {e}"),
    })?;
    let tmp = path.with_extension("tmp");
    {
        let mut out = BufWriter::new(File::create(&tmp).map_err(write_err)?);
        out.write_all(MAGIC).map_err(write_err)?;
        out.write_all(&FORMAT_VERSION.to_le_bytes())
            .map_err(write_err)?;
        out.write_all(&payload).map_err(write_err)?;
        out.flush().map_err(write_err)?;
    }
    std::fs::rename(&tmp, path).map_err(write_err)
}

/// Reads and checks an index file.
pub fn read_index(path: &Path) -> Result<IndexContents, IndexError> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|source| IndexError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    decode(path, &bytes)
}

fn decode(path: &Path, bytes: &[u8]) -> Result<IndexContents, IndexError> {
    let header = MAGIC.len() + 4;
    if bytes.len() < header || &bytes[..MAGIC.len()] != MAGIC {
        return Err(IndexError::NotAnIndex {
            path: path.to_path_buf(),
        });
    }
    let mut version = [0u8; 4];
    version.copy_from_slice(&bytes[MAGIC.len()..header]);
    let found = u32::from_le_bytes(version);
    if found != FORMAT_VERSION {
        return Err(IndexError::Version {
            path: path.to_path_buf(),
            found,
            expected: FORMAT_VERSION,
        });
    }
    let (contents, rest) =
        postcard::take_from_bytes::<IndexContents>(&bytes[header..]).map_err(|e| {
            IndexError::Corrupt {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }
        })?;
    if !rest.is_empty() {
        return Err(IndexError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("{} trailing bytes", rest.len()),
        });
    }
    Ok(contents)
}

/// Loads an index into a ready [`Engine`]: gene models from the file, the reference opened
/// from the recorded FASTA paths (only their `.fai`/`.gzi` are read now).
pub fn load_index(path: &Path) -> Result<Engine, IndexError> {
    let contents = read_index(path)?;
    let mut genome = Genome::new();
    for fasta in &contents.fastas {
        let found = std::fs::metadata(&fasta.path)
            .map_err(|source| IndexError::Read {
                path: fasta.path.clone(),
                source,
            })?
            .len();
        if found != fasta.size {
            return Err(IndexError::StaleReference {
                fasta: fasta.path.clone(),
                found,
                expected: fasta.size,
            });
        }
        genome.add_fasta(&fasta.path)?;
    }
    let models = GeneModels::new(contents.transcripts);
    Ok(Engine::new(models, genome, contents.assembly))
}

#[cfg(test)]
mod tests;
