//! Codon and peptide alleles of a change inside the CDS, and the coding consequence terms
//! VEP derives from them.

mod stop;

use self::stop::stop_retained;
pub(crate) use self::stop::{protein_len, translation_span};
use super::Consequence;
use crate::engine::predict::codon::CodonTable;

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
            ref_aa: peptide(table, &ref_seq),
            alt_aa: peptide(table, &alt_seq),
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

/// VEP's peptide of a codon block (`TranscriptVariationAllele::peptide`): whole codons
/// translated, then `X` for a trailing partial codon, except after a lone stop (`TAAG` is `*`).
fn peptide(table: CodonTable, bases: &[u8]) -> Vec<u8> {
    let mut out = table.translate(&bases[..bases.len() - bases.len() % 3]);
    if !bases.len().is_multiple_of(3) && out != b"*" {
        out.push(b'X');
    }
    out
}

/// Where a change sits in the CDS and what it puts there: what VEP's stop predicates look at
/// beyond the codon block (`ref_eq_alt_sequence`, `_ins_del_stop_altered`).
#[derive(Debug, Clone, Copy)]
pub struct ChangeSite<'a> {
    /// The translateable sequence (padded CDS), at least `cds_len` bases, maybe followed by
    /// the 3' UTR.
    pub seq: &'a [u8],
    pub cds_len: u64,
    pub change: CdsChange,
    /// The replacement bases, transcript orientation.
    pub alt: &'a [u8],
    pub table: CodonTable,
    /// The model's CDS end is incomplete (`cds_end_NF`): VEP never looks for a stop there.
    pub end_incomplete: bool,
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
    pub site: ChangeSite<'a>,
}

impl CodingEffect<'_> {
    /// VEP 115's coding predicates (`Utils/VariationEffect.pm`), on the submitted allele.
    pub fn terms(&self, out: &mut Vec<Consequence>) {
        use Consequence::*;
        let Some(p) = self.peptides else {
            out.push(CodingSequenceVariant);
            return;
        };
        let (r, a) = (&p.ref_aa[..], &p.alt_aa[..]);
        let has_stop = |x: &[u8]| x.contains(&b'*');
        let has_unknown = |x: &[u8]| x.contains(&b'X');
        let partial = p.partial_codon;
        // `stop_retained` comes first: `frameshift` and `stop_gained` give way to it.
        let stop_retained = !partial && stop_retained(p, self.ref_len, self.alt_len, &self.site);
        let frameshift =
            !partial && !stop_retained && !self.ref_len.abs_diff(self.alt_len).is_multiple_of(3);
        let stop_gained = !partial && !stop_retained && has_stop(a) && !has_stop(r);
        let stop_lost = !partial && has_stop(r) && !has_stop(a);
        let start_lost = self.touches_start_codon
            && !partial
            && r.first() == Some(&b'M')
            && a.first() != Some(&b'M');
        let start_retained = self.touches_start_codon
            && !frameshift
            && !start_lost
            && r.first() == Some(&b'M')
            && a.first() == Some(&b'M');
        let synonymous = !partial
            && !frameshift
            && !r.is_empty()
            && r == a
            && !stop_retained
            && !start_retained
            && !has_unknown(r)
            && !has_unknown(a);
        let missense = !partial
            && !frameshift
            && !stop_gained
            && !stop_lost
            && !start_lost
            && r.len() == a.len()
            && r != a;
        // `inframe_insertion` reads the alternate peptide only up to its first stop: `S` ->
        // `*S` is no insertion (the stop comes first), `S` -> `S*K` is one.
        let alt_to_stop = a
            .iter()
            .position(|&x| x == b'*')
            .map_or(a, |stop| &a[..=stop]);
        let inframe_insertion = !partial
            && !frameshift
            && !start_lost
            && self.alt_len > self.ref_len
            && (!start_retained || !a.ends_with(r))
            && (alt_to_stop.starts_with(r) || alt_to_stop.ends_with(r));
        let inframe_deletion =
            !partial && !frameshift && self.ref_len > self.alt_len && codons_lose_bases(p);
        let protein_altering = !partial
            && r.len() != a.len()
            && r.first() != Some(&b'*')
            && a.first() != Some(&b'*')
            && !(a.starts_with(r) || a.ends_with(r))
            && !inframe_deletion
            && !start_lost
            && !frameshift;
        let unknown = (has_unknown(a) || has_unknown(r))
            && !(frameshift
                || inframe_deletion
                || protein_altering
                || start_retained
                || start_lost
                || stop_retained
                || stop_lost);
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

/// VEP's `inframe_deletion` test on the codon blocks: the alternate codons are a prefix or a
/// suffix of the reference ones, or what is left after trimming shared ends is a whole
/// number of reference codons (`CTTAGA` -> `CTA`... e.g. `RKY/H` keeps its flanks).
fn codons_lose_bases(p: &Peptides) -> bool {
    let (r, a) = (p.ref_codons.as_bytes(), p.alt_codons.as_bytes());
    let same = |x: &[u8], y: &[u8]| x.eq_ignore_ascii_case(y);
    if a.len() >= r.len() {
        return false;
    }
    if same(&r[..a.len()], a) || same(&r[r.len() - a.len()..], a) {
        return true;
    }
    let prefix = r
        .iter()
        .zip(a)
        .take_while(|(x, y)| x.eq_ignore_ascii_case(y))
        .count();
    let (r, a) = (&r[prefix..], &a[prefix..]);
    let suffix = r
        .iter()
        .rev()
        .zip(a.iter().rev())
        .take_while(|(x, y)| x.eq_ignore_ascii_case(y))
        .count();
    a.len() == suffix && (r.len() - suffix).is_multiple_of(3)
}

#[cfg(test)]
mod tests {
    use super::*;

    // M A K W *, then 3' UTR.
    const SEQ: &[u8] = b"ATGGCAAAATGGTAAGCATAA";

    fn terms(change: CdsChange, alt: &[u8], ref_len: usize) -> (Peptides, Vec<Consequence>) {
        let table = CodonTable::Standard;
        let p = Peptides::compute(SEQ, 15, change, alt, table).unwrap();
        let mut out = Vec::new();
        CodingEffect {
            peptides: Some(&p),
            ref_len,
            alt_len: alt.len(),
            touches_start_codon: matches!(change, CdsChange::Replace { start, .. } if start <= 3),
            site: ChangeSite {
                seq: SEQ,
                cds_len: 15,
                change,
                alt,
                table,
                end_incomplete: false,
            },
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
    fn an_insertion_that_keeps_the_last_residue_retains_the_stop() {
        use Consequence::*;
        // Trp4 TGG -> TGgGG: W -> WX grows the protein by one residue past its end.
        let (p, t) = terms(CdsChange::Insert { after: 11 }, b"G", 0);
        assert_eq!(p.amino_acids(), "W/WX");
        assert_eq!(t, vec![InframeInsertion, StopRetainedVariant]);
        // The same at Lys3 is a frameshift: the protein after it no longer reads the same.
        let (_, t) = terms(CdsChange::Insert { after: 8 }, b"A", 0);
        assert_eq!(t, vec![FrameshiftVariant]);
    }

    #[test]
    fn a_stop_before_the_kept_residue_is_stop_gained_alone() {
        use Consequence::*;
        // Trp4 TGG -> T AAT GG = TAA TGG: W -> *W, the stop first.
        let (p, t) = terms(CdsChange::Insert { after: 10 }, b"AAT", 0);
        assert_eq!(p.amino_acids(), "W/*W");
        assert_eq!(t, vec![StopGained]);
        // The reference residue kept first and a stop after it: VEP 115's first
        // `ref_eq_alt_sequence` clause calls that a retained stop.
        let (p, t) = terms(CdsChange::Insert { after: 9 }, b"TGA", 0);
        assert_eq!(p.amino_acids(), "-/*");
        assert_eq!(t, vec![StopGained, InframeInsertion]);
        // Lys3 AAA -> AA GTA A = AAG TAA: K -> K*.
        let (p, t) = terms(CdsChange::Insert { after: 8 }, b"GTA", 0);
        assert_eq!(p.amino_acids(), "K/K*");
        assert_eq!(t, vec![InframeInsertion, StopRetainedVariant]);
    }

    #[test]
    fn unknown_residues_are_never_synonymous() {
        // A padded first codon reads NNA: X whatever changes in it.
        let seq = b"NNAGCAAAATGGTAA";
        let table = CodonTable::Standard;
        let change = CdsChange::Replace { start: 3, end: 3 };
        let p = Peptides::compute(seq, 15, change, b"G", table).unwrap();
        let mut out = Vec::new();
        CodingEffect {
            peptides: Some(&p),
            ref_len: 1,
            alt_len: 1,
            touches_start_codon: false,
            site: ChangeSite {
                seq,
                cds_len: 15,
                change,
                alt: b"G",
                table,
                end_incomplete: false,
            },
        }
        .terms(&mut out);
        assert_eq!(out, vec![Consequence::CodingSequenceVariant]);
    }

    #[test]
    fn calls_start_lost_on_the_first_codon() {
        let (_, t) = terms(CdsChange::Replace { start: 2, end: 2 }, b"C", 1);
        assert_eq!(t, vec![Consequence::StartLost]);
    }
}
