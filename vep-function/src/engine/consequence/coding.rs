//! Codon and peptide alleles of a change inside the CDS, and the coding consequence terms
//! VEP derives from them.

use super::Consequence;
use crate::engine::codon::CodonTable;

/// A change in CDS coordinates (1-based, Ensembl's phase-padded translateable sequence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CdsChange {
    /// Bases `start..=end` replaced (substitution, deletion, delins).
    Replace { start: u64, end: u64 },
    /// Bases inserted after CDS position `after`.
    Insert { after: u64 },
}

/// VEP's codon and amino-acid alleles for one transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peptides {
    /// Reference codons with the changed bases upper case (`Gca`), or empty.
    pub ref_codons: String,
    pub alt_codons: String,
    pub ref_aa: Vec<u8>,
    pub alt_aa: Vec<u8>,
    /// The reference codon block starts in the last, incomplete codon of the CDS.
    pub partial_codon: bool,
}

impl Peptides {
    /// `cds` is the translateable sequence (at least `cds_len` bases), transcript orientation;
    /// `alt` the replacement bases in the same orientation.
    pub fn compute(
        cds: &[u8],
        cds_len: u64,
        change: CdsChange,
        alt: &[u8],
        table: CodonTable,
    ) -> Option<Self> {
        let (block_start, block_end, from, to) = match change {
            CdsChange::Replace { start, end } => {
                if start == 0 || end < start || end > cds_len {
                    return None;
                }
                let bs = (start - 1) / 3 * 3 + 1;
                let be = (end.div_ceil(3) * 3).min(cds_len);
                (bs, be, start, end)
            }
            CdsChange::Insert { after } => {
                if after == 0 || after >= cds_len {
                    return None;
                }
                if after.is_multiple_of(3) {
                    (after + 1, after, after + 1, after)
                } else {
                    let bs = (after - 1) / 3 * 3 + 1;
                    (bs, (bs + 2).min(cds_len), after + 1, after)
                }
            }
        };
        let slice = |a: u64, b: u64| -> Option<&[u8]> {
            if a > b {
                return Some(&[]);
            }
            cds.get((a - 1) as usize..b as usize)
        };
        let before = slice(block_start, from - 1)?;
        let changed = slice(from, to)?;
        let after = slice(to + 1, block_end)?;
        let mut ref_codons = String::with_capacity(6);
        let mut alt_codons = String::with_capacity(6);
        let mut ref_seq = Vec::with_capacity(6);
        let mut alt_seq = Vec::with_capacity(6 + alt.len());
        for (part, upper, into_ref, into_alt) in [
            (before, false, true, true),
            (changed, true, true, false),
            (alt, true, false, true),
            (after, false, true, true),
        ] {
            for &b in part {
                let shown = if upper {
                    b.to_ascii_uppercase()
                } else {
                    b.to_ascii_lowercase()
                } as char;
                if into_ref {
                    ref_codons.push(shown);
                    ref_seq.push(b);
                }
                if into_alt {
                    alt_codons.push(shown);
                    alt_seq.push(b);
                }
            }
        }
        let full_codons = cds_len - cds_len % 3;
        Some(Self {
            ref_aa: table.translate(&ref_seq),
            alt_aa: table.translate(&alt_seq),
            ref_codons,
            alt_codons,
            partial_codon: !cds_len.is_multiple_of(3) && block_start > full_codons,
        })
    }

    /// `A/T`, or `A` when unchanged, `-` for none.
    pub fn amino_acids(&self) -> String {
        let show = |aa: &[u8]| {
            if aa.is_empty() {
                "-".to_string()
            } else {
                String::from_utf8_lossy(aa).into_owned()
            }
        };
        if self.ref_aa == self.alt_aa {
            show(&self.ref_aa)
        } else {
            format!("{}/{}", show(&self.ref_aa), show(&self.alt_aa))
        }
    }

    pub fn codons(&self) -> String {
        let show = |c: &str| {
            if c.is_empty() {
                "-".to_string()
            } else {
                c.to_string()
            }
        };
        format!("{}/{}", show(&self.ref_codons), show(&self.alt_codons))
    }
}

/// What a change inside the CDS does to the protein.
#[derive(Debug, Clone, Copy)]
pub struct CodingEffect<'a> {
    pub peptides: Option<&'a Peptides>,
    /// Reference and alternate lengths in bases of the CDS part of the change.
    pub ref_len: usize,
    pub alt_len: usize,
    /// The change touches CDS bases 1-3.
    pub touches_start_codon: bool,
    /// An indel at the stop codon after which a stop codon still ends the CDS (VEP then
    /// calls `stop_retained_variant` and not `frameshift_variant`).
    pub stop_kept_by_indel: bool,
}

impl CodingEffect<'_> {
    pub fn terms(&self, out: &mut Vec<Consequence>) {
        use Consequence::*;
        let frameshift =
            !self.ref_len.abs_diff(self.alt_len).is_multiple_of(3) && !self.stop_kept_by_indel;
        let Some(p) = self.peptides else {
            out.push(CodingSequenceVariant);
            return;
        };
        let (r, a) = (&p.ref_aa[..], &p.alt_aa[..]);
        let has_stop = |x: &[u8]| x.contains(&b'*');
        let stop_pos = |x: &[u8]| x.iter().position(|&c| c == b'*');
        let partial = p.partial_codon;
        let stop_gained = !partial && has_stop(a) && !has_stop(r);
        let stop_lost = !partial && has_stop(r) && !has_stop(a) && !self.stop_kept_by_indel;
        let start_lost = self.touches_start_codon
            && !partial
            && r.first() == Some(&b'M')
            && a.first() != Some(&b'M');
        let start_retained = self.touches_start_codon
            && !frameshift
            && !start_lost
            && r.first() == Some(&b'M')
            && a.first() == Some(&b'M');
        let stop_retained = self.stop_kept_by_indel
            || (!partial
                && !frameshift
                && has_stop(r)
                && has_stop(a)
                && stop_pos(r) == stop_pos(a));
        let synonymous =
            !partial && !frameshift && !r.is_empty() && r == a && !stop_retained && !start_retained;
        let missense = !partial
            && !frameshift
            && !stop_gained
            && !stop_lost
            && !start_lost
            && r.len() == a.len()
            && r != a;
        let inframe_insertion = !partial
            && !frameshift
            && self.alt_len > self.ref_len
            && (a.starts_with(r) || a.ends_with(r));
        // Unlike insertions, VEP calls any in-frame loss of bases a deletion (RKY/H).
        let inframe_deletion = !partial && !frameshift && self.ref_len > self.alt_len;
        let protein_altering = !partial
            && r.len() != a.len()
            && r.first() != Some(&b'*')
            && a.first() != Some(&b'*')
            && !(a.starts_with(r) || a.ends_with(r))
            && !inframe_deletion
            && !start_lost
            && !frameshift;
        let unknown = a.contains(&b'X')
            && !(frameshift
                || inframe_deletion
                || inframe_insertion
                || protein_altering
                || stop_retained);
        for (flag, term) in [
            (stop_gained, StopGained),
            (frameshift, FrameshiftVariant),
            (stop_lost, StopLost),
            (start_lost, StartLost),
            (inframe_insertion, InframeInsertion),
            (inframe_deletion, InframeDeletion),
            (missense, MissenseVariant),
            (protein_altering, ProteinAlteringVariant),
            (partial, IncompleteTerminalCodonVariant),
            (start_retained, StartRetainedVariant),
            (stop_retained, StopRetainedVariant),
            (synonymous, SynonymousVariant),
            (unknown || partial, CodingSequenceVariant),
        ] {
            if flag {
                out.push(term);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CDS: &[u8] = b"ATGGCAAAATGGTAA"; // M A K W *

    fn terms(change: CdsChange, alt: &[u8], ref_len: usize) -> (Peptides, Vec<Consequence>) {
        let p = Peptides::compute(CDS, 15, change, alt, CodonTable::Standard).unwrap();
        let mut out = Vec::new();
        CodingEffect {
            peptides: Some(&p),
            ref_len,
            alt_len: alt.len(),
            touches_start_codon: matches!(change, CdsChange::Replace { start, .. } if start <= 3),
            stop_kept_by_indel: false,
        }
        .terms(&mut out);
        (p, out)
    }

    #[test]
    fn marks_changed_bases_upper_case_and_calls_missense() {
        let (p, t) = terms(CdsChange::Replace { start: 4, end: 4 }, b"A", 1);
        assert_eq!(p.codons(), "Gca/Aca");
        assert_eq!(p.amino_acids(), "A/T");
        assert_eq!(t, vec![Consequence::MissenseVariant]);
    }

    #[test]
    fn calls_synonymous_stop_gained_and_stop_retained() {
        let (p, t) = terms(CdsChange::Replace { start: 6, end: 6 }, b"G", 1);
        assert_eq!(p.amino_acids(), "A");
        assert_eq!(t, vec![Consequence::SynonymousVariant]);
        let (_, t) = terms(CdsChange::Replace { start: 7, end: 7 }, b"T", 1);
        assert_eq!(t, vec![Consequence::StopGained]); // AAA -> TAA
        let (_, t) = terms(CdsChange::Replace { start: 15, end: 15 }, b"G", 1);
        assert_eq!(t, vec![Consequence::StopRetainedVariant]); // TAA -> TAG
    }

    #[test]
    fn calls_inframe_and_frameshift_indels() {
        let (p, t) = terms(CdsChange::Insert { after: 6 }, b"AAA", 0);
        assert_eq!(p.codons(), "-/AAA");
        assert_eq!(p.amino_acids(), "-/K");
        assert_eq!(t, vec![Consequence::InframeInsertion]);
        let (p, t) = terms(CdsChange::Insert { after: 5 }, b"CC", 0);
        assert_eq!(p.codons(), "gca/gcCCa");
        assert_eq!(t, vec![Consequence::FrameshiftVariant]);
        let (p, t) = terms(CdsChange::Replace { start: 4, end: 6 }, b"", 3);
        assert_eq!(p.amino_acids(), "A/-");
        assert_eq!(t, vec![Consequence::InframeDeletion]);
    }

    #[test]
    fn calls_start_lost_on_the_first_codon() {
        let (_, t) = terms(CdsChange::Replace { start: 2, end: 2 }, b"C", 1);
        assert_eq!(t, vec![Consequence::StartLost]);
    }
}
