//! HGVSp as VEP 115 writes it (`TranscriptVariationAllele::hgvs_protein`): the reference and
//! alternate peptides of the 3'-shifted change are clipped of shared residues, typed
//! (`_get_hgvs_protein_type`), completed (`_get_hgvs_peptides`: frameshift walk, 3' shift of
//! inserted or deleted residues, duplication check) and formatted (`_get_hgvs_protein_format`).

mod notation;

use self::notation::{Kind, Notation};
use crate::engine::predict::codon::{three_letter, CodonTable};
use crate::engine::predict::consequence::{protein_len, translation_span, CdsChange, Peptides};

/// What VEP's consequence predicates said about the submitted allele: the protein name
/// follows them (`frameshift($self)`, `stop_lost($self)`), not the shifted allele's own
/// arithmetic. A frameshift that retains the stop is therefore named in-frame.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Predicates {
    pub frameshift: bool,
    pub stop_lost: bool,
}

/// The sequences a protein name is read from.
struct Protein<'a> {
    /// Translateable sequence (padded CDS) followed by the 3' UTR.
    seq: &'a [u8],
    cds_len: usize,
    /// Residues of `_peptide` (the translation without its final stop).
    len: usize,
    table: CodonTable,
}

impl Protein<'_> {
    /// Residue `position` (1-based) of the translated CDS, its final stop included.
    fn residue(&self, position: usize) -> Option<u8> {
        let at = position.checked_sub(1)? * 3;
        (at + 3 <= self.cds_len).then(|| self.table.translate_codon(&self.seq[at..at + 3]))
    }

    /// VEP's `ref_trans` for surrounding residues: `_peptide`, followed by the reference
    /// peptide of the change before clipping when that starts at the stop.
    fn extended_len(&self, original: &[u8]) -> usize {
        self.len + Self::extra(original).len()
    }

    fn extended(&self, position: usize, original: &[u8]) -> Option<u8> {
        if position <= self.len {
            self.residue(position)
        } else {
            Self::extra(original).get(position - self.len - 1).copied()
        }
    }

    fn extra(original: &[u8]) -> &[u8] {
        if original.first() == Some(&b'*') {
            original
        } else {
            &[]
        }
    }

    /// `_get_surrounding_peptides` for an insertion: the two residues from `position` on,
    /// `None` when `position` is at or past the end (VEP then names no protein change).
    fn surrounding(&self, position: usize, original: &[u8]) -> Option<Vec<u8>> {
        let total = self.extended_len(original);
        if position == 0 || total <= position {
            return None;
        }
        (position..=total.min(position + 1))
            .map(|p| self.extended(p, original))
            .collect()
    }
}

/// `seq` holds the padded CDS followed by the 3' UTR (transcript orientation); `cds_len` the
/// CDS length; `change`/`alt` the 3'-shifted change. Returns the part after `p.`.
pub fn hgvs_protein(
    seq: &[u8],
    cds_len: u64,
    change: CdsChange,
    alt: &[u8],
    table: CodonTable,
    said: Predicates,
) -> Option<String> {
    let cds = seq.get(..cds_len as usize)?;
    let peptides = Peptides::compute(seq, cds_len, change, alt, table)?;
    if peptides.partial_codon {
        return None;
    }
    let touches_start = match change {
        CdsChange::Replace { start, .. } => start <= 3,
        CdsChange::Insert { after } => after < 3,
    };
    if touches_start
        && peptides.alt_aa.first() != Some(&b'M')
        && cds.get(..3).map(|c| table.translate_codon(c)) == Some(b'M')
    {
        return Some("Met1?".to_string());
    }
    let protein = Protein {
        seq,
        cds_len: cds_len as usize,
        len: protein_len(seq, cds_len, table) as usize,
        table,
    };
    let mutated = || apply(seq, change, alt);
    let (start, end) = translation_span(change);
    let mut n = Notation::new(start as usize, end as usize, &peptides);
    if n.reference != n.alternate {
        n.clip();
    }
    n.kind = n.protein_type(said.frameshift);
    match n.kind {
        Kind::Frameshift => {
            // Residues of the mutated protein are translated as the walk reaches them: it
            // usually stops at the first one, and a whole transcript is thousands of codons.
            let mutated = mutated()?;
            let residue = |p: usize| table.translate_codon(&mutated[(p - 1) * 3..p * 3]);
            n.walk_frameshift(&protein, start as usize, mutated.len() / 3, residue)?
        }
        Kind::Insertion => {
            n.shift_3prime(&protein);
            if !n.alternate.contains(&b'*') && n.is_duplication(&protein) {
                return Some(n.format_duplication());
            }
            n.reference = protein.surrounding(n.start.min(n.end), &n.original)?;
        }
        Kind::Deletion => n.shift_3prime(&protein),
        _ => {}
    }
    let extension = |from: usize, kind| stop_distance(&mutated()?, table, from, kind, protein.len);
    n.format(said.stop_lost, extension)
}

/// How far the new stop is (`_stop_loss_extra_AA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Distance {
    /// From the first changed residue, counted as 1 (`fsTerN`).
    Frameshift,
    /// Past the reference protein's end (`extTerN`).
    Extension,
}

/// `_stop_loss_extra_AA`: residues to the first stop of the mutated protein, `None` when it
/// has none or the count is not positive (VEP then writes `?`).
fn stop_distance(
    mutated: &[u8],
    table: CodonTable,
    first_changed: usize,
    kind: Distance,
    protein_len: usize,
) -> Option<usize> {
    let stop = (0..mutated.len() / 3)
        .find(|&i| table.translate_codon(&mutated[i * 3..i * 3 + 3]) == b'*')?;
    let extra = match kind {
        Distance::Frameshift => (stop + 2).checked_sub(first_changed)?,
        Distance::Extension => stop.checked_sub(protein_len)?,
    };
    (extra > 0).then_some(extra)
}

fn apply(seq: &[u8], change: CdsChange, alt: &[u8]) -> Option<Vec<u8>> {
    let (cut_from, cut_to) = match change {
        CdsChange::Replace { start, end } => ((start - 1) as usize, end as usize),
        CdsChange::Insert { after } => (after as usize, after as usize),
    };
    if cut_to > seq.len() || cut_from > cut_to {
        return None;
    }
    let mut out = Vec::with_capacity(seq.len() + alt.len());
    out.extend_from_slice(&seq[..cut_from]);
    out.extend_from_slice(alt);
    out.extend_from_slice(&seq[cut_to..]);
    Some(out)
}

/// HGVS three-letter names; VEP turns the unknown residue `X` (`Xaa`) into `Ter`.
fn names(aas: &[u8]) -> String {
    aas.iter()
        .map(|&a| if a == b'X' { "Ter" } else { three_letter(a) })
        .collect()
}

#[cfg(test)]
mod tests;
