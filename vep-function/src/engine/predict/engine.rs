//! The engine: gene models, reference sequence and custom sources, ready to annotate, and the
//! limits and caches every variant shares. Built by `load`; used by `scan` (effects of one
//! allele) and `output` (the typed annotation of one variant).

use super::custom::CustomSources;
use super::error::AnnotateError;
use super::sequence_cache::SequenceCache;
use crate::engine::input::DEFAULT_MAX_VARIANT_SPAN;
use crate::engine::models::gene_models::GeneModels;
use crate::engine::models::genome::Genome;
use crate::engine::models::transcript::Transcript;

/// Coding sequences kept for reuse by nearby variants (bounded; ~a few MB).
const CODING_CACHE_TRANSCRIPTS: usize = 128;

/// Gene models and reference sequence, ready to annotate.
#[derive(Debug)]
pub struct Engine {
    pub(super) models: GeneModels,
    pub(super) genome: Genome,
    assembly: String,
    pub(super) coding_cache: SequenceCache,
    /// The most bases one variant may span (`MAX_VARIANT_SPAN`): work and answer size per
    /// variant grow with it.
    max_variant_span: u64,
    /// Known-variant VCFs (`--custom`, `VEP_CUSTOM`); none by default.
    pub(super) custom: CustomSources,
}

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

    pub(crate) fn check_span(&self, span: u64) -> Result<(), AnnotateError> {
        if span > self.max_variant_span {
            return Err(AnnotateError::TooLarge {
                span,
                limit: self.max_variant_span,
            });
        }
        Ok(())
    }

    pub fn models(&self) -> &GeneModels {
        &self.models
    }

    pub fn genome(&self) -> &Genome {
        &self.genome
    }

    pub fn assembly(&self) -> &str {
        &self.assembly
    }

    /// Reference bases `lo..=hi` of a transcript's chromosome, `None` when unreadable.
    pub(super) fn bases(&self, t: &Transcript, lo: u64, hi: u64) -> Option<Vec<u8>> {
        self.genome.sequence(&t.chrom, lo, hi).ok()
    }
}

#[cfg(test)]
mod tests;
