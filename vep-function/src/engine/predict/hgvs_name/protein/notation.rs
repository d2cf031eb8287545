//! VEP's working notation for a protein change (`$hgvs_notation` in
//! `TranscriptVariationAllele.pm`): positions, reference and alternate residues, and the steps
//! that turn them into a name.

use super::{names, Distance, Protein};
use crate::engine::predict::consequence::Peptides;

/// The event type (`_get_hgvs_protein_type`, later `dup` and `=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Frameshift,
    Insertion,
    Deletion,
    Substitution,
    DelIns,
    Duplication,
    /// The stop read again where it was (`=`).
    Same,
}

#[derive(Debug, Clone)]
pub(super) struct Notation {
    /// 1-based residues; an insertion has `start == end + 1`.
    pub start: usize,
    pub end: usize,
    /// One-letter residues; `-` stands for none, as in VEP's peptide strings.
    pub reference: Vec<u8>,
    pub alternate: Vec<u8>,
    /// The reference before clipping (`original_ref`), empty when nothing was clipped.
    pub original: Vec<u8>,
    /// Residues clipped from the front (`preseq`).
    pub preseq: Vec<u8>,
    pub kind: Kind,
}

fn or_dash(aas: &[u8]) -> Vec<u8> {
    if aas.is_empty() {
        b"-".to_vec()
    } else {
        aas.to_vec()
    }
}

fn first3(s: &str) -> &str {
    &s[..s.len().min(3)]
}

fn last3(s: &str) -> &str {
    &s[s.len().saturating_sub(3)..]
}

/// Everything after the first `Ter` is dropped (`s/Ter\w+/Ter/`).
fn until_ter(s: &str) -> &str {
    s.find("Ter").map_or(s, |at| &s[..at + 3])
}

impl Notation {
    pub fn new(start: usize, end: usize, peptides: &Peptides) -> Self {
        Self {
            start,
            end,
            reference: or_dash(&peptides.ref_aa),
            alternate: or_dash(&peptides.alt_aa),
            original: Vec::new(),
            preseq: Vec::new(),
            kind: Kind::Substitution,
        }
    }

    /// `_clip_alleles`: shared leading then trailing residues removed, positions moved. A
    /// stop read on both sides first stops it before anything is clipped.
    pub fn clip(&mut self) {
        self.original = self.reference.clone();
        let mut leading = 0;
        for _ in 0..self.reference.len() {
            let (r, a) = (self.reference.get(leading), self.alternate.get(leading));
            if r == Some(&b'*') && a == Some(&b'*') {
                return;
            }
            if r.is_none() || r != a {
                break;
            }
            leading += 1;
        }
        self.preseq = self.reference[..leading].to_vec();
        self.reference.drain(..leading);
        self.alternate.drain(..leading);
        self.start += leading;
        while let (Some(r), Some(a)) = (self.reference.last(), self.alternate.last()) {
            if r != a {
                break;
            }
            self.reference.pop();
            self.alternate.pop();
            self.end -= 1;
        }
    }

    /// `_get_hgvs_protein_type`. The first stop of each side is written `X` from here on
    /// (VEP's `s/\*/X/`), which later reads `Ter`.
    pub fn protein_type(&mut self, frameshift: bool) -> Kind {
        if frameshift {
            return Kind::Frameshift;
        }
        for side in [&mut self.reference, &mut self.alternate] {
            if let Some(stop) = side.iter_mut().find(|x| **x == b'*') {
                *stop = b'X';
            }
        }
        let none = |s: &[u8]| s.is_empty() || s == b"-";
        let (r, a) = (self.reference.len(), self.alternate.len());
        if none(&self.reference) {
            Kind::Insertion
        } else if none(&self.alternate) {
            Kind::Deletion
        } else if r == 1 && a == 1 {
            Kind::Substitution
        } else if r != a || (r > 1 && a > 1) {
            Kind::DelIns
        } else {
            Kind::Substitution
        }
    }

    /// `_get_fs_peptides`: the first residue from the change on where the mutated protein
    /// (`mutated(p)`: its residue `p`, 1-based, of `mutated_len`) differs from the reference
    /// (`_peptide` and its stop); the stop read again there is `=`. `None` when the walk finds
    /// no difference.
    pub fn walk_frameshift(
        &mut self,
        protein: &Protein<'_>,
        from: usize,
        mutated_len: usize,
        mutated: impl Fn(usize) -> u8,
    ) -> Option<()> {
        let reference = |p: usize| {
            if p <= protein.len {
                protein.residue(p)
            } else {
                (p == protein.len + 1).then_some(b'*')
            }
        };
        for position in from..=mutated_len {
            let (r, a) = (reference(position), mutated(position));
            if r == Some(b'*') && a == b'*' {
                (self.start, self.kind) = (position, Kind::Same);
                (self.reference, self.alternate) = (b"*".to_vec(), b"*".to_vec());
                return Some(());
            }
            if r != Some(a) {
                self.start = position;
                self.reference = r.into_iter().collect();
                self.alternate = vec![a];
                return Some(());
            }
        }
        None
    }

    /// `_check_peptides_post_var`: inserted or deleted residues move 3' while the residue
    /// after them repeats their first one, along `_peptide` after the change (none when the
    /// change ends at or past its last residue, and no move once fewer residues remain than
    /// are inserted or deleted).
    pub fn shift_3prime(&mut self, protein: &Protein<'_>) {
        let first = self.end + 1;
        let total = protein.extended_len(&self.original);
        if total <= first {
            return;
        }
        let moving = match self.kind {
            Kind::Insertion => &mut self.alternate,
            Kind::Deletion => &mut self.reference,
            _ => return,
        };
        let Some(room) = (total + 1 - first).checked_sub(moving.len()) else {
            return;
        };
        for position in first..=first + room {
            let next = protein.extended(position, &self.original);
            if next.is_none() || moving.first() != next.as_ref() {
                break;
            }
            moving.rotate_left(1);
            self.start += 1;
            self.end += 1;
        }
    }

    /// `_check_for_peptide_duplication`: the inserted residues equal the ones right before
    /// the insertion point in the translated CDS (plus the clipped prefix). Moves the
    /// positions onto the copied residues when they do.
    pub fn is_duplication(&mut self, protein: &Protein<'_>) -> bool {
        let n = self.alternate.len();
        let Some(first) = self.start.checked_sub(n + 1) else {
            return false;
        };
        let translated = (protein.cds_len / 3).min(self.start - 1);
        let upstream = |i: usize| {
            if i < translated {
                protein.residue(i + 1)
            } else {
                self.preseq.get(i - translated).copied()
            }
        };
        let copied = (0..n).all(|j| upstream(first + j) == Some(self.alternate[j]));
        if copied {
            self.end = self.start - 1;
            self.start -= n;
            self.kind = Kind::Duplication;
        }
        copied
    }

    /// A duplication's name (VEP returns before `Xaa` would be read as `Ter`).
    pub fn format_duplication(&self) -> String {
        let alt: String = self
            .alternate
            .iter()
            .map(|&a| crate::engine::predict::codon::three_letter(a))
            .collect();
        if self.start < self.end {
            format!(
                "{}{}_{}{}dup",
                first3(&alt),
                self.start,
                last3(&alt),
                self.end
            )
        } else {
            format!("{alt}{}dup", self.start)
        }
    }

    /// The rest of `_get_hgvs_peptides` and `_get_hgvs_protein_format`. `distance` answers
    /// `_stop_loss_extra_AA` for a first changed residue.
    pub fn format(
        &self,
        stop_lost: bool,
        distance: impl Fn(usize, Distance) -> Option<usize>,
    ) -> Option<String> {
        let mut reference = if self.reference == b"-" {
            "-".to_string()
        } else {
            names(&self.reference)
        };
        let mut alternate = if self.alternate == b"-" || self.kind == Kind::Deletion {
            "del".to_string()
        } else {
            names(&self.alternate)
        };
        if self.kind == Kind::Frameshift {
            reference.truncate(3);
        }
        let (start, end) = (self.start, self.end);
        let count = |n: Option<usize>| n.map_or("?".to_string(), |n| n.to_string());
        if reference == alternate && !matches!(self.kind, Kind::Frameshift | Kind::Insertion) {
            return Some(format!("{reference}{start}="));
        }
        if stop_lost && matches!(self.kind, Kind::Deletion | Kind::Substitution) {
            alternate.truncate(3);
            let ext = count(distance(start, Distance::Extension));
            return Some(if reference.len() > 3 && self.kind == Kind::Deletion {
                format!(
                    "{}{start}_{}{end}{alternate}extTer{ext}",
                    first3(&reference),
                    last3(&reference)
                )
            } else {
                format!("{reference}{start}{alternate}extTer{ext}")
            });
        }
        Some(match self.kind {
            Kind::Substitution => format!("{reference}{start}{alternate}"),
            Kind::DelIns | Kind::Insertion => {
                let alternate = until_ter(&alternate);
                let word = if self.kind == Kind::Insertion {
                    "ins"
                } else {
                    "delins"
                };
                if start == end && self.kind == Kind::DelIns {
                    format!("{}{start}delins{alternate}", first3(&reference))
                } else {
                    let (lo, hi) = (start.min(end), start.max(end));
                    format!(
                        "{}{lo}_{}{hi}{word}{alternate}",
                        first3(&reference),
                        last3(&reference)
                    )
                }
            }
            Kind::Frameshift if alternate == "Ter" => format!("{reference}{start}Ter"),
            Kind::Frameshift => {
                let ter = count(distance(start, Distance::Frameshift));
                format!("{reference}{start}{alternate}fsTer{ter}")
            }
            Kind::Deletion if reference.len() > 3 => {
                format!(
                    "{}{start}_{}{end}del",
                    first3(&reference),
                    last3(&reference)
                )
            }
            Kind::Deletion => format!("{reference}{start}del"),
            Kind::Duplication => self.format_duplication(),
            Kind::Same if start != end => format!("{reference}{start}_{alternate}{end}"),
            Kind::Same => format!("{reference}{start}{alternate}"),
        })
    }
}
