//! The annotation engine: gene models + reference in, VEP-shaped consequences out.

mod allele;
mod cache;
mod effect;
mod input_context;
mod terminal_codons;

pub use self::allele::Allele;

use self::cache::SequenceCache;

/// Coding sequences kept for reuse by nearby variants (bounded; ~a few MB).
const CODING_CACHE_TRANSCRIPTS: usize = 128;

use std::path::{Path, PathBuf};

use super::{
    custom::{CustomError, CustomSources},
    effects::Effects,
    genome::{Genome, GenomeError},
    gff3::{self, Gff3Error},
    gtf::{self, GtfError},
    models::{GeneModels, ModelsError},
    notation::DEFAULT_MAX_VARIANT_SPAN,
    output::VariantAnnotation,
    refseq::{self, RefSeqError},
    transcript::Transcript,
    variant::Variant,
};

/// VEP's default `--distance`: up/downstream calls reach 5,000 bases from the transcript.
pub const UPSTREAM_DOWNSTREAM_DISTANCE: u64 = 5000;

#[derive(Debug, thiserror::Error)]
pub enum AnnotateError {
    #[error("unknown contig {0}: it is not in the loaded reference")]
    UnknownContig(String),
    #[error("reference allele mismatch: input says {given} but the reference has {found} at {chrom}:{pos}")]
    ReferenceMismatch {
        given: String,
        found: String,
        chrom: String,
        pos: u64,
    },
    #[error("invalid allele {0:?}: only A, C, G, T and N are supported")]
    InvalidAllele(String),
    #[error("reference and alternate alleles are identical ({0})")]
    NoChange(String),
    #[error("position {pos} is outside {chrom} (length {length})")]
    OutOfBounds {
        chrom: String,
        pos: u64,
        length: u64,
    },
    #[error("variant spans {span} bases, more than the limit of {limit} (MAX_VARIANT_SPAN)")]
    TooLarge { span: u64, limit: u64 },
    #[error(transparent)]
    Genome(#[from] GenomeError),
    #[error(transparent)]
    GeneModels(#[from] ModelsError),
    /// A custom source's records near the variant could not be read.
    #[error(transparent)]
    Custom(#[from] CustomError),
}

impl AnnotateError {
    /// Stable snake_case code, as results and outputs name it.
    pub fn code(&self) -> &'static str {
        match self {
            AnnotateError::UnknownContig(_) => "unknown_contig",
            AnnotateError::ReferenceMismatch { .. } => "reference_mismatch",
            AnnotateError::InvalidAllele(_) => "invalid_allele",
            AnnotateError::NoChange(_) => "no_change",
            AnnotateError::OutOfBounds { .. } => "out_of_bounds",
            AnnotateError::TooLarge { .. } => "too_large",
            AnnotateError::Genome(_) => "reference_unavailable",
            AnnotateError::GeneModels(_) => "gene_models_unavailable",
            AnnotateError::Custom(e) => e.code(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot load gene models from {path}: {source}")]
    GeneModels { path: PathBuf, source: Gff3Error },
    #[error("cannot load GTF gene models from {path}: {source}")]
    Gtf { path: PathBuf, source: GtfError },
    #[error("cannot load RefSeq gene models from {path}: {source}")]
    RefSeq { path: PathBuf, source: RefSeqError },
    #[error(transparent)]
    Genome(#[from] GenomeError),
    #[error("no gene models or no reference given")]
    Empty,
}

/// A gene model file and the dialect it is read with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelFile {
    /// Ensembl GFF3.
    Gff3(PathBuf),
    /// Ensembl GTF.
    Gtf(PathBuf),
    /// NCBI RefSeq GFF3 (`NC_` seqids).
    RefSeq(PathBuf),
}

impl ModelFile {
    fn read(&self) -> Result<Vec<Transcript>, LoadError> {
        match self {
            ModelFile::Gff3(path) => {
                gff3::read_path(path).map_err(|source| LoadError::GeneModels {
                    path: path.clone(),
                    source,
                })
            }
            ModelFile::Gtf(path) => gtf::read_path(path).map_err(|source| LoadError::Gtf {
                path: path.clone(),
                source,
            }),
            ModelFile::RefSeq(path) => {
                refseq::read_path(path).map_err(|source| LoadError::RefSeq {
                    path: path.clone(),
                    source,
                })
            }
        }
    }
}

/// Gene models and reference sequence, ready to annotate.
#[derive(Debug)]
pub struct Engine {
    models: GeneModels,
    genome: Genome,
    assembly: String,
    coding_cache: SequenceCache,
    /// The most bases one variant may span (`MAX_VARIANT_SPAN`): work and answer size per
    /// variant grow with it.
    max_variant_span: u64,
    /// Known-variant VCFs (`--custom`, `VEP_CUSTOM`); none by default.
    custom: CustomSources,
}

/// The data sets bundled under `data/`: GRCh38 chr21 test region and BRCA1.
pub const BUNDLED_SETS: [(&str, &str); 2] = [
    (
        "chr21/Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz",
        "chr21/GRCh38.chr21.vep_test_region.fa.gz",
    ),
    (
        "brca1/BRCA1.GRCh38.refseq_cdot.gff3.gz",
        "brca1/GRCh38.chr17.brca1_region.fa.gz",
    ),
];

impl Engine {
    pub fn new(models: GeneModels, genome: Genome, assembly: impl Into<String>) -> Self {
        Self {
            models,
            genome,
            assembly: assembly.into(),
            coding_cache: SequenceCache::new(CODING_CACHE_TRANSCRIPTS),
            max_variant_span: DEFAULT_MAX_VARIANT_SPAN,
            custom: CustomSources::default(),
        }
    }

    /// Known-variant sources whose records every annotation carries (`custom_annotations`).
    pub fn set_custom_sources(&mut self, custom: CustomSources) {
        self.custom = custom;
    }

    pub fn custom(&self) -> &CustomSources {
        &self.custom
    }

    /// Sets the most bases one variant may span; longer ones get [`AnnotateError::TooLarge`]
    /// (and `too_large` from the input parser) before any work is done for them.
    pub fn set_max_variant_span(&mut self, limit: u64) {
        self.max_variant_span = limit;
    }

    pub fn max_variant_span(&self) -> u64 {
        self.max_variant_span
    }

    fn check_span(&self, span: u64) -> Result<(), AnnotateError> {
        if span > self.max_variant_span {
            return Err(AnnotateError::TooLarge {
                span,
                limit: self.max_variant_span,
            });
        }
        Ok(())
    }

    /// Loads GFF3 gene models and indexed FASTA files (GRCh38).
    pub fn load(gff3s: &[PathBuf], fastas: &[PathBuf]) -> Result<Self, LoadError> {
        let files: Vec<ModelFile> = gff3s.iter().cloned().map(ModelFile::Gff3).collect();
        Self::load_files(&files, fastas)
    }

    /// Loads gene models in any supported dialect and indexed FASTA files (GRCh38).
    pub fn load_files(files: &[ModelFile], fastas: &[PathBuf]) -> Result<Self, LoadError> {
        if files.is_empty() || fastas.is_empty() {
            return Err(LoadError::Empty);
        }
        let mut transcripts = Vec::new();
        for file in files {
            transcripts.extend(file.read()?);
        }
        let models = GeneModels::new(transcripts);
        let mut genome = Genome::new();
        for path in fastas {
            genome.add_fasta(path)?;
        }
        Ok(Self::new(models, genome, "GRCh38"))
    }

    /// Loads the bundled data sets from a `data/` directory laid out like this crate's.
    pub fn load_bundled(dir: &Path) -> Result<Self, LoadError> {
        let gff3s: Vec<PathBuf> = BUNDLED_SETS.iter().map(|(g, _)| dir.join(g)).collect();
        let fastas: Vec<PathBuf> = BUNDLED_SETS.iter().map(|(_, f)| dir.join(f)).collect();
        Self::load(&gff3s, &fastas)
    }

    pub fn models(&self) -> &GeneModels {
        &self.models
    }

    pub fn genome(&self) -> &Genome {
        &self.genome
    }

    /// Annotates one variant against every transcript within 5 kb, like VEP without `--pick`.
    pub fn annotate(&self, variant: &Variant) -> Result<VariantAnnotation, AnnotateError> {
        self.check_span(Allele::vcf_length(
            variant.reference.as_bytes(),
            variant.alternate.as_bytes(),
        ))?;
        let chrom = self
            .genome
            .resolve(&variant.chrom)
            .ok_or_else(|| AnnotateError::UnknownContig(variant.chrom.clone()))?;
        self.check_alleles(&chrom, variant)?;
        let allele = Allele::from_variant(variant);
        let mut effects = Effects::default();
        self.annotate_allele(&chrom, &allele, &mut effects)?;
        let mut annotation = effects.to_annotation(variant, chrom, &allele, &self.assembly);
        self.custom.annotate(
            &annotation.seq_region_name,
            &allele,
            &mut annotation.custom_annotations,
        )?;
        Ok(annotation)
    }

    /// The effects of an allele already checked against the reference (`chrom` canonical),
    /// into `out` (cleared first; reuse it across variants to avoid allocating).
    pub fn annotate_allele<'m>(
        &'m self,
        chrom: &str,
        allele: &Allele,
        out: &mut Effects<'m>,
    ) -> Result<(), AnnotateError> {
        out.clear();
        self.check_span(allele.length())?;
        let (lo, hi) = allele.span();
        let candidates = self.models.overlapping_indexed(
            chrom,
            lo.saturating_sub(UPSTREAM_DOWNSTREAM_DISTANCE),
            hi + UPSTREAM_DOWNSTREAM_DISTANCE,
        )?;
        for (index, t) in candidates {
            if let Some(fx) = effect::transcript_effect(self, index, t, allele, &mut out.text)? {
                if let Some(worst) = fx.terms.most_severe() {
                    out.most_severe = Some(out.most_severe.map_or(worst, |m| m.min(worst)));
                }
                out.transcripts.push(fx);
            }
        }
        Ok(())
    }

    pub fn assembly(&self) -> &str {
        &self.assembly
    }

    fn check_alleles(&self, chrom: &str, v: &Variant) -> Result<(), AnnotateError> {
        let valid = |s: &str| s.bytes().all(|b| b"ACGTNacgtn".contains(&b));
        for allele in [&v.reference, &v.alternate] {
            if !valid(allele) {
                return Err(AnnotateError::InvalidAllele(allele.clone()));
            }
        }
        if v.reference.eq_ignore_ascii_case(&v.alternate) {
            return Err(AnnotateError::NoChange(format!(
                "{}/{}",
                v.reference, v.alternate
            )));
        }
        let length = self.genome.contig_length(chrom).unwrap_or(0);
        let last = v.pos + (v.reference.len() as u64).max(1) - 1;
        if v.pos == 0 || last > length {
            return Err(AnnotateError::OutOfBounds {
                chrom: chrom.to_string(),
                pos: v.pos,
                length,
            });
        }
        if v.reference.is_empty() {
            return Ok(());
        }
        let found = self.genome.sequence(chrom, v.pos, last)?;
        let matches = v
            .reference
            .bytes()
            .zip(&found)
            .all(|(g, f)| g.eq_ignore_ascii_case(f) || g.eq_ignore_ascii_case(&b'N'));
        if !matches {
            return Err(AnnotateError::ReferenceMismatch {
                given: v.reference.clone(),
                found: String::from_utf8_lossy(&found).into_owned(),
                chrom: chrom.to_string(),
                pos: v.pos,
            });
        }
        Ok(())
    }

    /// Reference bases `lo..=hi` of a transcript's chromosome, `None` when unreadable.
    fn bases(&self, t: &Transcript, lo: u64, hi: u64) -> Option<Vec<u8>> {
        self.genome.sequence(&t.chrom, lo, hi).ok()
    }
}

#[cfg(test)]
mod tests;
