//! The spool of REST analyses: one directory per analysis under `RESULTS_DIR`, so a 100k
//! variant analysis' results wait on disk for their download, not in gateway RAM.
//!
//! `<root>/<analysis_id>/`: `header.vcf` (the upload's header lines), `records.vcf` (its data
//! lines, in order), `meta.json` ([`SpoolMeta`]), `parts/<first>-<count>.part` (an accepted
//! part's data as the function sent it, compact, never re-encoded) or `.err` (the error
//! `{code, message}` its inputs got), each written once the store accepted the range: ranges
//! never overlap, so every input is in at most one file; `complete.json` (final counts).
//! Directories older than the stream TTL are removed on the next upload.
//!
//! With several replicas, results arrive at any replica: `RESULTS_DIR` must then be a volume
//! all replicas share (see API.md); each file is written whole and renamed into place.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::ranges::Span;
use super::record::{Frames, Ingested, Record, Spooled};
use crate::telemetry::redact;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpoolMeta {
    pub analysis_id: String,
    pub request_id: String,
    pub variant_count: u64,
    pub chunk_count: u64,
    /// SHA-256 (hex) of the analysis' download token; absent: nobody may read it.
    #[serde(default)]
    pub token_sha256: Option<String>,
    /// The WebSocket session the upload was attached to: its secret also grants reading.
    #[serde(default)]
    pub session_id: Option<String>,
    /// Which frames its session gets (`Frames::as_str`).
    #[serde(default)]
    pub frames: String,
}

/// Where a range's outcome is spooled: `parts/<first, 20 digits>-<count>.<part|err>`, so a
/// directory listing sorts by first input.
fn part_file(dir: &Path, span: Span, kind: &str) -> PathBuf {
    dir.join("parts")
        .join(format!("{:020}-{}.{kind}", span.first, span.count))
}

/// The ranges spooled in `dir`, sorted by first input: (range, file, whether it is a part).
pub fn spooled_ranges(dir: &Path) -> io::Result<Vec<(Span, PathBuf, bool)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir.join("parts"))? {
        let path = entry?.path();
        let (Some(stem), Some(ext)) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        let Some((first, count)) = stem.split_once('-') else {
            continue;
        };
        let (Ok(first), Ok(count)) = (first.parse(), count.parse()) else {
            continue;
        };
        if matches!(ext, "part" | "err") {
            out.push((Span::new(first, count), path.clone(), ext == "part"));
        }
    }
    out.sort_unstable_by_key(|(span, _, _)| span.first);
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completed {
    pub annotated: u64,
    pub failed: u64,
}

#[derive(Clone)]
pub struct Spool {
    root: Arc<PathBuf>,
    ttl: Duration,
}

/// Analysis ids are our UUIDs; anything else must not become a path (the contract's id rule).
pub use contract::event::valid_id;

/// Writes `bytes` to `path` through a temporary file and a rename: readers see all or nothing.
fn write_whole(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

impl Spool {
    pub fn new(root: PathBuf, ttl: Duration) -> Self {
        Self {
            root: Arc::new(root),
            ttl,
        }
    }

    /// The analysis' directory (`None` for an id that is not one of ours).
    pub fn dir(&self, analysis_id: &str) -> Option<PathBuf> {
        valid_id(analysis_id).then(|| self.root.join(analysis_id))
    }

    /// Creates the directory of a new analysis (and its `parts/`).
    pub fn create(&self, analysis_id: &str) -> io::Result<PathBuf> {
        let dir = self
            .dir(analysis_id)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "invalid analysis id"))?;
        std::fs::create_dir_all(dir.join("parts"))?;
        Ok(dir)
    }

    pub fn remove(&self, analysis_id: &str) {
        if let Some(dir) = self.dir(analysis_id) {
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                tracing::warn!(analysis = %redact(analysis_id), error = %e, "could not remove an analysis spool");
            }
        }
    }

    pub fn write_meta(&self, dir: &Path, meta: &SpoolMeta) -> io::Result<()> {
        let bytes = serde_json::to_vec(meta).map_err(io::Error::other)?;
        write_whole(&dir.join("meta.json"), &bytes)
    }

    pub fn meta(&self, analysis_id: &str) -> Option<SpoolMeta> {
        let bytes = std::fs::read(self.dir(analysis_id)?.join("meta.json")).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub fn completed(&self, analysis_id: &str) -> Option<Completed> {
        let bytes = std::fs::read(self.dir(analysis_id)?.join("complete.json")).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Whether the analysis' session gets `result` frames (so an accepted part's frame is
    /// worth writing): any analysis without a spool (WebSocket ones), and uploads whose
    /// session asked for every frame.
    pub fn wants_result_frames(&self, analysis_id: &str) -> bool {
        match self.meta(analysis_id) {
            None => true,
            Some(meta) => Frames::parse(Some(&meta.frames)) == Frames::All,
        }
    }

    /// Spools an accepted record if its analysis has a spool (a REST analysis): one file per
    /// range it filled. A write that fails is logged; the download then reports those
    /// variants as `result_unavailable` instead of dropping them.
    pub async fn chunk(&self, record: &Record, ingested: &Ingested) {
        let Some(dir) = self.dir(&record.analysis_id) else {
            return;
        };
        // One stat, inline: most chunks belong to WebSocket analyses, which have no spool,
        // and need no trip to a blocking thread.
        if !dir.join("meta.json").exists() {
            return;
        }
        let Ingested::Appended {
            completed,
            annotated,
            failed,
            filled,
        } = ingested
        else {
            return;
        };
        let files: Vec<(PathBuf, Arc<[u8]>)> = match &record.spooled {
            Spooled::Part(data) => filled
                .iter()
                .map(|span| (part_file(&dir, *span, "part"), data.clone()))
                .collect(),
            Spooled::Error { code, message } => {
                let body: Arc<[u8]> = serde_json::to_vec(&serde_json::json!({
                    "code": code,
                    "message": message,
                }))
                .unwrap_or_default()
                .into();
                filled
                    .iter()
                    .map(|span| (part_file(&dir, *span, "err"), body.clone()))
                    .collect()
            }
        };
        let completed = completed.then_some(Completed {
            annotated: *annotated,
            failed: *failed,
        });
        let index = record.chunk_index;
        let written = tokio::task::spawn_blocking(move || -> io::Result<()> {
            for (path, bytes) in files {
                write_whole(&path, &bytes)?;
            }
            if let Some(c) = completed {
                let bytes = serde_json::to_vec(&c).map_err(io::Error::other)?;
                write_whole(&dir.join("complete.json"), &bytes)?;
            }
            Ok(())
        })
        .await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::error!(analysis = %redact(&record.analysis_id), chunk_index = index, error = %e, "could not spool a chunk")
            }
            Err(e) => {
                tracing::error!(analysis = %redact(&record.analysis_id), error = %e, "spool task failed")
            }
        }
    }

    /// Removes analysis directories not modified for the TTL.
    pub fn sweep(&self) {
        let Ok(entries) = std::fs::read_dir(self.root.as_path()) else {
            return;
        };
        let now = SystemTime::now();
        for entry in entries.flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > self.ttl);
            if old {
                if let Err(e) = std::fs::remove_dir_all(entry.path()) {
                    tracing::warn!(error = %e, "could not remove an expired analysis spool");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_become_directories() {
        let spool = Spool::new(PathBuf::from("/r"), Duration::from_secs(1));
        assert_eq!(spool.dir("5d1c-aa"), Some(PathBuf::from("/r/5d1c-aa")));
        assert_eq!(spool.dir("../etc"), None);
        assert_eq!(spool.dir(""), None);
        assert_eq!(spool.dir("a/b"), None);
    }
}
