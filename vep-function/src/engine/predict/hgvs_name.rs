//! HGVS names as VEP writes them: `ENST…:c.991G>A` (3'-shifted indels, `dup`, intron offsets,
//! `c.-N`/`c.*N`, `n.` for non-coding) and `ENSP…:p.Ala331Thr` (three-letter).

mod protein;
mod shift;

pub use self::{
    protein::{hgvs_protein, Predicates},
    shift::shift_3prime,
};

use super::codon::{complement, reverse_complement};
use crate::engine::input::Allele;
use crate::engine::models::transcript::{Strand, Transcript, TxPosition};

/// The HGVS position of a genomic base on a transcript (`991`, `-14`, `*18`, `134-3865`).
pub fn position(t: &Transcript, pos: u64) -> Option<String> {
    let mut out = String::new();
    push_position(&mut out, t, t.coding_cdna_range(), pos, false)?;
    Some(out)
}

/// Decimal digits of `n` appended to `out`. HGVS names are built for every variant x
/// transcript, so they are written straight into one buffer instead of via `format!`.
pub(crate) fn push_number(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// A cDNA position in c./n. numbering (`-N` in the 5' UTR, `*N` in the 3' UTR).
fn push_cdna(out: &mut String, coding: Option<(u64, u64)>, c: u64, padding: u64) {
    match coding {
        Some((cs, _)) if c < cs => {
            out.push('-');
            push_number(out, cs - c);
        }
        Some((_, ce)) if c > ce => {
            out.push('*');
            push_number(out, c - ce);
        }
        Some((cs, _)) => push_number(out, c - cs + 1 + padding),
        None => push_number(out, c),
    }
}

/// Appends the HGVS position of genomic `pos` (`coding` is the transcript's
/// `coding_cdna_range`); `None` outside the transcript (the buffer is then to be dropped).
fn push_position(
    out: &mut String,
    t: &Transcript,
    coding: Option<(u64, u64)>,
    pos: u64,
    padded: bool,
) -> Option<()> {
    let padding = if padded { t.cds_padding() } else { 0 };
    match t.tx_position(pos) {
        TxPosition::Exonic(c) => push_cdna(out, coding, c, padding),
        TxPosition::Intronic { anchor, offset } => {
            push_cdna(out, coding, anchor, 0);
            out.push(if offset >= 0 { '+' } else { '-' });
            push_number(out, offset.unsigned_abs());
        }
        TxPosition::Upstream(_) | TxPosition::Downstream(_) => return None,
    }
    Some(())
}

fn push_range(
    out: &mut String,
    t: &Transcript,
    coding: Option<(u64, u64)>,
    lo: u64,
    hi: u64,
) -> Option<()> {
    let (first, last) = match t.strand {
        Strand::Forward => (lo, hi),
        Strand::Reverse => (hi, lo),
    };
    push_position(out, t, coding, first, false)?;
    if first != last {
        out.push('_');
        push_position(out, t, coding, last, false)?;
    }
    Some(())
}

/// Bases in transcript orientation.
fn push_bases(out: &mut String, t: &Transcript, bases: &[u8]) {
    // Bases are ASCII (checked alleles, FASTA letters): no copy needed on the hot path.
    if bases.is_ascii() {
        match t.strand {
            Strand::Forward => out.extend(bases.iter().map(|&b| char::from(b))),
            Strand::Reverse => out.extend(bases.iter().rev().map(|&b| char::from(complement(b)))),
        }
        return;
    }
    match t.strand {
        Strand::Forward => out.push_str(&String::from_utf8_lossy(bases)),
        Strand::Reverse => out.push_str(&String::from_utf8_lossy(&reverse_complement(bases))),
    }
}

/// How VEP's `hgvs_variant_notation` (`Utils/Sequence.pm`) names a change whose two alleles
/// have the same length. It decides on the allele as submitted, before bases shared by REF and
/// ALT are clipped (`_clip_alleles` then trims them but keeps the type): one base is a
/// substitution; an ALT that is the reverse complement of REF is an inversion (`c.4_5inv`,
/// written `c.4A>T` when clipping leaves one base); anything else is a deletion-insertion,
/// even when clipping leaves one base (`c.5delinsT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replacement {
    Substitution,
    Inversion,
    DelIns,
}

impl Replacement {
    /// `None` unless REF and ALT are non-empty and of the same length.
    pub fn of(allele: &Allele) -> Option<Self> {
        let (r, a) = (&allele.reference, &allele.alternate);
        if r.is_empty() || r.len() != a.len() {
            return None;
        }
        Some(if r.len() == 1 {
            Replacement::Substitution
        } else if a.iter().copied().eq(r.iter().rev().map(|&b| complement(b))) {
            Replacement::Inversion
        } else {
            Replacement::DelIns
        })
    }
}

/// HGVSc of an allele that is already minimal and 3'-shifted. `base` reads the reference;
/// `replacement` is [`Replacement::of`] the allele as submitted (before clipping).
pub fn hgvs_transcript(
    t: &Transcript,
    allele: &Allele,
    base: &dyn Fn(u64, u64) -> Option<Vec<u8>>,
    replacement: Option<Replacement>,
) -> Option<String> {
    let mut out = String::with_capacity(48);
    push_hgvs_transcript(&mut out, t, allele, base, replacement)?;
    Some(out)
}

/// [`hgvs_transcript`] appended to `out` (the engine keeps all of a variant's text in one
/// buffer). On `None`, `out` may hold a partial name: the caller truncates it.
pub fn push_hgvs_transcript(
    out: &mut String,
    t: &Transcript,
    allele: &Allele,
    base: &dyn Fn(u64, u64) -> Option<Vec<u8>>,
    replacement: Option<Replacement>,
) -> Option<()> {
    let coding = t.coding_cdna_range();
    out.push_str(&t.id);
    if let Some(v) = t.version {
        out.push('.');
        push_number(out, u64::from(v));
    }
    out.push_str(if t.is_coding() { ":c." } else { ":n." });
    if allele.is_insertion() {
        let len = allele.alternate.len() as u64;
        // A copy of the bases 5' of the insertion (in transcript direction) is a duplication.
        let (dup_lo, dup_hi) = match t.strand {
            Strand::Forward => (allele.start.checked_sub(len)?, allele.start - 1),
            Strand::Reverse => (allele.start, allele.start + len - 1),
        };
        if dup_lo >= 1 && base(dup_lo, dup_hi).as_deref() == Some(&allele.alternate[..]) {
            push_range(out, t, coding, dup_lo, dup_hi)?;
            out.push_str("dup");
        } else {
            let (before, after) = match t.strand {
                Strand::Forward => (allele.end, allele.start),
                Strand::Reverse => (allele.start, allele.end),
            };
            push_position(out, t, coding, before, false)?;
            out.push('_');
            push_position(out, t, coding, after, false)?;
            out.push_str("ins");
            push_bases(out, t, &allele.alternate);
        }
    } else if allele.is_deletion() {
        push_range(out, t, coding, allele.start, allele.end)?;
        out.push_str("del");
    } else if allele.reference.len() == 1 && allele.alternate.len() == 1 {
        if replacement == Some(Replacement::DelIns) {
            push_position(out, t, coding, allele.start, false)?;
            out.push_str("delins");
            push_bases(out, t, &allele.alternate);
            return Some(());
        }
        // VEP numbers a submitted single-base substitution from the padded CDS (`cds_start`)
        // and a longer change clipped to one base from the cDNA (`_get_cDNA_position`).
        let padded = replacement != Some(Replacement::Inversion);
        push_position(out, t, coding, allele.start, padded)?;
        push_bases(out, t, &allele.reference);
        out.push('>');
        push_bases(out, t, &allele.alternate);
    } else if replacement == Some(Replacement::Inversion) {
        push_range(out, t, coding, allele.start, allele.end)?;
        out.push_str("inv");
    } else {
        push_range(out, t, coding, allele.start, allele.end)?;
        out.push_str("delins");
        push_bases(out, t, &allele.alternate);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::models::transcript::{Coding, Interval};

    /// Forward transcript: exons 101-200 and 301-400, CDS 151-350 (cDNA 51-150).
    fn forward() -> Transcript {
        Transcript {
            id: "T".into(),
            version: Some(2),
            gene_id: "G".into(),
            gene_symbol: None,
            hgnc_id: None,
            biotype: "protein_coding".into(),
            chrom: "1".into(),
            strand: Strand::Forward,
            exons: vec![
                Interval {
                    start: 101,
                    end: 200,
                },
                Interval {
                    start: 301,
                    end: 400,
                },
            ],
            coding: Some(Coding {
                segments: vec![
                    Interval {
                        start: 151,
                        end: 200,
                    },
                    Interval {
                        start: 301,
                        end: 350,
                    },
                ],
                start_phase: 0,
                protein_id: None,
                start_incomplete: false,
                end_incomplete: false,
            }),
            canonical: false,
            mane_select: false,
            mane_plus_clinical: false,
            source: "Ensembl".into(),
            derived: Default::default(),
        }
    }

    #[test]
    fn numbers_utr_cds_and_intron_positions() {
        let t = forward();
        assert_eq!(position(&t, 150).as_deref(), Some("-1"));
        assert_eq!(position(&t, 151).as_deref(), Some("1"));
        assert_eq!(position(&t, 201).as_deref(), Some("50+1"));
        assert_eq!(position(&t, 300).as_deref(), Some("51-1"));
        assert_eq!(position(&t, 351).as_deref(), Some("*1"));
        assert_eq!(position(&t, 99), None);
    }

    #[test]
    fn names_substitutions_deletions_and_duplications() {
        let t = forward();
        let seq = |lo: u64, hi: u64| Some(vec![b'A'; (hi + 1 - lo) as usize]);
        let snv = Allele {
            start: 151,
            end: 151,
            reference: b"A".to_vec(),
            alternate: b"G".to_vec(),
        };
        assert_eq!(hgvs_transcript(&t, &snv, &seq, None).unwrap(), "T.2:c.1A>G");
        let del = Allele {
            start: 152,
            end: 153,
            reference: b"AA".to_vec(),
            alternate: vec![],
        };
        assert_eq!(
            hgvs_transcript(&t, &del, &seq, None).unwrap(),
            "T.2:c.2_3del"
        );
        let ins = Allele {
            start: 155,
            end: 154,
            reference: vec![],
            alternate: b"A".to_vec(),
        };
        assert_eq!(hgvs_transcript(&t, &ins, &seq, None).unwrap(), "T.2:c.4dup");
    }

    fn change(start: u64, r: &[u8], a: &[u8]) -> Allele {
        Allele {
            start,
            end: start + r.len() as u64 - 1,
            reference: r.to_vec(),
            alternate: a.to_vec(),
        }
    }

    #[test]
    fn types_same_length_changes_before_clipping_like_vep() {
        let t = forward();
        let seq = |lo: u64, hi: u64| Some(vec![b'A'; (hi + 1 - lo) as usize]);
        let name = |submitted: Allele| {
            let kind = Replacement::of(&submitted);
            hgvs_transcript(&t, &submitted.minimal(), &seq, kind).unwrap()
        };
        // ALT is the reverse complement of REF: an inversion, also after clipping.
        assert_eq!(name(change(154, b"AC", b"GT")), "T.2:c.4_5inv");
        assert_eq!(name(change(154, b"AAGT", b"ACTT")), "T.2:c.5_6inv");
        // Clipped to one base, an inversion is written as a substitution.
        assert_eq!(name(change(154, b"AAT", b"ATT")), "T.2:c.5A>T");
        // Anything else stays a deletion-insertion, even when one base is left.
        assert_eq!(name(change(154, b"GA", b"GT")), "T.2:c.5delinsT");
        assert_eq!(name(change(154, b"AGGG", b"GCTG")), "T.2:c.4_6delinsGCT");
        assert_eq!(
            Replacement::of(&change(154, b"A", b"G")),
            Some(Replacement::Substitution)
        );
    }
}
