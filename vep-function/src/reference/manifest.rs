//! A reference directory and its `reference.json`: what was fetched, from where, checked
//! against which published checksums, and what it holds. Other tools (run-local.sh, the
//! cluster Job, the gateway's settings) read this file; its names are part of the contract.
//!
//! ```text
//! DIR/reference.json          this manifest
//! DIR/<gene models>           as downloaded (e.g. Homo_sapiens.GRCh38.115.gff3.gz)
//! DIR/genome.fa.gz            the genome, BGZF (+ .fai, .gzi)
//! DIR/index.vepidx            the engine index (FASTA path recorded relative to DIR)
//! DIR/clinvar.vcf.gz (+ .tbi)  ClinVar, when `reference clinvar` fetched it (`custom`)
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::checksum::Recorded;
use super::layout::{Assembly, Role, Source};
use crate::events::ReferenceInfo;

pub const MANIFEST: &str = "reference.json";
pub const GENOME: &str = "genome.fa.gz";
pub const INDEX: &str = "index.vepidx";
/// Bump when a field changes meaning or goes away (adding one is compatible).
pub const MANIFEST_FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub source: Source,
    pub assembly: Assembly,
    pub release: String,
    pub base_url: String,
    pub files: Vec<FetchedFile>,
    pub genome: GenomeFiles,
    /// The engine index, relative to the directory.
    pub index: String,
    pub transcripts: u64,
    /// RFC 3339, UTC.
    pub created: String,
    pub tool_version: String,
    /// Known-variant sources fetched into the directory (`reference clinvar`), served with
    /// `VEP_CUSTOM` (`reference env` prints it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<CustomSourceFiles>,
}

/// A custom source in the directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomSourceFiles {
    pub short_name: String,
    /// The `VEP_CUSTOM` setting, its file relative to the directory.
    pub spec: String,
    /// The VCF as downloaded and checked.
    pub file: FetchedFile,
    /// Its index, beside it (no published checksum: opened with the VCF before either was
    /// put in place).
    pub index: String,
    /// The VCF's own `##fileDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_date: Option<String>,
}

/// One downloaded file, as checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FetchedFile {
    pub role: Role,
    pub url: String,
    pub name: String,
    pub bytes: u64,
    pub checksum: Recorded,
    /// Where it is kept in the directory; `None` when only its derived form is kept (the
    /// genome, re-compressed to `genome.fa.gz`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_as: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenomeFiles {
    pub fasta: String,
    pub fai: String,
    pub gzi: String,
    pub contigs: u64,
    pub bases: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a reference manifest: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

impl Manifest {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(MANIFEST)
    }

    pub fn read(dir: &Path) -> Result<Self, ManifestError> {
        let path = Self::path(dir);
        let text = std::fs::read_to_string(&path).map_err(|source| ManifestError::Read {
            path: path.clone(),
            source,
        })?;
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| ManifestError::Invalid {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(ManifestError::Invalid {
                path,
                reason: format!(
                    "format {} (this build reads {MANIFEST_FORMAT}): fetch it again",
                    manifest.format
                ),
            });
        }
        Ok(manifest)
    }

    /// Writes the manifest through a temporary file, so a reader never sees half of it.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let path = Self::path(dir);
        let tmp = dir.join(format!(".{MANIFEST}.tmp"));
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, text + "\n")?;
        std::fs::rename(tmp, path)
    }

    pub fn reference_info(&self) -> ReferenceInfo {
        ReferenceInfo {
            assembly: self.assembly.to_string(),
            source: self.source.to_string(),
            release: Some(self.release.clone()),
            transcripts: self.transcripts,
            regions: None,
        }
    }
}

/// `VEP_CUSTOM` for the sources a reference directory holds (files joined to `dir`), one per
/// line; `None` when it holds none.
pub fn custom_env(manifest: &Manifest, dir: &Path) -> Option<(&'static str, String)> {
    let lines: Vec<String> = manifest
        .custom
        .iter()
        .filter_map(|c| c.spec.parse::<contract::custom::SourceSpec>().ok())
        .map(|mut spec| {
            spec.file = dir.join(&spec.file).to_string_lossy().into_owned();
            spec.to_string()
        })
        .collect();
    (!lines.is_empty()).then(|| (crate::config::VEP_CUSTOM, lines.join("\n")))
}

/// The gateway's settings that describe a reference (`REFERENCE_*`), as `KEY=value` pairs.
pub fn gateway_env(info: &ReferenceInfo) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("REFERENCE_ASSEMBLY", info.assembly.clone()),
        ("REFERENCE_SOURCE", info.source.clone()),
    ];
    if let Some(release) = &info.release {
        env.push(("REFERENCE_RELEASE", release.clone()));
    }
    env.push(("REFERENCE_TRANSCRIPTS", info.transcripts.to_string()));
    if let Some(regions) = &info.regions {
        env.push(("REFERENCE_REGIONS", regions.clone()));
    }
    env
}

/// One line a human reads: `GRCh38, ensembl release 115, 252913 transcripts`.
pub fn describe(info: &ReferenceInfo) -> String {
    let what = match (&info.regions, &info.release) {
        (Some(regions), _) => format!("{} regions: {regions}", info.source),
        (None, Some(release)) => format!("{} release {release}", info.source),
        (None, None) => info.source.clone(),
    };
    format!(
        "{} ({}, {} transcripts)",
        what, info.assembly, info.transcripts
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            format: MANIFEST_FORMAT,
            source: Source::Ensembl,
            assembly: Assembly::GRCh38,
            release: "115".into(),
            base_url: "https://ftp.ensembl.org/pub/".into(),
            files: vec![FetchedFile {
                role: Role::EnsemblGff3,
                url: "https://ftp.ensembl.org/pub/release-115/gff3/homo_sapiens/Homo_sapiens.GRCh38.115.gff3.gz".into(),
                name: "Homo_sapiens.GRCh38.115.gff3.gz".into(),
                bytes: 20,
                checksum: Recorded {
                    algorithm: "bsd_sum".into(),
                    value: "00094 1".into(),
                },
                kept_as: Some("Homo_sapiens.GRCh38.115.gff3.gz".into()),
            }],
            genome: GenomeFiles {
                fasta: GENOME.into(),
                fai: format!("{GENOME}.fai"),
                gzi: format!("{GENOME}.gzi"),
                contigs: 2,
                bases: 130_000_000,
            },
            index: INDEX.into(),
            transcripts: 128,
            created: "2026-01-01T00:00:00Z".into(),
            tool_version: "vep-function 0.1.0".into(),
            custom: Vec::new(),
        }
    }

    #[test]
    fn manifest_round_trips_with_the_documented_field_names() {
        let dir = std::env::temp_dir().join(format!("vep-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        sample().write(&dir).unwrap();
        let text = std::fs::read_to_string(dir.join(MANIFEST)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["source"], "ensembl");
        assert_eq!(json["assembly"], "GRCh38");
        assert_eq!(json["files"][0]["role"], "ensembl_gff3");
        assert_eq!(json["files"][0]["checksum"]["algorithm"], "bsd_sum");
        assert_eq!(json["genome"]["fasta"], "genome.fa.gz");
        assert_eq!(json["index"], "index.vepidx");
        assert_eq!(Manifest::read(&dir).unwrap(), sample());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn another_manifest_format_is_refused_with_advice() {
        let dir = std::env::temp_dir().join(format!("vep-manifest-v-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut newer = sample();
        newer.format = MANIFEST_FORMAT + 1;
        newer.write(&dir).unwrap();
        let err = Manifest::read(&dir).unwrap_err();
        assert!(err.to_string().contains("fetch it again"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn custom_sources_are_recorded_and_served_from_the_directory() {
        let mut m = sample();
        assert_eq!(custom_env(&m, Path::new("/data/ref")), None);
        m.custom.push(CustomSourceFiles {
            short_name: "ClinVar".into(),
            spec: crate::reference::clinvar::CLINVAR_SPEC.into(),
            file: m.files[0].clone(),
            index: "clinvar.vcf.gz.tbi".into(),
            file_date: Some("2026-11-28".into()),
        });
        let (key, value) = custom_env(&m, Path::new("/data/ref")).unwrap();
        assert_eq!(key, "VEP_CUSTOM");
        assert!(
            value.starts_with("file=/data/ref/clinvar.vcf.gz,short_name=ClinVar,"),
            "{value}"
        );
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["custom"][0]["short_name"], "ClinVar");
        assert!(serde_json::to_value(sample())
            .unwrap()
            .get("custom")
            .is_none());
    }

    #[test]
    fn gateway_env_and_description_name_the_release() {
        let info = sample().reference_info();
        assert_eq!(
            gateway_env(&info),
            [
                ("REFERENCE_ASSEMBLY", "GRCh38".to_string()),
                ("REFERENCE_SOURCE", "ensembl".to_string()),
                ("REFERENCE_RELEASE", "115".to_string()),
                ("REFERENCE_TRANSCRIPTS", "128".to_string()),
            ]
        );
        assert_eq!(
            describe(&info),
            "ensembl release 115 (GRCh38, 128 transcripts)"
        );
    }
}
