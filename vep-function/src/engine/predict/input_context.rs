//! The engine answers the input parser's questions (contig names, transcripts, reference).

use super::engine::Engine;
use crate::engine::input::{InputContext, InputError};
use crate::engine::models::transcript::Transcript;

impl InputContext for Engine {
    fn canonical_chrom(&self, name: &str) -> Option<String> {
        self.genome.resolve(name)
    }

    fn transcript(&self, id: &str) -> Result<Option<&Transcript>, InputError> {
        Ok(self.models.transcript(id)?)
    }

    fn gene_transcript(&self, symbol: &str) -> Result<Option<&Transcript>, InputError> {
        Ok(self.models.gene_transcript(symbol)?)
    }

    fn reference(&self, chrom: &str, start: u64, end: u64) -> Option<Vec<u8>> {
        self.genome.sequence(chrom, start, end).ok()
    }

    fn max_variant_span(&self) -> u64 {
        self.max_variant_span()
    }
}
