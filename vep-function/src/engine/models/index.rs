//! The prebuilt annotation index: every transcript of the gene models plus where the
//! reference FASTA files are, in one compact binary file. Parsing a whole-genome GFF3 takes
//! tens of seconds; decoding all of this takes half a second, and a start-up decodes only its
//! directory: a contig's transcripts are read on first use, the name tables on the first
//! look-up by name (`GeneModels::lazy`). That is what a Knative scale-from-zero start needs.
//!
//! Layout: `MAGIC` (8 bytes), format version (u32 little endian), directory length and its
//! CRC-32 (u32 LE each), the postcard-encoded [`Directory`], then the sections it points at:
//! one postcard `Vec<Transcript>` per contig (sorted by span, the order `GeneModels` holds)
//! and the `Names` tables, each with its own CRC-32, checked when it is read. A file
//! written by another format version is refused, never misread; a truncated one at load.

mod file;

use std::{
    fs::File,
    io::{self, BufWriter, Write},
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use self::file::{Directory, IndexFile, Section};
use super::gene_models::{group_by_contig, GeneModels, ModelSource};
use super::genome::{Genome, GenomeError};
use super::transcript::Transcript;

pub const MAGIC: &[u8; 8] = b"VEPIDX\x00\x01";
/// Bump on any change of the layout, of [`Directory`] or of the types inside the sections,
/// or of their meaning. 1: one postcard `IndexContents`, decoded whole at start-up; 2: the
/// directory and per-contig sections; 3: a FASTA under the index's directory is recorded
/// relative to it (so a reference directory can be renamed into place).
pub const FORMAT_VERSION: u32 = 3;

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
    let encode_err = |e: postcard::Error| IndexError::Corrupt {
        path: path.to_path_buf(),
        reason: format!("cannot encode: {e}"),
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = std::fs::canonicalize(parent).map_err(write_err)?;
    let (contigs, names) = group_by_contig(&contents.transcripts);
    let mut data = Vec::new();
    let mut entries = Vec::with_capacity(contigs.len());
    for (chrom, positions) in &contigs {
        let sorted: Vec<&Transcript> = positions
            .iter()
            .map(|&i| &contents.transcripts[i])
            .collect();
        let bytes = postcard::to_stdvec(&sorted).map_err(encode_err)?;
        entries.push(file::ContigEntry {
            chrom: chrom.clone(),
            transcripts: sorted.len() as u64,
            section: Section::append(&mut data, &bytes),
        });
    }
    let names = Section::append(&mut data, &postcard::to_stdvec(&names).map_err(encode_err)?);
    let directory = Directory {
        assembly: contents.assembly.clone(),
        fastas: relative_to(&dir, &contents.fastas),
        contigs: entries,
        names,
        data_len: data.len() as u64,
    };
    let directory = postcard::to_stdvec(&directory).map_err(encode_err)?;
    let tmp = path.with_extension("tmp");
    {
        let mut out = BufWriter::new(File::create(&tmp).map_err(write_err)?);
        out.write_all(&file::header(&directory))
            .map_err(write_err)?;
        out.write_all(&directory).map_err(write_err)?;
        out.write_all(&data).map_err(write_err)?;
        out.flush().map_err(write_err)?;
    }
    std::fs::rename(&tmp, path).map_err(write_err)
}

/// Reads and checks a whole index file (every section decoded: tools and tests; start-up
/// uses [`open_index`]). Transcripts come contig by contig, each contig's in genomic order.
/// FASTA paths are as recorded (see [`FastaRef`]).
pub fn read_index(path: &Path) -> Result<IndexContents, IndexError> {
    let index = IndexFile::open(path)?;
    let mut transcripts = Vec::new();
    for i in 0..index.directory().contigs.len() {
        transcripts.extend(index.contig(i).map_err(|e| IndexError::Corrupt {
            path: path.to_path_buf(),
            reason: e.0,
        })?);
    }
    index.names().map_err(|e| IndexError::Corrupt {
        path: path.to_path_buf(),
        reason: e.0,
    })?;
    let directory = index.directory();
    Ok(IndexContents {
        assembly: directory.assembly.clone(),
        fastas: directory.fastas.clone(),
        transcripts,
    })
}

/// What an opened index holds: gene models decoded per contig on first use, and the reference
/// it was built against.
#[derive(Debug)]
pub struct OpenedIndex {
    pub models: GeneModels,
    pub genome: Genome,
    pub assembly: String,
}

/// Opens an index: its directory now, the reference opened from the recorded FASTA paths (only
/// their `.fai`/`.gzi` are read now), each contig's transcripts when first asked for
/// (`predict::Engine::load_index` makes an engine of it).
pub fn open_index(path: &Path) -> Result<OpenedIndex, IndexError> {
    let index = IndexFile::open(path)?;
    let genome = open_reference(&index_dir(path)?, &index.directory().fastas)?;
    let assembly = index.directory().assembly.clone();
    let contigs: Vec<(String, usize)> = index
        .directory()
        .contigs
        .iter()
        .map(|c| (c.chrom.clone(), c.transcripts as usize))
        .collect();
    let models = GeneModels::lazy(contigs, Box::new(index));
    Ok(OpenedIndex {
        models,
        genome,
        assembly,
    })
}

/// The reference the index points at (relative paths resolved against `dir`, the index's
/// directory), each FASTA checked against the size it had.
fn open_reference(dir: &Path, fastas: &[FastaRef]) -> Result<Genome, IndexError> {
    let mut genome = Genome::new();
    for fasta in fastas {
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
    Ok(genome)
}

#[cfg(test)]
mod tests;
