//! Why a reference could not be fetched or built: one typed error per failure the operator can
//! act on, each with a stable snake_case code.

use std::io;
use std::path::{Path, PathBuf};

use super::layout::LayoutError;
use crate::cli::index::BuildError;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Layout(#[from] LayoutError),
    #[error("invalid base URL {url:?}: {reason}")]
    BaseUrl { url: String, reason: String },
    #[error("{url} does not exist on the server (HTTP 404): check --release and --base-url")]
    NotFound { url: String },
    #[error("{url} answered HTTP {status}")]
    HttpStatus { url: String, status: u16 },
    #[error("cannot reach {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("{url} sent nothing for {seconds} s (stalled server)")]
    Stalled { url: String, seconds: u64 },
    #[error("{url} ended after {received} of {expected} bytes (truncated body); rerun to resume")]
    Truncated {
        url: String,
        received: u64,
        expected: String,
    },
    #[error("{url} is larger than {limit} bytes: not a checksum listing")]
    ListingTooLarge { url: String, limit: usize },
    #[error("{listing} has no checksum for {name}")]
    ChecksumMissing { name: String, listing: String },
    #[error("{name} does not match its published checksum ({algorithm}: published {published}, downloaded file has {found}); the download was removed, rerun to fetch it again")]
    ChecksumMismatch {
        name: String,
        algorithm: String,
        published: String,
        found: String,
    },
    #[error("no space left on the device holding {path}")]
    DiskFull { path: PathBuf },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("the genome FASTA is not usable: {reason}")]
    InvalidFasta { reason: String },
    #[error("building the index: {0}")]
    Index(#[from] BuildError),
    #[error("{dir} already holds something else ({found}); pass --force to replace it")]
    Exists { dir: PathBuf, found: String },
    #[error("{name} cannot be served: {reason}")]
    InvalidSource { name: String, reason: String },
}

impl FetchError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::Layout(_) => "invalid_release",
            FetchError::BaseUrl { .. } => "invalid_base_url",
            FetchError::NotFound { .. } => "not_found",
            FetchError::HttpStatus { .. } => "http_status",
            FetchError::Connect { .. } => "unreachable",
            FetchError::Stalled { .. } => "stalled",
            FetchError::Truncated { .. } => "truncated",
            FetchError::ListingTooLarge { .. } => "listing_too_large",
            FetchError::ChecksumMissing { .. } => "checksum_missing",
            FetchError::ChecksumMismatch { .. } => "checksum_mismatch",
            FetchError::DiskFull { .. } => "disk_full",
            FetchError::Io { .. } => "io",
            FetchError::InvalidFasta { .. } => "invalid_fasta",
            FetchError::Index(_) => "index_failed",
            FetchError::Exists { .. } => "exists",
            FetchError::InvalidSource { .. } => "invalid_source",
        }
    }

    /// Worth another attempt (resuming where the last one stopped).
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            FetchError::Connect { .. } | FetchError::Stalled { .. } | FetchError::Truncated { .. }
        ) || matches!(self, FetchError::HttpStatus { status, .. } if *status >= 500 || *status == 429)
    }

    /// A file system error at `path`; a full disk gets its own code.
    pub fn io(path: &Path, source: io::Error) -> Self {
        if is_disk_full(&source) {
            FetchError::DiskFull {
                path: path.to_path_buf(),
            }
        } else {
            FetchError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

pub fn is_disk_full(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enospc_is_disk_full_and_other_io_errors_are_io() {
        let full = io::Error::from_raw_os_error(28); // ENOSPC on Linux
        assert_eq!(FetchError::io(Path::new("x"), full).code(), "disk_full");
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        assert_eq!(FetchError::io(Path::new("x"), denied).code(), "io");
    }

    #[test]
    fn only_transient_failures_are_retried() {
        let url = String::from("http://h/f");
        assert!(FetchError::Stalled {
            url: url.clone(),
            seconds: 1
        }
        .retryable());
        assert!(FetchError::HttpStatus {
            url: url.clone(),
            status: 503
        }
        .retryable());
        assert!(!FetchError::NotFound { url: url.clone() }.retryable());
        assert!(!FetchError::HttpStatus { url, status: 403 }.retryable());
        assert!(!FetchError::DiskFull { path: "p".into() }.retryable());
    }
}
