//! HGVS names as VEP writes them: `ENST…:c.991G>A` (3'-shifted indels, `dup`, intron offsets,
//! `c.-N`/`c.*N`, `n.` for non-coding) and `ENSP…:p.Ala331Thr` (three-letter).

mod protein;
mod shift;

pub use self::{protein::hgvs_protein, shift::shift_3prime};

use crate::engine::{
    annotate::Allele,
    codon::reverse_complement,
    transcript::{Strand, Transcript, TxPosition},
};

/// The HGVS position of a genomic base on a transcript (`991`, `-14`, `*18`, `134-3865`).
pub fn position(t: &Transcript, pos: u64) -> Option<String> {
    position_with(t, pos, false)
}

/// `padded`: count CDS positions from the `N`-padded start of an incomplete CDS. VEP does so
/// only when naming exonic single-base substitutions; every other name counts from the first
/// real CDS base.
fn position_with(t: &Transcript, pos: u64, padded: bool) -> Option<String> {
    let coding = t.coding_cdna_range();
    let padding = if padded { t.cds_padding() } else { 0 };
    let cdna = |c: u64, padding: u64| match coding {
        Some((cs, _)) if c < cs => format!("-{}", cs - c),
        Some((_, ce)) if c > ce => format!("*{}", c - ce),
        Some((cs, _)) => (c - cs + 1 + padding).to_string(),
        None => c.to_string(),
    };
    match t.tx_position(pos) {
        TxPosition::Exonic(c) => Some(cdna(c, padding)),
        TxPosition::Intronic { anchor, offset } => Some(if offset >= 0 {
            format!("{}+{}", cdna(anchor, 0), offset)
        } else {
            format!("{}{}", cdna(anchor, 0), offset)
        }),
        TxPosition::Upstream(_) | TxPosition::Downstream(_) => None,
    }
}

fn range(t: &Transcript, lo: u64, hi: u64) -> Option<String> {
    let (first, last) = match t.strand {
        Strand::Forward => (lo, hi),
        Strand::Reverse => (hi, lo),
    };
    let a = position(t, first)?;
    if first == last {
        return Some(a);
    }
    Some(format!("{}_{}", a, position(t, last)?))
}

/// HGVSc of an allele that is already minimal and 3'-shifted. `base` reads the reference.
pub fn hgvs_transcript(
    t: &Transcript,
    allele: &Allele,
    base: &dyn Fn(u64, u64) -> Option<Vec<u8>>,
) -> Option<String> {
    let tx = |bases: &[u8]| -> String {
        let oriented = match t.strand {
            Strand::Forward => bases.to_vec(),
            Strand::Reverse => reverse_complement(bases),
        };
        String::from_utf8_lossy(&oriented).into_owned()
    };
    let kind = if t.is_coding() { "c" } else { "n" };
    let body = if allele.is_insertion() {
        let len = allele.alternate.len() as u64;
        // A copy of the bases 5' of the insertion (in transcript direction) is a duplication.
        let (dup_lo, dup_hi) = match t.strand {
            Strand::Forward => (allele.start.checked_sub(len)?, allele.start - 1),
            Strand::Reverse => (allele.start, allele.start + len - 1),
        };
        if dup_lo >= 1 && base(dup_lo, dup_hi).as_deref() == Some(&allele.alternate[..]) {
            format!("{}dup", range(t, dup_lo, dup_hi)?)
        } else {
            let (before, after) = match t.strand {
                Strand::Forward => (allele.end, allele.start),
                Strand::Reverse => (allele.start, allele.end),
            };
            format!(
                "{}_{}ins{}",
                position(t, before)?,
                position(t, after)?,
                tx(&allele.alternate)
            )
        }
    } else if allele.is_deletion() {
        format!("{}del", range(t, allele.start, allele.end)?)
    } else if allele.reference.len() == 1 && allele.alternate.len() == 1 {
        format!(
            "{}{}>{}",
            position_with(t, allele.start, true)?,
            tx(&allele.reference),
            tx(&allele.alternate)
        )
    } else {
        format!(
            "{}delins{}",
            range(t, allele.start, allele.end)?,
            tx(&allele.alternate)
        )
    };
    Some(format!("{}:{}.{}", t.versioned_id(), kind, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::transcript::{Coding, Interval};

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
        assert_eq!(hgvs_transcript(&t, &snv, &seq).unwrap(), "T.2:c.1A>G");
        let del = Allele {
            start: 152,
            end: 153,
            reference: b"AA".to_vec(),
            alternate: vec![],
        };
        assert_eq!(hgvs_transcript(&t, &del, &seq).unwrap(), "T.2:c.2_3del");
        let ins = Allele {
            start: 155,
            end: 154,
            reference: vec![],
            alternate: b"A".to_vec(),
        };
        assert_eq!(hgvs_transcript(&t, &ins, &seq).unwrap(), "T.2:c.4dup");
    }
}
