//! `reference fetch` from start to finish: download and check every file of a release, turn
//! the genome into BGZF, build the engine index, write the manifest, and only then put the
//! directory where `VEP_INDEX` would find it.
//!
//! All work happens in `.<DIR name>.partial` beside DIR (same file system, so the final step
//! is one atomic rename). A failed run leaves that directory marked `INCOMPLETE`, holding only
//! its checked or partial downloads (for the next run to resume), never an index.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use url::Url;

use super::checksum;
use super::download::{Downloader, Settings};
use super::error::FetchError;
use super::genome;
use super::layout::{Release, RemoteFile, Role};
use super::manifest::{FetchedFile, GenomeFiles, Manifest, GENOME, INDEX, MANIFEST_FORMAT};
use crate::cli::index::{build, IndexInputs};

/// Marks an unfinished work directory, with why it stopped.
pub const INCOMPLETE: &str = "INCOMPLETE";
const DOWNLOADS: &str = "downloads";

#[derive(Debug, Clone)]
pub struct FetchRequest {
    pub release: Release,
    pub base_url: Url,
    pub out: PathBuf,
    /// Replace a DIR that holds something else.
    pub force: bool,
    pub download: Settings,
}

#[derive(Debug)]
pub enum Outcome {
    Fetched(Manifest),
    /// DIR already holds this release: nothing was downloaded (re-running a Job is cheap).
    AlreadyPresent(Manifest),
}

/// Parses a base URL; the publisher's tree is resolved under it, so it must end in `/`.
pub fn base_url(text: &str) -> Result<Url, FetchError> {
    let invalid = |reason: String| FetchError::BaseUrl {
        url: text.to_string(),
        reason,
    };
    let mut url = Url::parse(text).map_err(|e| invalid(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("expected an http(s) URL".into()));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

pub fn fetch(request: &FetchRequest) -> Result<Outcome, FetchError> {
    let out = std::path::absolute(&request.out).map_err(|e| FetchError::io(&request.out, e))?;
    if let Some(present) = already_present(&out, request)? {
        return Ok(Outcome::AlreadyPresent(present));
    }
    let work = work_dir(&out);
    let downloads = work.join(DOWNLOADS);
    std::fs::create_dir_all(&downloads).map_err(|e| FetchError::io(&downloads, e))?;
    mark(
        &work,
        "fetch in progress (or interrupted): rerun the same command to resume",
    );
    eprintln!(
        "fetching {} {} release {} from {} (working in {})",
        request.release.source,
        request.release.assembly,
        request.release.name,
        request.base_url,
        work.display()
    );
    match build_in(&work, request) {
        Ok(manifest) => {
            publish(&work, &out)?;
            Ok(Outcome::Fetched(manifest))
        }
        Err(e) => {
            discard_built(&work);
            mark(
                &work,
                &format!(
                    "fetch failed [{}]: {e}\nRerun the same command to resume; delete this directory to start over.",
                    e.code()
                ),
            );
            Err(e)
        }
    }
}

/// `.<name>.partial` beside `out`.
pub fn work_dir(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "reference".into());
    out.with_file_name(format!(".{name}.partial"))
}

fn already_present(out: &Path, request: &FetchRequest) -> Result<Option<Manifest>, FetchError> {
    let Ok(mut entries) = std::fs::read_dir(out) else {
        return Ok(None);
    };
    if entries.next().is_none() {
        return Ok(None);
    }
    let release = &request.release;
    let found = match Manifest::read(out) {
        Ok(m)
            if m.source == release.source
                && m.assembly == release.assembly
                && m.release == release.name
                && !request.force =>
        {
            eprintln!(
                "{} already holds {} {} release {}: nothing to do",
                out.display(),
                m.source,
                m.assembly,
                m.release
            );
            return Ok(Some(m));
        }
        Ok(m) => format!("{} {} release {}", m.source, m.assembly, m.release),
        Err(e) => format!("no usable reference.json: {e}"),
    };
    if request.force {
        return Ok(None);
    }
    Err(FetchError::Exists {
        dir: out.to_path_buf(),
        found,
    })
}

fn build_in(work: &Path, request: &FetchRequest) -> Result<Manifest, FetchError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| FetchError::io(work, e))?;
    let downloader = Downloader::new(request.download.clone())?;
    let mut listings: HashMap<Url, String> = HashMap::new();
    let mut fetched = Vec::new();
    let mut gene_models: Vec<(Role, PathBuf)> = Vec::new();
    let mut fasta = None;
    for file in request.release.files() {
        let url = join(&request.base_url, &file.path())?;
        let listing_url = join(&request.base_url, &file.checksums_path())?;
        if !listings.contains_key(&listing_url) {
            let text = runtime.block_on(downloader.text(&listing_url))?;
            listings.insert(listing_url.clone(), text);
        }
        let expected = checksum::find(&listings[&listing_url], &file.name).ok_or_else(|| {
            FetchError::ChecksumMissing {
                name: file.name.clone(),
                listing: listing_url.to_string(),
            }
        })?;
        let path = download_checked(work, &runtime, &downloader, &url, &file, &expected)?;
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let kept_as = (file.role != Role::Fasta).then(|| file.name.clone());
        fetched.push(FetchedFile {
            role: file.role,
            url: url.to_string(),
            name: file.name.clone(),
            bytes,
            checksum: expected.recorded(),
            kept_as,
        });
        match file.role {
            Role::Fasta => fasta = Some(path),
            role => gene_models.push((role, path)),
        }
    }
    let Some(fasta) = fasta else {
        return Err(FetchError::InvalidFasta {
            reason: "the release layout names no genome FASTA".into(),
        });
    };

    let genome_path = work.join(GENOME);
    let summary = genome::recompress(&fasta, &genome_path)?;
    std::fs::remove_file(&fasta).map_err(|e| FetchError::io(&fasta, e))?;
    eprintln!(
        "genome: {} sequences, {} bases, in {}",
        summary.contigs, summary.bases, GENOME
    );

    let mut gff = Vec::new();
    let mut refseq = Vec::new();
    for (role, path) in gene_models {
        let kept = work.join(path.file_name().unwrap_or_default());
        std::fs::rename(&path, &kept).map_err(|e| FetchError::io(&kept, e))?;
        match role {
            Role::RefseqGff3 => refseq.push(kept),
            _ => gff.push(kept),
        }
    }
    eprintln!("indexing the gene models");
    let report = build(&IndexInputs {
        gff: &gff,
        gtf: &[],
        refseq: &refseq,
        fasta: std::slice::from_ref(&genome_path),
        assembly: request.release.assembly.as_str(),
        output: &work.join(INDEX),
    })?;
    if report.unplaced > 0 {
        eprintln!(
            "note: {} transcript(s) lie on sequences the genome FASTA does not have",
            report.unplaced
        );
    }
    let manifest = Manifest {
        format: MANIFEST_FORMAT,
        source: request.release.source,
        assembly: request.release.assembly,
        release: request.release.name.clone(),
        base_url: request.base_url.to_string(),
        files: fetched,
        genome: GenomeFiles {
            fasta: GENOME.into(),
            fai: format!("{GENOME}.fai"),
            gzi: format!("{GENOME}.gzi"),
            contigs: summary.contigs as u64,
            bases: summary.bases,
        },
        index: INDEX.into(),
        transcripts: report.transcripts as u64,
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        tool_version: concat!("vep-function ", env!("CARGO_PKG_VERSION")).into(),
        custom: Vec::new(),
    };
    manifest.write(work).map_err(|e| FetchError::io(work, e))?;
    let downloads = work.join(DOWNLOADS);
    std::fs::remove_dir_all(&downloads).map_err(|e| FetchError::io(&downloads, e))?;
    let marker = work.join(INCOMPLETE);
    std::fs::remove_file(&marker).map_err(|e| FetchError::io(&marker, e))?;
    Ok(manifest)
}

fn join(base: &Url, path: &str) -> Result<Url, FetchError> {
    base.join(path).map_err(|e| FetchError::BaseUrl {
        url: base.to_string(),
        reason: format!("cannot append {path}: {e}"),
    })
}

/// Downloads `file` (unless an earlier run already finished it) and checks it against the
/// published checksum. A file that does not match is deleted, so the next run fetches it anew.
fn download_checked(
    work: &Path,
    runtime: &tokio::runtime::Runtime,
    downloader: &Downloader,
    url: &Url,
    file: &RemoteFile,
    expected: &checksum::Expected,
) -> Result<PathBuf, FetchError> {
    let done = work.join(DOWNLOADS).join(&file.name);
    if !done.exists() {
        let part = genome::with_suffix(&done, ".part");
        runtime.block_on(downloader.to_file(url, &part, &file.name))?;
        std::fs::rename(&part, &done).map_err(|e| FetchError::io(&done, e))?;
    }
    let found = checksum::compute(&done, expected).map_err(|e| FetchError::io(&done, e))?;
    if &found != expected {
        let _ = std::fs::remove_file(&done);
        let (published, found) = (expected.recorded(), found.recorded());
        return Err(FetchError::ChecksumMismatch {
            name: file.name.clone(),
            algorithm: published.algorithm,
            published: published.value,
            found: found.value,
        });
    }
    eprintln!(
        "{}: matches its published checksum ({})",
        file.name,
        expected.recorded().algorithm
    );
    Ok(done)
}

/// Moves the finished `work` to `out`, replacing what `out` held.
fn publish(work: &Path, out: &Path) -> Result<(), FetchError> {
    let old = out.with_file_name(format!(
        ".{}.old-{}",
        out.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let replaced = match std::fs::remove_dir(out) {
        Ok(()) => false,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(_) => {
            std::fs::rename(out, &old).map_err(|e| FetchError::io(out, e))?;
            true
        }
    };
    std::fs::rename(work, out).map_err(|e| FetchError::io(out, e))?;
    if replaced {
        let removed = if old.is_dir() {
            std::fs::remove_dir_all(&old)
        } else {
            std::fs::remove_file(&old)
        };
        removed.map_err(|e| FetchError::io(&old, e))?;
    }
    eprintln!("reference ready in {}", out.display());
    Ok(())
}

/// Removes what a failed run built (genome, index, manifest, gene models moved out of
/// `downloads`); the downloads stay for the next run to resume.
fn discard_built(work: &Path) {
    let Ok(entries) = std::fs::read_dir(work) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name() == DOWNLOADS {
            continue;
        }
        let path = entry.path();
        let _ = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
    }
}

fn mark(work: &Path, why: &str) {
    // Best effort: the marker explains a leftover directory; its absence hides nothing, since
    // an unfinished directory never holds an index.
    let _ = std::fs::write(work.join(INCOMPLETE), format!("{why}\n"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_happens_in_a_hidden_sibling_of_the_target() {
        assert_eq!(
            work_dir(Path::new("/data/GRCh38-ensembl-115")),
            Path::new("/data/.GRCh38-ensembl-115.partial")
        );
    }

    #[test]
    fn base_urls_gain_a_trailing_slash_and_must_be_http() {
        assert_eq!(
            base_url("http://127.0.0.1:8070/ensembl").unwrap().as_str(),
            "http://127.0.0.1:8070/ensembl/"
        );
        assert_eq!(
            base_url("ftp://ftp.ensembl.org/pub/").unwrap_err().code(),
            "invalid_base_url"
        );
        assert_eq!(
            base_url("not a url").unwrap_err().code(),
            "invalid_base_url"
        );
    }
}
