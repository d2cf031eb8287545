//! The index file on disk: header and directory read at open, sections read (and checked)
//! when the models ask for them. Sections are read with positioned reads on one open file, so
//! threads need no lock and a file renamed over ours (a rebuilt index) does not change what
//! this process reads.

use std::{
    fs::File,
    os::unix::fs::FileExt,
    path::{Path, PathBuf},
};

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::{FastaRef, IndexError, FORMAT_VERSION, MAGIC};
use crate::engine::models::gene_models::{ModelSource, ModelsError, Names};
use crate::engine::models::transcript::Transcript;

/// Magic, format version, directory length, directory CRC-32.
pub(super) const HEADER_LEN: usize = MAGIC.len() + 12;

/// What a start-up reads: everything but the transcripts and names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Directory {
    pub assembly: String,
    pub fastas: Vec<FastaRef>,
    /// In the numbering order of the models (`group_by_contig`).
    pub contigs: Vec<ContigEntry>,
    pub names: Section,
    /// Bytes after the directory: a truncated or extended file is refused at open.
    pub data_len: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ContigEntry {
    pub chrom: String,
    pub transcripts: u64,
    pub section: Section,
}

/// A byte range after the directory, with the CRC-32 of its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Section {
    pub offset: u64,
    pub len: u64,
    pub crc32: u32,
}

impl Section {
    /// Appends `bytes` to `data` and describes where they went.
    pub fn append(data: &mut Vec<u8>, bytes: &[u8]) -> Self {
        let section = Self {
            offset: data.len() as u64,
            len: bytes.len() as u64,
            crc32: crc32fast::hash(bytes),
        };
        data.extend_from_slice(bytes);
        section
    }
}

/// The header for an encoded directory.
pub(super) fn header(directory: &[u8]) -> Vec<u8> {
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    header.extend_from_slice(&(directory.len() as u32).to_le_bytes());
    header.extend_from_slice(&crc32fast::hash(directory).to_le_bytes());
    header
}

/// An open index: its directory decoded, its sections on disk.
#[derive(Debug)]
pub(super) struct IndexFile {
    path: PathBuf,
    file: File,
    directory: Directory,
    /// File offset of the first byte after the directory.
    data_start: u64,
}

impl IndexFile {
    pub fn open(path: &Path) -> Result<Self, IndexError> {
        let read_err = |source| IndexError::Read {
            path: path.to_path_buf(),
            source,
        };
        let corrupt = |reason: String| IndexError::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        let file = File::open(path).map_err(read_err)?;
        let file_len = file.metadata().map_err(read_err)?.len();
        let mut header = [0u8; HEADER_LEN];
        let got = read_up_to(&file, &mut header).map_err(read_err)?;
        if got < MAGIC.len() + 4 || &header[..MAGIC.len()] != MAGIC {
            return Err(IndexError::NotAnIndex {
                path: path.to_path_buf(),
            });
        }
        let word = |at: usize| {
            u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
        };
        let found = word(MAGIC.len());
        if found != FORMAT_VERSION {
            return Err(IndexError::Version {
                path: path.to_path_buf(),
                found,
                expected: FORMAT_VERSION,
            });
        }
        if got < HEADER_LEN {
            return Err(corrupt(format!("{file_len} bytes: truncated header")));
        }
        let (directory_len, directory_crc) = (word(MAGIC.len() + 4), word(MAGIC.len() + 8));
        let data_start = (HEADER_LEN as u64) + u64::from(directory_len);
        if data_start > file_len {
            return Err(corrupt(format!(
                "{file_len} bytes, shorter than its {directory_len}-byte directory"
            )));
        }
        let mut bytes = vec![0u8; directory_len as usize];
        file.read_exact_at(&mut bytes, HEADER_LEN as u64)
            .map_err(read_err)?;
        if crc32fast::hash(&bytes) != directory_crc {
            return Err(corrupt("directory checksum mismatch".into()));
        }
        let directory: Directory =
            decode_all(&bytes).map_err(|e| corrupt(format!("directory: {e}")))?;
        if data_start + directory.data_len != file_len {
            return Err(corrupt(format!(
                "{file_len} bytes, its directory says {} (truncated or appended to)",
                data_start + directory.data_len
            )));
        }
        let sections = directory.contigs.iter().map(|c| c.section);
        if let Some(s) = sections.chain([directory.names]).find(|s| {
            s.offset
                .checked_add(s.len)
                .is_none_or(|end| end > directory.data_len)
        }) {
            return Err(corrupt(format!(
                "a section ({} bytes at {}) lies outside the file",
                s.len, s.offset
            )));
        }
        Ok(Self {
            path: path.to_path_buf(),
            file,
            directory,
            data_start,
        })
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Reads, checks and decodes one section; `what` names it in errors.
    fn section<T: DeserializeOwned>(&self, section: Section, what: &str) -> Result<T, ModelsError> {
        let fail = |reason: String| {
            ModelsError(format!("index {}, {what}: {reason}", self.path.display()))
        };
        let mut bytes = vec![0u8; section.len as usize];
        self.file
            .read_exact_at(&mut bytes, self.data_start + section.offset)
            .map_err(|e| fail(e.to_string()))?;
        if crc32fast::hash(&bytes) != section.crc32 {
            return Err(fail(
                "checksum mismatch (the file changed or is damaged)".into(),
            ));
        }
        decode_all(&bytes).map_err(fail)
    }
}

impl ModelSource for IndexFile {
    fn contig(&self, i: usize) -> Result<Vec<Transcript>, ModelsError> {
        let entry = self
            .directory
            .contigs
            .get(i)
            .ok_or_else(|| ModelsError(format!("no contig number {i} in the index")))?;
        self.section(entry.section, &format!("contig {}", entry.chrom))
    }

    fn names(&self) -> Result<Names, ModelsError> {
        self.section(self.directory.names, "name tables")
    }
}

/// Postcard-decodes `bytes`, all of them.
fn decode_all<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let (value, rest) = postcard::take_from_bytes::<T>(bytes).map_err(|e| e.to_string())?;
    if !rest.is_empty() {
        return Err(format!("{} trailing bytes", rest.len()));
    }
    Ok(value)
}

/// Fills `buf` from the start of `file` as far as the file goes; returns the bytes read.
fn read_up_to(file: &File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], got as u64)? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}
