//! HGVSp: the protein consequence of a change inside the CDS, named from the reference and
//! the mutated translation (`p.Ala331Thr`, `p.Ala331=`, `p.Cys152del`, `p.Lys55dup`,
//! `p.Glu23ValfsTer17`, `p.Ter109SerextTer9`, `p.Met1?`).

use crate::engine::{
    codon::{three_letter, CodonTable},
    consequence::{CdsChange, Peptides},
};

fn names(aas: &[u8]) -> String {
    aas.iter().map(|&a| three_letter(a)).collect()
}

/// Translates codons from `from` (0-based base index) until and including the first stop.
fn translate_until_stop(seq: &[u8], from: usize, table: CodonTable) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = from;
    while i + 3 <= seq.len() {
        let aa = table.translate_codon(&seq[i..i + 3]);
        out.push(aa);
        if aa == b'*' {
            break;
        }
        i += 3;
    }
    out
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

/// `seq` holds the CDS followed by the 3' UTR (transcript orientation); `cds_len` the CDS
/// length; `change`/`alt` the 3'-shifted change. Returns the part after `p.`.
pub fn hgvs_protein(
    seq: &[u8],
    cds_len: u64,
    change: CdsChange,
    alt: &[u8],
    table: CodonTable,
) -> Option<String> {
    let cds = seq.get(..cds_len as usize)?;
    let peptides = Peptides::compute(seq, cds_len, change, alt, table)?;
    if peptides.partial_codon {
        return None;
    }
    let ref_len = match change {
        CdsChange::Replace { start, end } => (end + 1 - start) as usize,
        CdsChange::Insert { .. } => 0,
    };
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
    let mutated = apply(seq, change, alt)?;
    // The whole reference protein is needed only to place indels; translate it lazily.
    let ref_prot = || translate_until_stop(cds, 0, table);
    if !ref_len.abs_diff(alt.len()).is_multiple_of(3) {
        return frameshift(&ref_prot(), &translate_until_stop(&mutated, 0, table));
    }
    let first_codon = match change {
        CdsChange::Replace { start, .. } => (start - 1) / 3,
        CdsChange::Insert { after } if after.is_multiple_of(3) => after / 3,
        CdsChange::Insert { after } => (after - 1) / 3,
    } as usize;
    let (r, a) = (&peptides.ref_aa[..], &peptides.alt_aa[..]);
    let prefix = r.iter().zip(a).take_while(|(x, y)| x == y).count();
    let suffix = r[prefix..]
        .iter()
        .rev()
        .zip(a[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let del = &r[prefix..r.len() - suffix];
    let mut ins = a[prefix..a.len() - suffix].to_vec();
    // Position (1-based) of the first changed residue.
    let mut pos = first_codon + prefix + 1;
    if let Some(stop) = ins.iter().position(|&x| x == b'*') {
        ins.truncate(stop + 1);
    }
    match (del.len(), ins.len()) {
        (0, 0) => {
            let aa = *r.first()?;
            Some(format!("{}{}=", three_letter(aa), first_codon + 1))
        }
        (1, 1) if del[0] == b'*' => {
            let tail = translate_until_stop(&mutated, (pos - 1) * 3, table);
            let ext = match tail.iter().position(|&x| x == b'*') {
                Some(n) => n.to_string(),
                None => "?".to_string(),
            };
            Some(format!("Ter{}{}extTer{}", pos, three_letter(ins[0]), ext))
        }
        (1, 1) => Some(format!(
            "{}{}{}",
            three_letter(del[0]),
            pos,
            three_letter(ins[0])
        )),
        (0, _) => {
            let ref_prot = ref_prot();
            if ins[0] == b'*' {
                return Some(format!(
                    "{}{}Ter",
                    three_letter(*ref_prot.get(pos - 1)?),
                    pos
                ));
            }
            // Inserted residues sit between pos-1 and pos; move them 3' through repeats.
            while ref_prot.get(pos - 1) == Some(&ins[0]) && ref_prot.get(pos - 1) != Some(&b'*') {
                ins.rotate_left(1);
                pos += 1;
            }
            let n = ins.len();
            if pos > n && ref_prot.get(pos - 1 - n..pos - 1) == Some(&ins[..]) {
                let first = pos - n;
                return Some(if n == 1 {
                    format!("{}{}dup", three_letter(ins[0]), first)
                } else {
                    format!(
                        "{}{}_{}{}dup",
                        three_letter(ins[0]),
                        first,
                        three_letter(ins[n - 1]),
                        pos - 1
                    )
                });
            }
            let before = *ref_prot.get(pos.checked_sub(2)?)?;
            let after = *ref_prot.get(pos - 1)?;
            Some(format!(
                "{}{}_{}{}ins{}",
                three_letter(before),
                pos - 1,
                three_letter(after),
                pos,
                names(&ins)
            ))
        }
        (n, 0) => {
            let ref_prot = ref_prot();
            let mut del = del.to_vec();
            while pos - 1 + n < ref_prot.len() && ref_prot[pos - 1 + n] == del[0] && del[0] != b'*'
            {
                del.rotate_left(1);
                pos += 1;
            }
            Some(if n == 1 {
                format!("{}{}del", three_letter(del[0]), pos)
            } else {
                format!(
                    "{}{}_{}{}del",
                    three_letter(del[0]),
                    pos,
                    three_letter(del[n - 1]),
                    pos + n - 1
                )
            })
        }
        (n, _) => {
            if ins[0] == b'*' {
                return Some(format!("{}{}Ter", three_letter(del[0]), pos));
            }
            let span = if n == 1 {
                format!("{}{}", three_letter(del[0]), pos)
            } else {
                format!(
                    "{}{}_{}{}",
                    three_letter(del[0]),
                    pos,
                    three_letter(del[n - 1]),
                    pos + n - 1
                )
            };
            Some(format!("{}delins{}", span, names(&ins)))
        }
    }
}

fn frameshift(ref_prot: &[u8], alt_prot: &[u8]) -> Option<String> {
    let i = ref_prot
        .iter()
        .zip(alt_prot)
        .take_while(|(x, y)| x == y)
        .count();
    let r = *ref_prot.get(i)?;
    let Some(&a) = alt_prot.get(i) else {
        return Some(format!("{}{}fsTer?", three_letter(r), i + 1));
    };
    let stop = alt_prot[i..].iter().position(|&x| x == b'*');
    if r == b'*' {
        let ext = stop.map_or("?".to_string(), |n| n.to_string());
        return Some(format!("Ter{}{}extTer{}", i + 1, three_letter(a), ext));
    }
    if a == b'*' {
        return Some(format!("{}{}Ter", three_letter(r), i + 1));
    }
    let ter = stop.map_or("?".to_string(), |n| (n + 1).to_string());
    Some(format!(
        "{}{}{}fsTer{}",
        three_letter(r),
        i + 1,
        three_letter(a),
        ter
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    // M A K K W * then 3' UTR "GCATAA".
    const SEQ: &[u8] = b"ATGGCAAAAAAGTGGTAAGCATAA";
    const CDS_LEN: u64 = 18;

    fn p(change: CdsChange, alt: &[u8]) -> String {
        hgvs_protein(SEQ, CDS_LEN, change, alt, CodonTable::Standard).unwrap()
    }

    #[test]
    fn names_missense_synonymous_and_nonsense() {
        assert_eq!(p(CdsChange::Replace { start: 4, end: 4 }, b"A"), "Ala2Thr");
        assert_eq!(p(CdsChange::Replace { start: 6, end: 6 }, b"G"), "Ala2=");
        assert_eq!(
            p(CdsChange::Replace { start: 14, end: 14 }, b"A"),
            "Trp5Ter"
        );
    }

    #[test]
    fn names_duplications_and_deletions_at_the_3prime_residue() {
        assert_eq!(p(CdsChange::Insert { after: 9 }, b"AAA"), "Lys4dup");
        assert_eq!(p(CdsChange::Replace { start: 7, end: 9 }, b""), "Lys4del");
    }

    #[test]
    fn names_frameshifts_and_stop_loss_extensions() {
        // Deleting the G of Ala: ATG CAA AAA AGT GGT AAG CAT AA reads through without a stop.
        assert_eq!(
            p(CdsChange::Replace { start: 4, end: 4 }, b""),
            "Ala2GlnfsTer?"
        );
        // Deleting AAG: ATG GCA AAA TGG TAA -> the Lys repeat loses its 3' copy (Lys4del).
        assert_eq!(p(CdsChange::Replace { start: 10, end: 12 }, b""), "Lys4del");
        // TAA -> CAA at the stop: Gln, then GCA TAA: extTer2.
        assert_eq!(
            p(CdsChange::Replace { start: 16, end: 16 }, b"C"),
            "Ter6GlnextTer2"
        );
        assert_eq!(p(CdsChange::Replace { start: 2, end: 2 }, b"C"), "Met1?");
    }
}
