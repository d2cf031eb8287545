//! VEP 115's `stop_retained` (`Utils/VariationEffect.pm`): whether a change leaves the
//! protein's stop where it was. `frameshift_variant` and `stop_gained` give way to it, which
//! is how a frameshift at the last codon becomes `inframe_insertion,stop_retained_variant`.

use super::{CdsChange, ChangeSite, Peptides};
use crate::engine::predict::codon::CodonTable;

/// With an alternate peptide, `ref_eq_alt_sequence`; without one (whole codons deleted), the
/// length-changing change overlaps the stop codon and the codon now at its place is a stop.
pub(super) fn stop_retained(
    p: &Peptides,
    ref_len: usize,
    alt_len: usize,
    site: &ChangeSite<'_>,
) -> bool {
    if site.end_incomplete {
        return false;
    }
    if p.alt_aa.is_empty() {
        return ref_len != alt_len && overlaps_stop_codon(site) && stop_codon_in_place(site);
    }
    ref_eq_alt_sequence(&p.ref_aa, &p.alt_aa, site)
}

/// Protein positions (1-based) of the codons a change touches, as Ensembl maps them: an
/// insertion between codons `k` and `k + 1` is `(k + 1, k)`.
pub(crate) fn translation_span(change: CdsChange) -> (u64, u64) {
    match change {
        CdsChange::Replace { start, end } => ((start - 1) / 3 + 1, (end - 1) / 3 + 1),
        CdsChange::Insert { after } => (after / 3 + 1, after.saturating_sub(1) / 3 + 1),
    }
}

/// Residues of the reference protein (`_peptide`: the translated CDS without a final stop).
pub(crate) fn protein_len(seq: &[u8], cds_len: u64, table: CodonTable) -> u64 {
    let codons = cds_len / 3;
    let last = (codons.saturating_sub(1) * 3) as usize;
    let ends_in_stop = cds_len.is_multiple_of(3)
        && seq
            .get(last..last + 3)
            .is_some_and(|c| table.translate_codon(c) == b'*');
    codons - u64::from(ends_in_stop)
}

fn residue(site: &ChangeSite<'_>, position: u64) -> Option<u8> {
    let at = ((position - 1) * 3) as usize;
    site.seq
        .get(at..at + 3)
        .map(|codon| site.table.translate_codon(codon))
}

/// The three clauses VEP 115 ORs together (`ref_eq_alt_sequence`):
/// 1. the reference peptide is one residue, the alternate starts with it and has a stop
///    anywhere (`L` -> `LG*AX`);
/// 2. the protein with the alternate peptide in place still reads the whole reference
///    protein and grows by one or two residues past its end (a change at the last residue
///    that keeps it: `E` -> `EX`);
/// 3. both peptides have their first stop at the same index (`*` -> `*`, `E*` -> `D*`).
///
/// A change from the stop codon on (its first codon past the protein) is judged by 1 and 3
/// only: VEP calls `TAA` -> `CAA` `stop_lost` and an insertion of `GGG` before the stop
/// `inframe_insertion`, neither `stop_retained` (its own tests).
fn ref_eq_alt_sequence(r: &[u8], a: &[u8], site: &ChangeSite<'_>) -> bool {
    if r == b"X" && a == b"X" {
        return false;
    }
    let first_stop = |x: &[u8]| x.iter().position(|&c| c == b'*');
    let keeps_residue_then_stops = r.len() == 1 && a.first() == r.first() && a.contains(&b'*');
    let stop_in_place = first_stop(r).is_some() && first_stop(r) == first_stop(a);
    if keeps_residue_then_stops || stop_in_place {
        return true;
    }
    let (tl_start, tl_end) = translation_span(site.change);
    let len = protein_len(site.seq, site.cds_len, site.table);
    if tl_start > len {
        return false;
    }
    // Residues of the reference the alternate peptide replaces: tl_start..=tl_end, or none
    // for an insertion between codons; at most up to the protein's end.
    let replaced = (tl_end.min(len) + 1).saturating_sub(tl_start);
    let grows = (a.len() as u64).checked_sub(replaced);
    if !matches!(grows, Some(1 | 2)) {
        return false;
    }
    // The edited protein from tl_start on is `a` then the reference after tl_end; its first
    // `len - tl_start + 1` residues must be the reference's own.
    let tail = (tl_end + 1..=len).filter_map(|p| residue(site, p));
    a.iter()
        .copied()
        .chain(tail)
        .zip(tl_start..=len)
        .all(|(x, p)| residue(site, p) == Some(x))
}

/// The change overlaps the stop codon (the CDS's last three bases).
fn overlaps_stop_codon(site: &ChangeSite<'_>) -> bool {
    let stop_start = site.cds_len.saturating_sub(2);
    match site.change {
        CdsChange::Replace { start, end } => start <= site.cds_len && end >= stop_start,
        CdsChange::Insert { after } => after + 1 >= stop_start && after < site.cds_len,
    }
}

/// `!_ins_del_stop_altered`: in the edited translateable sequence plus 3' UTR, the codon at
/// the original stop codon's place is still a stop.
fn stop_codon_in_place(site: &ChangeSite<'_>) -> bool {
    let (from, to) = match site.change {
        CdsChange::Replace { start, end } => ((start - 1) as usize, end as usize),
        CdsChange::Insert { after } => (after as usize, after as usize),
    };
    let at = (site.cds_len - 3) as usize;
    let Some(kept) = site.seq.get(..from) else {
        return false;
    };
    let rest = site.seq.get(to..).unwrap_or_default();
    let edited = || kept.iter().chain(site.alt).chain(rest).copied();
    let codon: Vec<u8> = edited().skip(at).take(3).collect();
    codon.len() == 3 && site.table.translate_codon(&codon) == b'*'
}
