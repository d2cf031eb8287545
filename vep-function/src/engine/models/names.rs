//! Transcripts by name: stable id (with and without version) and gene symbol, as numbers in
//! the contig-major order of [`super::group_by_contig`].

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::ModelsError;
use crate::engine::transcript::Transcript;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Names {
    /// Both `ENST00000352957` and `ENST00000352957.8`; where two transcripts share a name,
    /// the later one in the gene models wins.
    by_id: FxHashMap<String, u32>,
    /// In the order the gene models list them (the gene transcript rule picks the first).
    by_symbol: FxHashMap<String, Vec<u32>>,
}

impl Names {
    /// The tables of `transcripts` (in gene-model order), where transcript `i` is numbered
    /// `number[i]`.
    pub(super) fn build(transcripts: &[Transcript], number: &[usize]) -> Self {
        let mut names = Self::default();
        for (t, &n) in transcripts.iter().zip(number) {
            let n = n as u32;
            names.by_id.insert(t.id.clone(), n);
            names.by_id.insert(t.versioned_id(), n);
            if let Some(symbol) = &t.gene_symbol {
                names.by_symbol.entry(symbol.clone()).or_default().push(n);
            }
        }
        names
    }

    pub(super) fn by_id(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).map(|&n| n as usize)
    }

    pub(super) fn by_symbol(&self, symbol: &str) -> &[u32] {
        self.by_symbol.get(symbol).map_or(&[], Vec::as_slice)
    }

    /// Refuses tables naming a transcript beyond `total` (a file that does not fit its
    /// directory).
    pub(super) fn check(&self, total: usize) -> Result<(), ModelsError> {
        let numbers = self.by_id.values().chain(self.by_symbol.values().flatten());
        match numbers.copied().find(|&n| n as usize >= total) {
            Some(n) => Err(ModelsError(format!(
                "the name tables refer to transcript {n} of {total}"
            ))),
            None => Ok(()),
        }
    }
}
