//! The published genome FASTA (plain gzip, which cannot be read at random) re-compressed to
//! BGZF, with the `.fai` (sequence offsets, as `samtools faidx` writes them) and the `.gzi`
//! (compressed/uncompressed block offsets) that random access needs. One streaming pass: the
//! decompressed text goes both to the BGZF writer and through the FASTA indexer, so memory
//! stays flat whatever the genome size.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::num::NonZero;
use std::path::{Path, PathBuf};

use noodles::bgzf::{self, gzi};
use noodles::fasta::{self, fai};

use super::error::{is_disk_full, FetchError};
use super::progress::Progress;

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenomeSummary {
    pub contigs: usize,
    pub bases: u64,
}

/// `path` with `ext` appended (`genome.fa.gz` -> `genome.fa.gz.fai`).
pub fn with_suffix(path: &Path, ext: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(ext);
    PathBuf::from(name)
}

/// Re-compresses the gzip FASTA `src` into BGZF at `dst`, writing `dst.fai` and `dst.gzi`.
pub fn recompress(src: &Path, dst: &Path) -> Result<GenomeSummary, FetchError> {
    let input = File::open(src).map_err(|e| FetchError::io(src, e))?;
    let size = input.metadata().map(|m| m.len()).ok();
    let counted = Counted {
        inner: input,
        progress: Some(Progress::start("recompressing the genome to BGZF", size, 0)),
    };
    let decoder = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, counted));
    let output = File::create(dst).map_err(|e| FetchError::io(dst, e))?;
    let workers = std::thread::available_parallelism().unwrap_or(NonZero::<usize>::MIN);
    let mut writer = bgzf::io::MultithreadedWriter::with_worker_count(workers, output);
    let mut tee = Tee {
        inner: decoder,
        out: &mut writer,
        write_error: None,
    };
    let records = index_records(&mut tee);
    // After a failed write the writer has already stopped (finishing it again would panic).
    if let Some(e) = tee.write_error.take() {
        return Err(FetchError::io(dst, e));
    }
    writer.finish().map_err(|e| FetchError::io(dst, e))?;
    let records = records.map_err(|e| match e {
        IndexError::Io(e) if is_disk_full(&e) => FetchError::io(dst, e),
        IndexError::Io(e)
            if matches!(
                e.kind(),
                io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
            ) =>
        {
            FetchError::InvalidFasta {
                reason: format!("cannot decompress {}: {e}", src.display()),
            }
        }
        IndexError::Io(e) => FetchError::io(src, e),
        IndexError::Invalid(reason) => FetchError::InvalidFasta { reason },
    })?;
    if records.is_empty() {
        return Err(FetchError::InvalidFasta {
            reason: "it holds no sequence".into(),
        });
    }

    let summary = GenomeSummary {
        contigs: records.len(),
        bases: records.iter().map(|r| r.length()).sum(),
    };
    let fai_path = with_suffix(dst, ".fai");
    fai::fs::write(&fai_path, &fai::Index::from(records))
        .map_err(|e| FetchError::io(&fai_path, e))?;
    let gzi_path = with_suffix(dst, ".gzi");
    let index = block_index(dst).map_err(|e| FetchError::io(dst, e))?;
    gzi::fs::write(&gzi_path, &index).map_err(|e| FetchError::io(&gzi_path, e))?;
    Ok(summary)
}

/// Why indexing stopped: reading the text failed, or the text is not an indexable FASTA.
enum IndexError {
    Io(io::Error),
    Invalid(String),
}

fn index_records<R: Read>(source: R) -> Result<Vec<fai::Record>, IndexError> {
    let mut indexer = fasta::io::Indexer::new(BufReader::with_capacity(1 << 20, source));
    let mut records = Vec::new();
    loop {
        match indexer.index_record() {
            Ok(Some(record)) => records.push(record),
            Ok(None) => return Ok(records),
            // noodles keeps its error type private: an I/O failure is the one with a source.
            Err(e) => {
                return Err(
                    match std::error::Error::source(&e).and_then(|s| s.downcast_ref::<io::Error>())
                    {
                        Some(io) => IndexError::Io(io::Error::new(io.kind(), io.to_string())),
                        None => IndexError::Invalid(e.to_string()),
                    },
                )
            }
        }
    }
}

/// The `.gzi` of a BGZF file: (compressed, uncompressed) offset of every block but the first,
/// read from the blocks' headers (BSIZE) and trailers (ISIZE).
fn block_index(path: &Path) -> io::Result<gzi::Index> {
    let mut file = BufReader::new(File::open(path)?);
    let end = file.seek(SeekFrom::End(0))?;
    let (mut compressed, mut uncompressed) = (0u64, 0u64);
    let mut offsets = Vec::new();
    while compressed < end {
        file.seek(SeekFrom::Start(compressed))?;
        let mut header = [0u8; 18];
        file.read_exact(&mut header)?;
        // gzip magic, deflate, FEXTRA; one 6-byte extra field `BC` holding BSIZE.
        if header[..4] != [0x1f, 0x8b, 8, 4] || header[12..14] != *b"BC" {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not BGZF at byte {compressed}", path.display()),
            ));
        }
        let block = u64::from(u16::from_le_bytes([header[16], header[17]])) + 1;
        file.seek(SeekFrom::Start(compressed + block - 4))?;
        let mut isize = [0u8; 4];
        file.read_exact(&mut isize)?;
        let size = u64::from(u32::from_le_bytes(isize));
        if compressed > 0 && size > 0 {
            offsets.push((compressed, uncompressed));
        }
        compressed += block;
        uncompressed += size;
    }
    Ok(gzi::Index::from(offsets))
}

/// Counts compressed bytes read, for progress.
struct Counted {
    inner: File,
    progress: Option<Progress>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(progress) = &mut self.progress {
            progress.advance(n as u64);
        }
        Ok(n)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        if let Some(progress) = self.progress.take() {
            progress.finish();
        }
    }
}

/// Passes what it reads on to `out`. A write failure ends the read with that error, kept in
/// `write_error` so the caller can tell a full disk from a bad FASTA.
struct Tee<'w, R, W> {
    inner: R,
    out: &'w mut W,
    write_error: Option<io::Error>,
}

impl<R: Read, W: Write> Read for Tee<'_, R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Err(e) = self.out.write_all(&buf[..n]) {
            let reported = io::Error::new(e.kind(), e.to_string());
            self.write_error = Some(e);
            return Err(reported);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("vep-genome-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn gzip(path: &Path, text: &[u8]) {
        let mut encoder = GzEncoder::new(File::create(path).unwrap(), Compression::default());
        encoder.write_all(text).unwrap();
        encoder.finish().unwrap();
    }

    #[test]
    fn recompressed_genome_reads_back_at_random_through_the_engine() {
        let dir = scratch("roundtrip");
        let src = dir.join("in.fa.gz");
        // Two contigs, the second long enough to span several BGZF blocks.
        let mut text = b">1 dna:chromosome\nACGTACGTAC\nGT\n>NC_000017.11 Homo sapiens\n".to_vec();
        let line = b"ACGTTGCAACGTTGCAACGTTGCAACGTTGCAACGTTGCAACGTTGCAACGTTGCAACGT\n";
        for _ in 0..4000 {
            text.extend_from_slice(line);
        }
        gzip(&src, &text);
        let dst = dir.join("genome.fa.gz");
        let summary = recompress(&src, &dst).unwrap();
        assert_eq!(
            summary,
            GenomeSummary {
                contigs: 2,
                bases: 12 + 4000 * 60
            }
        );

        let index = gzi::fs::read(with_suffix(&dst, ".gzi")).unwrap();
        assert!(!index.as_ref().is_empty(), "several blocks, so gzi entries");
        let mut genome = crate::engine::models::genome::Genome::new();
        genome.add_fasta(&dst).unwrap();
        assert_eq!(genome.sequence("1", 9, 12).unwrap(), b"ACGT");
        // NC_000017.11 is an alias of 17; base 239,941 is deep in a later block.
        let pos = 3998 * 60 + 1;
        assert_eq!(genome.sequence("17", pos, pos + 3).unwrap(), b"ACGT");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn ragged_lines_are_an_invalid_fasta_not_a_panic() {
        let dir = scratch("ragged");
        let src = dir.join("in.fa.gz");
        gzip(&src, b">1\nACGT\nACGTAC\nAC\n");
        let err = recompress(&src, &dir.join("genome.fa.gz")).unwrap_err();
        assert_eq!(err.code(), "invalid_fasta", "{err}");
        gzip(&src, b"");
        let err = recompress(&src, &dir.join("genome.fa.gz")).unwrap_err();
        assert_eq!(err.code(), "invalid_fasta", "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_full_disk_while_writing_is_disk_full() {
        let dir = scratch("full");
        let src = dir.join("in.fa.gz");
        gzip(
            &src,
            &[b">1\n".as_slice(), &b"ACGT".repeat(200_000), b"\n"].concat(),
        );
        let err = recompress(&src, Path::new("/dev/full")).unwrap_err();
        assert_eq!(err.code(), "disk_full", "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
