//! Where a release's files live on its publisher's site: the directory layout and file names of
//! Ensembl (GRCh38 and the frozen GRCh37 site) and NCBI RefSeq. Pure: paths only, no I/O.
//!
//! Paths are relative to the source's base URL (`--base-url`), so a mirror that copies the
//! publisher's tree under another root works unchanged. See the module doc of
//! [`crate::reference`] for where each layout was checked.

use std::fmt;
use std::str::FromStr;

/// Who publishes the gene models (and, beside them, the FASTA they are placed on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Ensembl,
    Refseq,
}

impl Source {
    /// The publisher's site root, used when no `--base-url` is given.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Source::Ensembl => "https://ftp.ensembl.org/pub/",
            Source::Refseq => "https://ftp.ncbi.nlm.nih.gov/",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Ensembl => "ensembl",
            Source::Refseq => "refseq",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Source {
    type Err = LayoutError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "ensembl" => Ok(Source::Ensembl),
            "refseq" | "ncbi" => Ok(Source::Refseq),
            _ => Err(LayoutError::UnknownSource(s.to_string())),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Assembly {
    GRCh38,
    GRCh37,
}

impl Assembly {
    pub fn as_str(self) -> &'static str {
        match self {
            Assembly::GRCh38 => "GRCh38",
            Assembly::GRCh37 => "GRCh37",
        }
    }
}

impl fmt::Display for Assembly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Assembly {
    type Err = LayoutError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "grch38" | "hg38" => Ok(Assembly::GRCh38),
            "grch37" | "hg19" => Ok(Assembly::GRCh37),
            _ => Err(LayoutError::UnknownAssembly(s.to_string())),
        }
    }
}

/// What a downloaded file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Ensembl GFF3 gene models.
    EnsemblGff3,
    /// NCBI RefSeq GFF3 gene models (`NC_` seqids).
    RefseqGff3,
    /// The genome FASTA, gzip-compressed as published.
    Fasta,
    /// ClinVar's VCF (bgzipped, served as a custom source).
    ClinvarVcf,
}

/// One file of a release: where it is and which checksum listing covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    pub role: Role,
    /// Directory relative to the base URL, ending in `/`.
    pub dir: String,
    pub name: String,
    /// Name of the checksum listing in `dir` (`CHECKSUMS` or `md5checksums.txt`).
    pub checksums: &'static str,
}

impl RemoteFile {
    pub fn path(&self) -> String {
        format!("{}{}", self.dir, self.name)
    }

    pub fn checksums_path(&self) -> String {
        format!("{}{}", self.dir, self.checksums)
    }
}

/// A release as the user names it, checked against what the publisher has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub source: Source,
    pub assembly: Assembly,
    /// As given (`115`, `110`, `RS_2024_08`).
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error("unknown source {0:?}: expected ensembl or refseq")]
    UnknownSource(String),
    #[error("unknown assembly {0:?}: expected GRCh38 or GRCh37")]
    UnknownAssembly(String),
    #[error("invalid release {release:?} for {publisher}: {reason}")]
    InvalidRelease {
        publisher: Source,
        release: String,
        reason: &'static str,
    },
    #[error("{publisher} publishes no {assembly} gene models this tool can fetch: {reason}")]
    Unsupported {
        publisher: Source,
        assembly: Assembly,
        reason: &'static str,
    },
}

/// First Ensembl release with GFF3 gene models: 81 on GRCh38, 82 on the GRCh37 site.
const ENSEMBL_FIRST_GFF3: [(Assembly, u32); 2] = [(Assembly::GRCh38, 81), (Assembly::GRCh37, 82)];
/// GRCh37 gene models stopped changing at release 87; later GRCh37 releases republish them.
const GRCH37_FROZEN_GENESET: u32 = 87;
/// The RefSeq assembly whose annotation releases are supported (GRCh38.p14).
pub const REFSEQ_ASSEMBLY: &str = "GCF_000001405.40_GRCh38.p14";
const REFSEQ_ACCESSION: &str = "GCF_000001405.40";

impl Release {
    pub fn new(source: Source, assembly: Assembly, name: &str) -> Result<Self, LayoutError> {
        let name = name.trim();
        let invalid = |reason| LayoutError::InvalidRelease {
            publisher: source,
            release: name.to_string(),
            reason,
        };
        match source {
            Source::Ensembl => {
                let number: u32 = name
                    .parse()
                    .map_err(|_| invalid("an Ensembl release is a number, e.g. 115"))?;
                let first = ENSEMBL_FIRST_GFF3
                    .iter()
                    .find(|(a, _)| *a == assembly)
                    .map_or(81, |(_, n)| *n);
                if number < first {
                    return Err(invalid(
                        "Ensembl has GFF3 gene models from release 81 (GRCh38) or 82 (GRCh37)",
                    ));
                }
            }
            Source::Refseq => {
                if assembly != Assembly::GRCh38 {
                    return Err(LayoutError::Unsupported {
                        publisher: source,
                        assembly,
                        reason: "only GRCh38 annotation releases (GCF_000001405.40) are supported; use --source ensembl for GRCh37",
                    });
                }
                refseq_release_dir(name).ok_or_else(|| {
                    invalid("a RefSeq annotation release of GCF_000001405.40 is 110 or RS_YYYY_MM")
                })?;
            }
        }
        Ok(Self {
            source,
            assembly,
            name: name.to_string(),
        })
    }

    /// The gene models and the FASTA of this release.
    pub fn files(&self) -> Vec<RemoteFile> {
        match self.source {
            Source::Ensembl => self.ensembl_files(),
            Source::Refseq => self.refseq_files(),
        }
    }

    fn ensembl_files(&self) -> Vec<RemoteFile> {
        let number: u32 = self.name.parse().unwrap_or_default();
        let (root, geneset) = match self.assembly {
            Assembly::GRCh38 => (format!("release-{number}/"), number),
            Assembly::GRCh37 => (
                format!("grch37/release-{number}/"),
                number.min(GRCH37_FROZEN_GENESET),
            ),
        };
        let assembly = self.assembly.as_str();
        vec![
            RemoteFile {
                role: Role::EnsemblGff3,
                dir: format!("{root}gff3/homo_sapiens/"),
                name: format!("Homo_sapiens.{assembly}.{geneset}.gff3.gz"),
                checksums: "CHECKSUMS",
            },
            RemoteFile {
                role: Role::Fasta,
                dir: format!("{root}fasta/homo_sapiens/dna/"),
                name: format!("Homo_sapiens.{assembly}.dna.primary_assembly.fa.gz"),
                checksums: "CHECKSUMS",
            },
        ]
    }

    fn refseq_files(&self) -> Vec<RemoteFile> {
        let release = refseq_release_dir(&self.name).unwrap_or_default();
        let dir =
            format!("refseq/H_sapiens/annotation/annotation_releases/{release}/{REFSEQ_ASSEMBLY}/");
        vec![
            RemoteFile {
                role: Role::RefseqGff3,
                dir: dir.clone(),
                name: format!("{REFSEQ_ASSEMBLY}_genomic.gff.gz"),
                checksums: "md5checksums.txt",
            },
            RemoteFile {
                role: Role::Fasta,
                dir,
                name: format!("{REFSEQ_ASSEMBLY}_genomic.fna.gz"),
                checksums: "md5checksums.txt",
            },
        ]
    }
}

/// NCBI names annotation releases of GCF_000001405.40 `110` (numbered, the last one) or
/// `GCF_000001405.40-RS_YYYY_MM` (dated, from 2023 on).
fn refseq_release_dir(name: &str) -> Option<String> {
    if name == "110" {
        return Some(name.to_string());
    }
    let dated = name
        .strip_prefix(REFSEQ_ACCESSION)
        .and_then(|rest| rest.strip_prefix('-'))
        .unwrap_or(name);
    let digits = dated.strip_prefix("RS_")?;
    let (year, month) = digits.split_once('_')?;
    let numeric = |s: &str, len| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    (numeric(year, 4) && numeric(month, 2)).then(|| format!("{REFSEQ_ACCESSION}-{dated}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(source: Source, assembly: Assembly, release: &str) -> Vec<(String, String)> {
        Release::new(source, assembly, release)
            .unwrap()
            .files()
            .iter()
            .map(|f| (f.path(), f.checksums_path()))
            .collect()
    }

    #[test]
    fn ensembl_grch38_has_the_release_in_the_gff3_name_not_in_the_fasta_name() {
        assert_eq!(
            paths(Source::Ensembl, Assembly::GRCh38, "115"),
            [
                (
                    "release-115/gff3/homo_sapiens/Homo_sapiens.GRCh38.115.gff3.gz".into(),
                    "release-115/gff3/homo_sapiens/CHECKSUMS".into()
                ),
                (
                    "release-115/fasta/homo_sapiens/dna/Homo_sapiens.GRCh38.dna.primary_assembly.fa.gz"
                        .into(),
                    "release-115/fasta/homo_sapiens/dna/CHECKSUMS".into()
                ),
            ]
        );
    }

    #[test]
    fn ensembl_grch37_lives_under_grch37_with_gene_models_frozen_at_87() {
        let files = paths(Source::Ensembl, Assembly::GRCh37, "113");
        assert_eq!(
            files[0].0,
            "grch37/release-113/gff3/homo_sapiens/Homo_sapiens.GRCh37.87.gff3.gz"
        );
        assert_eq!(
            files[1].0,
            "grch37/release-113/fasta/homo_sapiens/dna/Homo_sapiens.GRCh37.dna.primary_assembly.fa.gz"
        );
        // Before the freeze, the file carries its own release.
        assert_eq!(
            paths(Source::Ensembl, Assembly::GRCh37, "85")[0].0,
            "grch37/release-85/gff3/homo_sapiens/Homo_sapiens.GRCh37.85.gff3.gz"
        );
    }

    #[test]
    fn refseq_numbered_and_dated_releases_share_the_assembly_directory_layout() {
        let dir = "refseq/H_sapiens/annotation/annotation_releases";
        assert_eq!(
            paths(Source::Refseq, Assembly::GRCh38, "110"),
            [
                (
                    format!("{dir}/110/GCF_000001405.40_GRCh38.p14/GCF_000001405.40_GRCh38.p14_genomic.gff.gz"),
                    format!("{dir}/110/GCF_000001405.40_GRCh38.p14/md5checksums.txt"),
                ),
                (
                    format!("{dir}/110/GCF_000001405.40_GRCh38.p14/GCF_000001405.40_GRCh38.p14_genomic.fna.gz"),
                    format!("{dir}/110/GCF_000001405.40_GRCh38.p14/md5checksums.txt"),
                ),
            ]
        );
        for spelling in ["RS_2024_08", "GCF_000001405.40-RS_2024_08"] {
            assert!(paths(Source::Refseq, Assembly::GRCh38, spelling)[0]
                .0
                .starts_with(&format!("{dir}/GCF_000001405.40-RS_2024_08/")));
        }
    }

    #[test]
    fn releases_the_publishers_do_not_have_are_refused_with_the_reason() {
        let err = Release::new(Source::Ensembl, Assembly::GRCh38, "80").unwrap_err();
        assert!(err.to_string().contains("from release 81"), "{err}");
        assert!(Release::new(Source::Ensembl, Assembly::GRCh38, "latest").is_err());
        assert!(Release::new(Source::Refseq, Assembly::GRCh38, "109").is_err());
        assert!(Release::new(Source::Refseq, Assembly::GRCh38, "RS_24_8").is_err());
        assert!(matches!(
            Release::new(Source::Refseq, Assembly::GRCh37, "105"),
            Err(LayoutError::Unsupported { .. })
        ));
    }

    #[test]
    fn sources_and_assemblies_parse_case_insensitively() {
        assert_eq!("Ensembl".parse::<Source>().unwrap(), Source::Ensembl);
        assert_eq!("NCBI".parse::<Source>().unwrap(), Source::Refseq);
        assert_eq!("grch37".parse::<Assembly>().unwrap(), Assembly::GRCh37);
        assert!("GRCm39".parse::<Assembly>().is_err());
    }
}
