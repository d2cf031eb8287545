//! Transcripts by name: stable id (with and without version) and gene symbol, as numbers in
//! the contig-major order of [`super::group_by_contig`].
//!
//! Each table is its keys sorted and concatenated into one string, with their end offsets and
//! values beside: a look-up is a binary search, and reading the tables of a whole genome
//! (half a million ids) from an index is three buffers, not a hash map of small strings
//! (which took 0.2 s and 80 MB).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::ModelsError;
use crate::engine::models::transcript::Transcript;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Names {
    /// `ENST00000352957` and `ENST00000352957.8` -> transcript number; where two transcripts
    /// share a name, the later one in the gene models wins.
    by_id: Table,
    /// Symbol -> end of its run in `symbol_numbers` (the run starts where the previous ends).
    by_symbol: Table,
    /// Each symbol's transcripts in the order the gene models list them (the gene transcript
    /// rule picks the first that qualifies).
    symbol_numbers: Vec<u32>,
}

/// Sorted keys, concatenated, with the end of each key in `text` and its value.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Table {
    text: String,
    ends: Vec<u32>,
    values: Vec<u32>,
}

impl Table {
    fn from_sorted<'a>(entries: impl IntoIterator<Item = (&'a str, u32)>) -> Self {
        let mut table = Self::default();
        for (key, value) in entries {
            table.text.push_str(key);
            table.ends.push(table.text.len() as u32);
            table.values.push(value);
        }
        table
    }

    fn key(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    fn position(&self, key: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.ends.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.key(mid).cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// Offsets on character boundaries, rising, and keys strictly sorted: what `key` and the
    /// binary search rely on.
    fn check(&self, what: &str) -> Result<(), ModelsError> {
        let bad = |reason: &str| {
            Err(ModelsError(format!(
                "the {what} table is damaged: {reason}"
            )))
        };
        if self.ends.len() != self.values.len() {
            return bad("keys and values differ in number");
        }
        let mut start = 0;
        for &end in &self.ends {
            let end = end as usize;
            if end < start || end > self.text.len() || !self.text.is_char_boundary(end) {
                return bad("a key lies outside the text");
            }
            start = end;
        }
        if (1..self.ends.len()).any(|i| self.key(i - 1) >= self.key(i)) {
            return bad("keys out of order");
        }
        Ok(())
    }
}

impl Names {
    /// The tables of `transcripts` (in gene-model order), where transcript `i` is numbered
    /// `number[i]`.
    pub(super) fn build(transcripts: &[Transcript], number: &[usize]) -> Self {
        let mut by_id: HashMap<String, u32> = HashMap::new();
        let mut by_symbol: HashMap<&str, Vec<u32>> = HashMap::new();
        for (t, &n) in transcripts.iter().zip(number) {
            let n = n as u32;
            by_id.insert(t.id.clone(), n);
            by_id.insert(t.versioned_id(), n);
            if let Some(symbol) = &t.gene_symbol {
                by_symbol.entry(symbol).or_default().push(n);
            }
        }
        let mut ids: Vec<(&str, u32)> = by_id.iter().map(|(k, &v)| (k.as_str(), v)).collect();
        ids.sort_unstable();
        let mut symbols: Vec<(&str, Vec<u32>)> = by_symbol.into_iter().collect();
        symbols.sort_unstable_by_key(|(symbol, _)| *symbol);
        let mut symbol_numbers = Vec::new();
        let runs: Vec<(&str, u32)> = symbols
            .iter()
            .map(|(symbol, numbers)| {
                symbol_numbers.extend_from_slice(numbers);
                (*symbol, symbol_numbers.len() as u32)
            })
            .collect();
        Self {
            by_id: Table::from_sorted(ids),
            by_symbol: Table::from_sorted(runs),
            symbol_numbers,
        }
    }

    pub(super) fn by_id(&self, id: &str) -> Option<usize> {
        let i = self.by_id.position(id)?;
        Some(self.by_id.values[i] as usize)
    }

    pub(super) fn by_symbol(&self, symbol: &str) -> &[u32] {
        let Some(i) = self.by_symbol.position(symbol) else {
            return &[];
        };
        let start = if i == 0 {
            0
        } else {
            self.by_symbol.values[i - 1] as usize
        };
        &self.symbol_numbers[start..self.by_symbol.values[i] as usize]
    }

    /// Refuses tables read from a file that would mislead a look-up or name a transcript
    /// beyond `total`.
    pub(super) fn check(&self, total: usize) -> Result<(), ModelsError> {
        self.by_id.check("transcript id")?;
        self.by_symbol.check("gene symbol")?;
        let runs = &self.by_symbol.values;
        if runs.windows(2).any(|w| w[0] > w[1])
            || runs
                .last()
                .is_some_and(|&end| end as usize != self.symbol_numbers.len())
        {
            return Err(ModelsError("the gene symbol table is damaged".into()));
        }
        let numbers = self.by_id.values.iter().chain(&self.symbol_numbers);
        match numbers.copied().find(|&n| n as usize >= total) {
            Some(n) => Err(ModelsError(format!(
                "the name tables refer to transcript {n} of {total}"
            ))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bundled chr21 transcript renamed.
    fn transcript(id: &str, version: u32, symbol: Option<&str>) -> Transcript {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/chr21/Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz"
        );
        let mut t = crate::engine::models::loaders::gff3::read_path(std::path::Path::new(path))
            .unwrap()[0]
            .clone();
        t.id = id.into();
        t.version = Some(version);
        t.gene_symbol = symbol.map(String::from);
        t
    }

    #[test]
    fn finds_ids_with_and_without_version_and_symbols_in_gene_model_order() {
        let transcripts = [
            transcript("T2", 1, Some("B")),
            transcript("T1", 4, Some("A")),
            transcript("T3", 2, Some("B")),
            // A later transcript of the same id wins, as in a map filled in order.
            transcript("T1", 5, None),
        ];
        let names = Names::build(&transcripts, &[10, 11, 12, 13]);
        names.check(14).unwrap();
        assert_eq!(names.by_id("T1"), Some(13));
        assert_eq!(names.by_id("T1.4"), Some(11));
        assert_eq!(names.by_id("T3.2"), Some(12));
        assert_eq!(names.by_id("T3.1"), None);
        assert_eq!(names.by_id(""), None);
        assert_eq!(names.by_symbol("B"), &[10, 12]);
        assert_eq!(names.by_symbol("A"), &[11]);
        assert_eq!(names.by_symbol("C"), &[] as &[u32]);
        assert!(names.check(13).is_err(), "numbers beyond the models");
    }

    #[test]
    fn damaged_tables_are_refused() {
        let names = Names::build(&[transcript("T1", 1, Some("A"))], &[0]);
        let mut cut = names.clone();
        cut.by_id.ends[0] = 1000;
        assert!(cut.check(1).is_err());
        let mut unsorted = names.clone();
        unsorted.by_id.text = "T1.1T1".into();
        assert!(unsorted.check(1).is_err());
        let mut runs = names;
        runs.symbol_numbers.push(0);
        assert!(runs.check(1).is_err());
    }
}
