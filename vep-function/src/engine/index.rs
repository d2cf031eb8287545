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
/// Bump on any change of [`IndexContents`] or of the types inside it, or of their meaning.
/// 2: a FASTA under the index's directory is recorded relative to it.
pub const FORMAT_VERSION: u32 = 2;

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

/// A reference FASTA the index points at, with its size to notice a replaced file. The path
/// is relative to the index's directory when the FASTA lies under it (so a reference
/// directory can be moved or mounted elsewhere whole), else absolute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FastaRef {
    pub path: PathBuf,
    pub size: u64,
}

/// The same layout as [`IndexContents`], borrowed, so writing does not copy the transcripts.
#[derive(Serialize)]
struct IndexContentsRef<'a> {
    assembly: &'a str,
    fastas: &'a [FastaRef],
    transcripts: &'a [Transcript],
}

/// `fastas` with the paths under `dir` made relative to it.
fn relative_to(dir: &Path, fastas: &[FastaRef]) -> Vec<FastaRef> {
    fastas
        .iter()
        .map(|f| FastaRef {
            path: f
                .path
                .strip_prefix(dir)
                .map_or_else(|_| f.path.clone(), Path::to_path_buf),
            size: f.size,
        })
        .collect()
}

/// The directory relative FASTA paths of the index at `path` are resolved against.
fn index_dir(path: &Path) -> Result<PathBuf, IndexError> {
    let absolute = std::fs::canonicalize(path).map_err(|source| IndexError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(absolute.parent().map(Path::to_path_buf).unwrap_or_default())
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
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = std::fs::canonicalize(parent).map_err(write_err)?;
    let fastas = relative_to(&dir, &contents.fastas);
    let view = IndexContentsRef {
        assembly: &contents.assembly,
        fastas: &fastas,
        transcripts: &contents.transcripts,
    };
    let payload = postcard::to_stdvec(&view).map_err(|e| IndexError::Corrupt {
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

/// Reads and checks an index file. FASTA paths are as recorded (see [`FastaRef`]).
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
    let dir = index_dir(path)?;
    let mut genome = Genome::new();
    for fasta in &contents.fastas {
        let fasta_path = dir.join(&fasta.path);
        let found = std::fs::metadata(&fasta_path)
            .map_err(|source| IndexError::Read {
                path: fasta_path.clone(),
                source,
            })?
            .len();
        if found != fasta.size {
            return Err(IndexError::StaleReference {
                fasta: fasta_path,
                found,
                expected: fasta.size,
            });
        }
        genome.add_fasta(&fasta_path)?;
    }
    let models = GeneModels::new(contents.transcripts);
    Ok(Engine::new(models, genome, contents.assembly))
}

#[cfg(test)]
mod tests;
