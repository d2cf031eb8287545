//! Reading an uploaded VCF (plain or gzip, told apart by its magic bytes) line by line into
//! the analysis' spool: header lines to `header.vcf`, data lines to `records.vcf`. Memory is
//! one line at a time whatever the file's size. Structural problems are typed errors naming
//! the line; what only the annotator can judge (alleles, contigs) comes back per variant.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

use super::chunks::Chunker;
use super::ranges::ChunkStarts;

/// Longest line accepted (a VCF line with many samples can be long; the variant itself
/// is its first five columns).
pub const MAX_LINE_BYTES: u64 = 16 * 1024 * 1024;
/// The annotator's limit on one variant string (CHROM POS ID REF ALT).
pub const MAX_VARIANT_CHARS: usize = 10_000;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum LineError {
    #[error("expected at least 5 tab-separated columns (CHROM POS ID REF ALT), found {0}")]
    TooFewColumns(usize),
    #[error("{0} is empty")]
    EmptyField(&'static str),
    #[error("POS {0:?} is not a positive integer")]
    InvalidPosition(String),
    #[error("the variant columns are longer than {MAX_VARIANT_CHARS} characters")]
    VariantTooLong,
    #[error("the line is longer than {MAX_LINE_BYTES} bytes")]
    LineTooLong,
    #[error("the line is not UTF-8 text")]
    NotText,
    #[error("a header line after the first record")]
    LateHeader,
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("line {line}: {error}")]
    InvalidLine { line: u64, error: LineError },
    #[error("the upload holds no variant records")]
    Empty,
    #[error("the upload holds more than {0} variants")]
    TooManyVariants(u64),
    #[error("the upload is larger than {0} bytes")]
    TooLarge(u64),
    #[error("line {line}: the upload could not be read (corrupt gzip?): {reason}")]
    Unreadable { line: u64, reason: String },
    #[error("the VCF header has more than {0} lines")]
    HeaderTooManyLines(u64),
    #[error("the VCF header is larger than {0} bytes")]
    HeaderTooLarge(u64),
    #[error("the upload sent nothing for {0} s; send the body without pauses")]
    Stalled(u64),
    #[error("the upload was not whole after {0} s")]
    TooSlow(u64),
    #[error("the upload could not be stored: {0}")]
    Spool(String),
}

impl UploadError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidLine { .. } => "invalid_vcf",
            Self::Empty => "empty_upload",
            Self::TooManyVariants(_) => "too_many_variants",
            Self::TooLarge(_) => "upload_too_large",
            Self::Unreadable { .. } => "unreadable_upload",
            Self::HeaderTooManyLines(_) | Self::HeaderTooLarge(_) => "header_too_large",
            Self::Stalled(_) | Self::TooSlow(_) => "upload_timeout",
            Self::Spool(_) => "internal",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    pub max_bytes: u64,
    pub max_variants: u64,
    /// The header (`#` lines) as decompressed: a few KB of gzip can expand to hundreds of
    /// MB of `##` lines, which every VCF download would then stream back.
    pub max_header_lines: u64,
    pub max_header_bytes: u64,
}

/// What a parsed upload holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub variants: u64,
    pub header_lines: u64,
    /// How its variants are cut into submitted events (by count and bytes).
    pub chunks: ChunkStarts,
}

/// The variant string the annotator gets for a data line: its first five columns.
pub fn variant_of(line: &str) -> &str {
    match line.match_indices('\t').nth(4) {
        Some((i, _)) => &line[..i],
        None => line,
    }
}

/// Checks one data line; `Ok` means the annotator can be given [`variant_of`] it.
pub fn check_record(line: &str) -> Result<(), LineError> {
    let cols: Vec<&str> = line.splitn(6, '\t').collect();
    if cols.len() < 5 {
        return Err(LineError::TooFewColumns(cols.len()));
    }
    for (i, name) in [(0, "CHROM"), (3, "REF"), (4, "ALT")] {
        if cols[i].trim().is_empty() {
            return Err(LineError::EmptyField(name));
        }
    }
    match cols[1].parse::<u64>() {
        Ok(p) if p > 0 => {}
        _ => {
            return Err(LineError::InvalidPosition(
                cols[1].chars().take(40).collect(),
            ))
        }
    }
    if variant_of(line).len() > MAX_VARIANT_CHARS {
        return Err(LineError::VariantTooLong);
    }
    Ok(())
}

/// Wraps `source`, decompressing it if it starts with the gzip magic bytes.
fn open<'a>(mut source: impl Read + 'a) -> io::Result<Box<dyn BufRead + 'a>> {
    let mut magic = [0u8; 2];
    let mut n = 0;
    while n < 2 {
        match source.read(&mut magic[n..])? {
            0 => break,
            k => n += k,
        }
    }
    let whole = io::Cursor::new(magic[..n].to_vec()).chain(source);
    Ok(if n == 2 && magic == GZIP_MAGIC {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(whole)))
    } else {
        Box::new(BufReader::new(whole))
    })
}

/// Parses an upload as it arrives into `dir/header.vcf` and `dir/records.vcf`, cutting its
/// variants into chunks with `chunker` on the way.
pub fn parse(
    source: impl Read,
    dir: &Path,
    limits: UploadLimits,
    mut chunker: Chunker,
) -> Result<Parsed, UploadError> {
    let spool = |e: io::Error| UploadError::Spool(e.to_string());
    let mut input = open(source).map_err(|e| UploadError::Unreadable {
        line: 1,
        reason: e.to_string(),
    })?;
    let mut header = BufWriter::new(File::create(dir.join("header.vcf")).map_err(spool)?);
    let mut records = BufWriter::new(File::create(dir.join("records.vcf")).map_err(spool)?);
    let (mut variants, mut header_lines) = (0u64, 0u64);
    let mut header_bytes = 0u64;
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let mut total = 0u64;
    loop {
        buf.clear();
        line_no += 1;
        let n = (&mut input)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| UploadError::Unreadable {
                line: line_no,
                reason: e.to_string(),
            })?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > limits.max_bytes {
            return Err(UploadError::TooLarge(limits.max_bytes));
        }
        let invalid = |error| UploadError::InvalidLine {
            line: line_no,
            error,
        };
        if n as u64 > MAX_LINE_BYTES {
            return Err(invalid(LineError::LineTooLong));
        }
        let text = std::str::from_utf8(&buf).map_err(|_| invalid(LineError::NotText))?;
        let line = text.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with('#') {
            if variants > 0 {
                return Err(invalid(LineError::LateHeader));
            }
            header_lines += 1;
            header_bytes += line.len() as u64 + 1;
            if header_lines > limits.max_header_lines {
                return Err(UploadError::HeaderTooManyLines(limits.max_header_lines));
            }
            if header_bytes > limits.max_header_bytes {
                return Err(UploadError::HeaderTooLarge(limits.max_header_bytes));
            }
            writeln!(header, "{line}").map_err(spool)?;
            continue;
        }
        check_record(line).map_err(invalid)?;
        variants += 1;
        if variants > limits.max_variants {
            return Err(UploadError::TooManyVariants(limits.max_variants));
        }
        chunker.push(variant_of(line));
        writeln!(records, "{line}").map_err(spool)?;
    }
    if variants == 0 {
        return Err(UploadError::Empty);
    }
    header.flush().map_err(spool)?;
    records.flush().map_err(spool)?;
    Ok(Parsed {
        variants,
        header_lines,
        chunks: chunker.finish(),
    })
}

#[cfg(test)]
mod tests;

/// A blocking [`Read`] over the request body's chunks as the HTTP handler forwards them:
/// the parser runs on a blocking thread while the upload is still arriving.
pub struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<actix_web::web::Bytes>,
    current: actix_web::web::Bytes,
}

impl ChannelReader {
    pub fn new(rx: tokio::sync::mpsc::Receiver<actix_web::web::Bytes>) -> Self {
        Self {
            rx,
            current: actix_web::web::Bytes::new(),
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(b) => self.current = b,
                // The sender is dropped at the end of the body.
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}
