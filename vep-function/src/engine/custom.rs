//! Custom annotation sources: the site's own bgzipped, indexed VCFs (ClinVar, gnomAD,
//! dbSNP), read as Ensembl VEP's `--custom` reads them (`AnnotationSource::File::VCF`), so an
//! offline annotation can say that a variant is pathogenic in ClinVar or how common it is.
//!
//! - [`CustomSources::open`] opens every configured source at start: a missing file, a
//!   missing or unreadable index, a file that is no bgzipped VCF is a typed error then.
//! - [`CustomSources::annotate`] adds, per source `short_name`, the records that match one
//!   allele (`matching`: `type=exact` by allele after VEP's trimming, `type=overlap` by
//!   span). A record near the variant that cannot be read fails that variant
//!   ([`CustomError::Records`], `custom_source_unreadable`), never leaving a silent blank.
//! - Records are read through a cursor per lane of threads (`cursor`): sorted input reads
//!   each block of a source once.

mod cursor;
mod matching;
mod record;
mod source;

use std::path::PathBuf;

use contract::annotation::CustomAnnotations;
use contract::custom::{check_unique, SourceSpec, SpecError};
use contract::output::csq::{push_column, CustomColumns};

use self::source::Source;
use super::annotate::Allele;

#[derive(Debug, thiserror::Error)]
pub enum CustomError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error("custom source {short_name}: {path} does not exist")]
    Missing { short_name: String, path: PathBuf },
    #[error("custom source {short_name}: {path} has no index beside it (.tbi or .csi; make one with `tabix -p vcf`)")]
    NoIndex { short_name: String, path: PathBuf },
    #[error("custom source {short_name}: cannot read its index {index}: {source}")]
    Index {
        short_name: String,
        index: PathBuf,
        source: std::io::Error,
    },
    #[error("custom source {short_name}: {index} is no VCF index: {reason}")]
    NotVcfIndex {
        short_name: String,
        index: PathBuf,
        reason: &'static str,
    },
    #[error("custom source {short_name}: {path} is not a bgzipped VCF: {reason}")]
    Unreadable {
        short_name: String,
        path: PathBuf,
        reason: String,
    },
    #[error("custom source {short_name}: cannot read its records at {chrom}:{lo}-{hi}: {reason}")]
    Records {
        short_name: String,
        chrom: String,
        lo: u64,
        hi: u64,
        reason: String,
    },
}

impl CustomError {
    /// Stable snake_case code: a setting that cannot be used, a source that cannot be opened
    /// (both at start), or records that cannot be read (one variant).
    pub fn code(&self) -> &'static str {
        match self {
            CustomError::Spec(e) => e.code(),
            CustomError::Records { .. } => "custom_source_unreadable",
            _ => "custom_source_unavailable",
        }
    }
}

/// The configured sources, opened; none by default.
#[derive(Default)]
pub struct CustomSources {
    sources: Vec<Source>,
    columns: CustomColumns,
}

impl std::fmt::Debug for CustomSources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.sources.iter().map(Source::short_name))
            .finish()
    }
}

impl CustomSources {
    /// Opens every source (short names must be unique).
    pub fn open(specs: &[SourceSpec]) -> Result<Self, CustomError> {
        check_unique(specs)?;
        let sources = specs.iter().map(Source::open).collect::<Result<_, _>>()?;
        Ok(Self {
            sources,
            columns: CustomColumns::from_specs(specs),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The CSQ columns the sources add, in configured order.
    pub fn columns(&self) -> &CustomColumns {
        &self.columns
    }

    /// What every source holds for `allele` on contig `chrom` (canonical name), into `out`
    /// (cleared first).
    pub fn annotate(
        &self,
        chrom: &str,
        allele: &Allele,
        out: &mut CustomAnnotations,
    ) -> Result<(), CustomError> {
        out.clear();
        if self.sources.is_empty() {
            return Ok(());
        }
        let variant_allele = allele.variant_allele();
        for source in &self.sources {
            source.visit(chrom, allele, &mut |matches| {
                if !matches.is_empty() {
                    let records = matches.iter().map(|m| m.to_annotation(&variant_allele));
                    out.insert(source.short_name().to_owned(), records.collect());
                }
            })?;
        }
        Ok(())
    }

    /// Appends the custom CSQ fields of `allele` (every source's `|names|fields...`, as
    /// `contract::output::csq::push_custom_fields` writes them from the typed annotation)
    /// straight from the sources' lines: the VCF hot path builds no annotation.
    pub fn push_csq(
        &self,
        chrom: &str,
        allele: &Allele,
        out: &mut String,
    ) -> Result<(), CustomError> {
        let mut scratch = String::new();
        for source in &self.sources {
            source.visit(chrom, allele, &mut |matches| {
                push_column(out, matches.iter(), &source.spec().fields, &mut scratch)
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
impl CustomSources {
    /// Makes the calling thread's cursors look the next variant up in the index afresh.
    fn forget_places(&self) {
        for source in &self.sources {
            source.forget_place();
        }
    }
}

#[cfg(test)]
mod tests;
