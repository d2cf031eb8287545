//! `vep-function reference clinvar`: ClinVar's VCF and its tabix index into a reference
//! directory, checked against ClinVar's published md5, served as a custom source
//! (`VEP_CUSTOM`, which `reference env` then prints).
//!
//! ClinVar's layout (paths relative to `--base-url`, `https://ftp.ncbi.nlm.nih.gov/`):
//! `pub/clinvar/vcf_GRCh38/` (and `vcf_GRCh37/`) holds the weekly release as
//! `clinvar_YYYYMMDD.vcf.gz`, each with `.md5` and `.tbi` beside it, and `clinvar.vcf.gz`
//! (+ `.md5`, `.tbi`) for the latest one; older releases move to `archive_2.0/YYYY/`
//! (Knowledge-Graph-Hub/kg-registry `resource/clinvar/clinvar.vcf.grch38.md` names the
//! directory; WillardFord/pathogenic-variants `src/download_clinvar_vcfs.sh` fetches
//! `clinvar.vcf.gz` + `.tbi`; arq5x/gemini `gemini/annotation_provenance/make-clinvar.sh`
//! fetches dated files with their `.tbi` and from `archive_2.0/YEAR/`; mgbpm/CATT
//! `sources/clinvar-submission-summary/download.sh` checks a download against the first field
//! of its `.md5`). ClinVar publishes no checksum for the `.tbi`: it is checked by opening it
//! with the VCF as the function would, before either is put in place.
//!
//! Downloads go to `DIR/.clinvar.partial/` (resumed by a rerun, like `reference fetch`); the
//! checked files are then renamed to `DIR/clinvar.vcf.gz` and `.tbi`, and the directory's
//! `reference.json`, when it has one, records them (`custom`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use contract::custom::SourceSpec;
use url::Url;

use super::checksum::{self, Expected};
use super::download::{Downloader, Settings};
use super::error::FetchError;
use super::layout::{Assembly, Role};
use super::manifest::{CustomSourceFiles, FetchedFile, Manifest};
use crate::engine::custom::CustomSources;

/// What the directory keeps, whatever release was fetched.
pub const CLINVAR_VCF: &str = "clinvar.vcf.gz";
const WORK: &str = ".clinvar.partial";
/// The source as `VEP_CUSTOM` names it (the file relative to the directory).
pub const CLINVAR_SPEC: &str =
    "file=clinvar.vcf.gz,short_name=ClinVar,format=vcf,type=exact,coords=0,fields=CLNSIG%CLNREVSTAT%CLNDN";

/// Which weekly release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    /// `clinvar.vcf.gz`: the latest.
    Latest,
    /// `clinvar_YYYYMMDD.vcf.gz`.
    Dated(String),
}

impl std::str::FromStr for Release {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "latest" => Ok(Release::Latest),
            d if d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(Release::Dated(d.to_owned()))
            }
            other => Err(format!(
                "{other:?}: a ClinVar release is `latest` or a date YYYYMMDD"
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ClinvarRequest {
    pub assembly: Assembly,
    pub release: Release,
    pub base_url: Url,
    pub out: PathBuf,
    pub download: Settings,
}

/// Where a release's VCF is, relative to the base URL: the week's directory first, then the
/// archive a dated release moves to.
pub fn locations(assembly: Assembly, release: &Release) -> Vec<String> {
    let dir = format!("pub/clinvar/vcf_{assembly}/");
    match release {
        Release::Latest => vec![format!("{dir}{CLINVAR_VCF}")],
        Release::Dated(date) => vec![
            format!("{dir}clinvar_{date}.vcf.gz"),
            format!("{dir}archive_2.0/{}/clinvar_{date}.vcf.gz", &date[..4]),
        ],
    }
}

/// Fetches, checks and places ClinVar's VCF and index; returns the `VEP_CUSTOM` setting that
/// serves them.
pub fn fetch_clinvar(request: &ClinvarRequest) -> Result<SourceSpec, FetchError> {
    let out = std::path::absolute(&request.out).map_err(|e| FetchError::io(&request.out, e))?;
    let work = out.join(WORK);
    std::fs::create_dir_all(&work).map_err(|e| FetchError::io(&work, e))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| FetchError::io(&work, e))?;
    let downloader = Downloader::new(request.download.clone())?;
    let join = |path: &str| {
        request
            .base_url
            .join(path)
            .map_err(|e| FetchError::BaseUrl {
                url: request.base_url.to_string(),
                reason: format!("cannot append {path}: {e}"),
            })
    };
    // The first location that has a checksum listing is the release's.
    let mut found = None;
    for path in locations(request.assembly, &request.release) {
        let listing_url = join(&format!("{path}.md5"))?;
        match runtime.block_on(downloader.text(&listing_url)) {
            Ok(listing) => {
                found = Some((path, listing_url, listing));
                break;
            }
            Err(FetchError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    let Some((path, listing_url, listing)) = found else {
        return Err(FetchError::NotFound {
            url: join(&locations(request.assembly, &request.release)[0])?.to_string(),
        });
    };
    let name = path.rsplit('/').next().unwrap_or(CLINVAR_VCF).to_owned();
    let expected = checksum::find(&listing, &name)
        .or_else(|| checksum::single_md5(&listing))
        .ok_or_else(|| FetchError::ChecksumMissing {
            name: name.clone(),
            listing: listing_url.to_string(),
        })?;
    let vcf_url = join(&path)?;
    let vcf = download(
        &runtime,
        &downloader,
        &vcf_url,
        &work.join(CLINVAR_VCF),
        &name,
    )?;
    check(&vcf, &name, &expected)?;
    let index_url = join(&format!("{path}.tbi"))?;
    let tbi_name = format!("{CLINVAR_VCF}.tbi");
    let tbi = download(
        &runtime,
        &downloader,
        &index_url,
        &work.join(&tbi_name),
        &tbi_name,
    )?;
    // The pair must open as the function will open it.
    let mut spec: SourceSpec = CLINVAR_SPEC.parse().expect("the ClinVar setting parses");
    spec.file = vcf.to_string_lossy().into_owned();
    CustomSources::open(std::slice::from_ref(&spec)).map_err(|e| FetchError::InvalidSource {
        name: name.clone(),
        reason: e.to_string(),
    })?;
    let file_date = file_date(&vcf);
    let bytes = std::fs::metadata(&vcf).map(|m| m.len()).unwrap_or(0);
    // Index first: a function started in between finds the old VCF with the new index only
    // if it races this rename, and then refuses to start rather than misread.
    let placed_tbi = out.join(&tbi_name);
    std::fs::rename(&tbi, &placed_tbi).map_err(|e| FetchError::io(&placed_tbi, e))?;
    let placed = out.join(CLINVAR_VCF);
    std::fs::rename(&vcf, &placed).map_err(|e| FetchError::io(&placed, e))?;
    std::fs::remove_dir_all(&work).map_err(|e| FetchError::io(&work, e))?;
    if Manifest::path(&out).is_file() {
        let mut manifest = Manifest::read(&out).map_err(|e| FetchError::InvalidSource {
            name: "reference.json".into(),
            reason: e.to_string(),
        })?;
        manifest.custom.retain(|c| c.short_name != "ClinVar");
        manifest.custom.push(CustomSourceFiles {
            short_name: "ClinVar".into(),
            spec: CLINVAR_SPEC.into(),
            file: FetchedFile {
                role: Role::ClinvarVcf,
                url: vcf_url.to_string(),
                name,
                bytes,
                checksum: expected.recorded(),
                kept_as: Some(CLINVAR_VCF.into()),
            },
            index: tbi_name,
            file_date,
        });
        manifest.write(&out).map_err(|e| FetchError::io(&out, e))?;
    }
    spec.file = placed.to_string_lossy().into_owned();
    Ok(spec)
}

fn download(
    runtime: &tokio::runtime::Runtime,
    downloader: &Downloader,
    url: &Url,
    done: &Path,
    label: &str,
) -> Result<PathBuf, FetchError> {
    if !done.exists() {
        let mut part = done.as_os_str().to_owned();
        part.push(".part");
        let part = PathBuf::from(part);
        runtime.block_on(downloader.to_file(url, &part, label))?;
        std::fs::rename(&part, done).map_err(|e| FetchError::io(done, e))?;
    }
    Ok(done.to_path_buf())
}

/// Checks `path` against the published md5; a file that does not match is removed so the
/// next run fetches it again.
fn check(path: &Path, name: &str, expected: &Expected) -> Result<(), FetchError> {
    let found = checksum::compute(path, expected).map_err(|e| FetchError::io(path, e))?;
    if &found != expected {
        let _ = std::fs::remove_file(path);
        let (published, found) = (expected.recorded(), found.recorded());
        return Err(FetchError::ChecksumMismatch {
            name: name.to_owned(),
            algorithm: published.algorithm,
            published: published.value,
            found: found.value,
        });
    }
    eprintln!("{name}: matches its published md5");
    Ok(())
}

/// The VCF's own `##fileDate=` (the release it is), when its header has one.
fn file_date(vcf: &Path) -> Option<String> {
    let file = std::fs::File::open(vcf).ok()?;
    let reader = BufReader::new(flate2::read::MultiGzDecoder::new(file));
    reader
        .lines()
        .map_while(Result::ok)
        .take_while(|l| l.starts_with("##"))
        .find_map(|l| l.strip_prefix("##fileDate=").map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_and_dated_releases_are_where_clinvar_publishes_them() {
        assert_eq!(
            locations(Assembly::GRCh38, &Release::Latest),
            ["pub/clinvar/vcf_GRCh38/clinvar.vcf.gz"]
        );
        assert_eq!(
            locations(Assembly::GRCh37, &"20240107".parse().unwrap()),
            [
                "pub/clinvar/vcf_GRCh37/clinvar_20240107.vcf.gz",
                "pub/clinvar/vcf_GRCh37/archive_2.0/2024/clinvar_20240107.vcf.gz"
            ]
        );
        assert!("last week".parse::<Release>().is_err());
    }

    #[test]
    fn the_setting_names_clinvar_s_significance_review_status_and_disease() {
        let spec: SourceSpec = CLINVAR_SPEC.parse().unwrap();
        assert_eq!(spec.short_name, "ClinVar");
        assert_eq!(spec.fields, ["CLNSIG", "CLNREVSTAT", "CLNDN"]);
    }
}
