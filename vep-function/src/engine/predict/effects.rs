//! One allele's consequences as the engine computes them, before any output shape: the
//! transcripts are borrowed from the loaded models, consequence terms are a bit set, and the
//! computed text (HGVS, codons, amino acids) sits in one buffer. The buffer is reused from
//! variant to variant, so the hot path allocates (almost) nothing: the VCF writer prints CSQ
//! straight from it, and `output` builds the JSON-shaped annotation from it on demand.

use std::ops::Range;

use super::consequence::{Consequence, Impact, ALL};
use super::hgvs_name::push_number;
use crate::engine::models::transcript::Transcript;

/// A set of consequence terms; iterates in VEP's severity order (sorted, no duplicates).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TermSet(u32);

impl TermSet {
    pub fn insert(&mut self, c: Consequence) {
        self.0 |= 1 << (c as u32);
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn contains(self, c: Consequence) -> bool {
        self.0 & (1 << (c as u32)) != 0
    }

    /// The terms, most severe first (the enum's order is VEP's severity order).
    pub fn iter(self) -> impl Iterator<Item = Consequence> {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            let next = ALL.get(bits.trailing_zeros() as usize).copied();
            bits &= bits.wrapping_sub(1);
            next
        })
    }

    pub fn most_severe(self) -> Option<Consequence> {
        ALL.get(self.0.trailing_zeros() as usize).copied()
    }

    /// The highest impact among the terms (VEP's `IMPACT`): that of the most severe term,
    /// as impacts never rise along the severity order (see the tests).
    pub fn impact(self) -> Impact {
        self.most_severe()
            .map_or(Impact::Modifier, Consequence::impact)
    }
}

/// One transcript's consequences for the allele. Text fields are ranges into
/// [`Effects::text`].
#[derive(Debug, Clone)]
pub struct TxEffect<'m> {
    /// The transcript's index in the gene models.
    pub index: usize,
    pub transcript: &'m Transcript,
    pub terms: TermSet,
    pub cdna: (Option<u64>, Option<u64>),
    pub cds: (Option<u64>, Option<u64>),
    pub protein: (Option<u64>, Option<u64>),
    pub amino_acids: Option<Range<usize>>,
    pub codons: Option<Range<usize>>,
    /// 0-based indices of the first and last overlapped exon (transcript order).
    pub exon: Option<(usize, usize)>,
    /// 0-based indices of the first and last overlapped intron (transcript order).
    pub intron: Option<(usize, usize)>,
    pub distance: Option<u64>,
    pub hgvsc: Option<Range<usize>>,
    pub hgvsp: Option<Range<usize>>,
    pub hgvs_offset: Option<i64>,
}

impl<'m> TxEffect<'m> {
    pub fn new(index: usize, transcript: &'m Transcript) -> Self {
        Self {
            index,
            transcript,
            terms: TermSet::default(),
            cdna: (None, None),
            cds: (None, None),
            protein: (None, None),
            amino_acids: None,
            codons: None,
            exon: None,
            intron: None,
            distance: None,
            hgvsc: None,
            hgvsp: None,
            hgvs_offset: None,
        }
    }
}

/// Every transcript consequence of one allele, plus the text they point into. Reuse one
/// value across variants: [`Effects::clear`] keeps the capacity.
#[derive(Debug, Default)]
pub struct Effects<'m> {
    pub transcripts: Vec<TxEffect<'m>>,
    pub text: String,
    /// The most severe term over all transcripts; `intergenic_variant` when there are none.
    pub most_severe: Option<Consequence>,
}

impl<'m> Effects<'m> {
    pub fn clear(&mut self) {
        self.transcripts.clear();
        self.text.clear();
        self.most_severe = None;
    }

    /// A text field of one of the transcript effects.
    pub fn text(&self, range: &Option<Range<usize>>) -> Option<&str> {
        range.as_ref().and_then(|r| self.text.get(r.clone()))
    }

    pub fn most_severe(&self) -> Consequence {
        self.most_severe.unwrap_or(Consequence::IntergenicVariant)
    }
}

/// `cds_start_NF` / `cds_end_NF` where the model's CDS is incomplete.
pub fn flags(t: &Transcript) -> impl Iterator<Item = &'static str> + '_ {
    let coding = t.coding.as_ref();
    [
        (coding.is_some_and(|c| c.start_incomplete), "cds_start_NF"),
        (coding.is_some_and(|c| c.end_incomplete), "cds_end_NF"),
    ]
    .into_iter()
    .filter_map(|(set, flag)| set.then_some(flag))
}

/// `3/11` or `2-3/11` from 0-based first/last indices, appended to `out`.
pub fn push_number_span(out: &mut String, (first, last): (usize, usize), total: usize) {
    push_number(out, first as u64 + 1);
    if first != last {
        out.push('-');
        push_number(out, last as u64 + 1);
    }
    out.push('/');
    push_number(out, total as u64);
}

/// Appends `s` to `text` and returns where it went.
pub(crate) fn stash(text: &mut String, s: &str) -> Range<usize> {
    let from = text.len();
    text.push_str(s);
    from..text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_sets_iterate_in_severity_order_without_duplicates() {
        for (i, c) in ALL.iter().enumerate() {
            assert_eq!(
                *c as usize, i,
                "ALL must list the terms in declaration order"
            );
        }
        let mut set = TermSet::default();
        for c in [
            Consequence::IntronVariant,
            Consequence::SpliceRegionVariant,
            Consequence::IntronVariant,
            Consequence::StopGained,
        ] {
            set.insert(c);
        }
        let terms: Vec<Consequence> = set.iter().collect();
        assert_eq!(
            terms,
            [
                Consequence::StopGained,
                Consequence::SpliceRegionVariant,
                Consequence::IntronVariant
            ]
        );
        assert_eq!(set.impact(), Impact::High);
        assert_eq!(set.most_severe(), Some(Consequence::StopGained));
        assert_eq!(TermSet::default().impact(), Impact::Modifier);
    }
}
