//! Reference sequence by random access: one or more indexed FASTA files (plain + `.fai`, or
//! bgzip + `.fai` + `.gzi`), read lazily in fixed-size chunks so start-up costs only the index.
//!
//! Each FASTA has a few readers, each with its own chunk cache behind its own lock (`lanes`),
//! one per core: threads annotating side by side (`annotate --threads`, concurrent events)
//! each keep to their lane instead of taking turns at one lock and bouncing one cache
//! between cores (one shared lane cost 20% more CPU on two threads).

mod alias;
mod chunk_cache;

pub use self::alias::canonical_name;

use std::{
    fs::File,
    io,
    path::{Path, PathBuf},
};

use rustc_hash::FxHashMap;

use noodles::{
    core::{Position, Region},
    fasta,
};

use self::chunk_cache::ChunkCache;
use crate::engine::lanes::Lanes;

/// Bases per cached chunk: large enough that one variant's transcript fits in a few chunks,
/// small enough that a cold fetch decodes only a handful of bgzf blocks.
const CHUNK_LEN: u64 = 1 << 15;
/// Chunks kept per FASTA and lane (LRU): bounds memory at about 8 MiB per file and core.
const CACHED_CHUNKS: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum GenomeError {
    #[error("cannot open reference {path}: {source}")]
    Open { path: PathBuf, source: io::Error },
    #[error("unknown contig {0}")]
    UnknownContig(String),
    #[error("region {chrom}:{start}-{end} is outside the contig (length {length})")]
    OutOfBounds {
        chrom: String,
        start: u64,
        end: u64,
        length: u64,
    },
    #[error("cannot read reference at {chrom}:{start}-{end}: {source}")]
    Read {
        chrom: String,
        start: u64,
        end: u64,
        source: io::Error,
    },
}

type Reader = fasta::io::IndexedReader<fasta::io::BufReader<File>>;

struct Contig {
    /// Name as written in the FASTA (`chr21`, `21`, ...).
    fasta_name: String,
    length: u64,
    source: usize,
}

struct Source {
    path: PathBuf,
    lanes: Lanes<(Reader, ChunkCache)>,
}

/// All loaded reference sequences, addressed by canonical contig name (`21`, `X`, `MT`).
#[derive(Default)]
pub struct Genome {
    sources: Vec<Source>,
    /// FxHash: looked up for every reference read (keys come from the FASTA index).
    contigs: FxHashMap<String, Contig>,
}

impl std::fmt::Debug for Genome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Genome")
            .field("contigs", &self.contigs.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Genome {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an indexed FASTA. Reads only its `.fai` (and `.gzi` for bgzip).
    pub fn add_fasta(&mut self, path: &Path) -> Result<(), GenomeError> {
        let open_err = |source| GenomeError::Open {
            path: path.to_path_buf(),
            source,
        };
        let reader = open_reader(path).map_err(open_err)?;
        let source = self.sources.len();
        for record in reader.index().as_ref() {
            let fasta_name = String::from_utf8_lossy(record.name()).into_owned();
            self.contigs.insert(
                canonical_name(&fasta_name),
                Contig {
                    fasta_name,
                    length: record.length(),
                    source,
                },
            );
        }
        self.sources.push(Source {
            path: path.to_path_buf(),
            lanes: Lanes::new((reader, ChunkCache::new(CACHED_CHUNKS))),
        });
        Ok(())
    }

    /// Canonical name of a contig we hold, accepting aliases (`chr21`, `NC_000021.9`).
    pub fn resolve(&self, name: &str) -> Option<String> {
        let canonical = canonical_name(name);
        self.contigs.contains_key(&canonical).then_some(canonical)
    }

    pub fn contig_length(&self, chrom: &str) -> Option<u64> {
        self.contigs.get(&canonical_name(chrom)).map(|c| c.length)
    }

    pub fn contig_names(&self) -> impl Iterator<Item = &str> {
        self.contigs.keys().map(String::as_str)
    }

    /// Bases `start..=end` (1-based), upper case.
    pub fn sequence(&self, chrom: &str, start: u64, end: u64) -> Result<Vec<u8>, GenomeError> {
        let mut out = Vec::with_capacity((end + 1).saturating_sub(start) as usize);
        self.sequence_into(chrom, start, end, &mut out)?;
        Ok(out)
    }

    /// Appends bases `start..=end` (1-based, upper case) to `out`.
    pub fn sequence_into(
        &self,
        chrom: &str,
        start: u64,
        end: u64,
        out: &mut Vec<u8>,
    ) -> Result<(), GenomeError> {
        let contig = self
            .contigs
            .get(chrom)
            .or_else(|| self.contigs.get(&canonical_name(chrom)))
            .ok_or_else(|| GenomeError::UnknownContig(chrom.to_string()))?;
        if start == 0 || end > contig.length || start > end + 1 {
            return Err(GenomeError::OutOfBounds {
                chrom: chrom.to_string(),
                start,
                end,
                length: contig.length,
            });
        }
        if start > end {
            return Ok(());
        }
        let source = &self.sources[contig.source];
        let mut guard = source.lanes.lock(|| {
            let reader = open_reader(&source.path).map_err(|e| GenomeError::Read {
                chrom: chrom.to_string(),
                start,
                end,
                source: e,
            })?;
            Ok::<_, GenomeError>((reader, ChunkCache::new(CACHED_CHUNKS)))
        })?;
        let (reader, cache) = &mut *guard;
        let first = (start - 1) / CHUNK_LEN;
        let last = (end - 1) / CHUNK_LEN;
        for chunk in first..=last {
            let chunk_start = chunk * CHUNK_LEN + 1;
            let chunk_end = ((chunk + 1) * CHUNK_LEN).min(contig.length);
            let slot = match cache.slot(contig.source_key(), chunk) {
                Some(slot) => slot,
                None => {
                    let bases =
                        read_region(reader, contig, chunk_start, chunk_end).map_err(|source| {
                            GenomeError::Read {
                                chrom: chrom.to_string(),
                                start,
                                end,
                                source,
                            }
                        })?;
                    cache.insert(contig.source_key(), chunk, bases)
                }
            };
            let bases = cache.bases(slot);
            let from = start.max(chunk_start) - chunk_start;
            let to = end.min(chunk_end) - chunk_start;
            out.extend_from_slice(&bases[from as usize..=to as usize]);
        }
        Ok(())
    }
}

impl Contig {
    fn source_key(&self) -> &str {
        &self.fasta_name
    }
}

fn open_reader(path: &Path) -> io::Result<Reader> {
    fasta::io::indexed_reader::Builder::default().build_from_path(path)
}

fn read_region(reader: &mut Reader, contig: &Contig, start: u64, end: u64) -> io::Result<Vec<u8>> {
    let invalid = || io::Error::new(io::ErrorKind::InvalidInput, "invalid position");
    let start = Position::try_from(start as usize).map_err(|_| invalid())?;
    let end = Position::try_from(end as usize).map_err(|_| invalid())?;
    let region = Region::new(contig.fasta_name.as_str(), start..=end);
    let record = reader.query(&region)?;
    let mut bases = record.sequence().as_ref().to_vec();
    bases.make_ascii_uppercase();
    Ok(bases)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chr21() -> Genome {
        let mut genome = Genome::new();
        genome
            .add_fasta(Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/data/chr21/GRCh38.chr21.vep_test_region.fa.gz"
            )))
            .unwrap();
        genome
    }

    #[test]
    fn reads_the_reference_base_of_a_known_dbsnp_variant() {
        // rs142513484 (VEP's own test): REF C at 21:25585733.
        let genome = chr21();
        assert_eq!(genome.sequence("21", 25585733, 25585733).unwrap(), b"C");
        assert_eq!(genome.sequence("chr21", 25585733, 25585733).unwrap(), b"C");
    }

    #[test]
    fn reads_across_chunk_boundaries_consistently() {
        let genome = chr21();
        let boundary = 25_000_000 / CHUNK_LEN * CHUNK_LEN;
        let whole = genome.sequence("21", boundary - 5, boundary + 5).unwrap();
        let left = genome.sequence("21", boundary - 5, boundary).unwrap();
        let right = genome.sequence("21", boundary + 1, boundary + 5).unwrap();
        assert_eq!(whole, [left, right].concat());
        assert_eq!(whole.len(), 11);
    }

    #[test]
    fn rejects_unknown_contig_and_out_of_bounds() {
        let genome = chr21();
        assert!(matches!(
            genome.sequence("22", 1, 1),
            Err(GenomeError::UnknownContig(_))
        ));
        assert!(matches!(
            genome.sequence("21", 46709983, 46709984),
            Err(GenomeError::OutOfBounds { .. })
        ));
    }
}
