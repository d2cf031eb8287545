//! Start and stop codon checks on the mutated sequence, for changes the codon-by-codon
//! comparison cannot judge (changes reaching into the CDS from a UTR).

use super::codon::CodonTable;
use super::engine::Engine;
use super::error::AnnotateError;
use super::transcript_sequence::{cdna_pair, coding_sequence, oriented};
use crate::engine::input::Allele;
use crate::engine::models::transcript::Transcript;

/// For an exonic change running from the CDS through the stop codon into the 3' UTR:
/// whether the mutated sequence still reads a stop codon at the stop's place.
pub(super) fn stop_codon_kept_into_utr(
    engine: &Engine,
    t: &Transcript,
    a: &Allele,
    cs: u64,
    cds_len: u64,
) -> Result<Option<bool>, AnnotateError> {
    if a.is_insertion() || t.coding.as_ref().is_none_or(|c| c.end_incomplete) {
        return Ok(None);
    }
    let (Some(c1), Some(c2)) = cdna_pair(t, a) else {
        return Ok(None);
    };
    let padding = t.cds_padding();
    let (Some(p1), Some(p2)) = (
        (c1 + padding + 1).checked_sub(cs),
        (c2 + padding + 1).checked_sub(cs),
    ) else {
        return Ok(None);
    };
    let contiguous = c2 + 1 - c1 == a.reference.len() as u64;
    if !contiguous || p1 == 0 || p2 <= cds_len || p1 > cds_len {
        return Ok(None);
    }
    let seq = coding_sequence(engine, t)?;
    let (from, to) = ((p1 - 1) as usize, p2 as usize);
    if to > seq.len() {
        return Ok(None);
    }
    let mut mutated = seq[..from].to_vec();
    mutated.extend(oriented(t, &a.alternate));
    mutated.extend_from_slice(&seq[to..]);
    let at = (cds_len - 3) as usize;
    Ok(Some(mutated.get(at..at + 3).is_some_and(|codon| {
        CodonTable::for_chrom(&t.chrom).translate_codon(codon) == b'*'
    })))
}

/// For an exonic change overlapping a complete start codon: whether `ATG` is still at the
/// start codon's place in the mutated transcript; `None` when it does not apply.
pub(super) fn start_codon_kept(
    engine: &Engine,
    t: &Transcript,
    a: &Allele,
    cs: u64,
) -> Result<Option<bool>, AnnotateError> {
    let complete = t
        .coding
        .as_ref()
        .is_some_and(|c| !c.start_incomplete && t.cds_padding() == 0);
    let (Some(c1), Some(c2)) = cdna_pair(t, a) else {
        return Ok(None);
    };
    let exonic = if a.is_insertion() {
        c2 == c1 + 1
    } else {
        c2 + 1 - c1 == a.reference.len() as u64
    };
    let touches = if a.is_insertion() {
        c1 >= cs && c1 < cs + 2
    } else {
        c1 <= cs + 2 && c2 >= cs
    };
    if !complete || !exonic || !touches {
        return Ok(None);
    }
    // Spliced sequence from the transcript start to a little past the start codon.
    let mut cdna = Vec::new();
    let want = cs + 2 + a.reference.len() as u64;
    for e in &t.exons {
        if cdna.len() as u64 >= want {
            break;
        }
        let bases = engine.genome.sequence(&t.chrom, e.start, e.end)?;
        cdna.extend(oriented(t, &bases));
    }
    let (from, to) = if a.is_insertion() {
        (c1 as usize, c1 as usize)
    } else {
        ((c1 - 1) as usize, c2 as usize)
    };
    if to > cdna.len() {
        return Ok(None);
    }
    cdna.splice(from..to, oriented(t, &a.alternate));
    let at = (cs - 1) as usize;
    Ok(Some(cdna.get(at..at + 3) == Some(&b"ATG"[..])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::input::Variant;
    use std::path::Path;

    fn engine() -> Engine {
        Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data")).unwrap()
    }

    fn terms_on(e: &Engine, v: &Variant, tx: &str) -> Vec<String> {
        let a = e.annotate(v).unwrap();
        let tc = a
            .transcript_consequences
            .into_iter()
            .find(|t| t.transcript_id.starts_with(tx))
            .unwrap();
        tc.consequence_terms
    }

    #[test]
    fn a_deletion_from_the_5prime_utr_into_the_start_codon_loses_the_start() {
        let e = engine();
        // MRPL39 (reverse strand): the start codon's A is the highest CDS coordinate.
        let t = e.models().transcript("ENST00000352957").unwrap().unwrap();
        let a_of_atg = t.coding.as_ref().unwrap().segments[0].end;
        assert_eq!(
            e.genome().sequence("21", a_of_atg - 2, a_of_atg).unwrap(),
            b"CAT"
        );
        // Delete the start codon's first base and the two 5' UTR bases before it.
        let anchor = a_of_atg - 1;
        let reference = e.genome().sequence("21", anchor, a_of_atg + 2).unwrap();
        let v = Variant {
            input: String::new(),
            id: None,
            chrom: "21".into(),
            pos: anchor,
            reference: String::from_utf8(reference.clone()).unwrap(),
            alternate: String::from_utf8(reference[..1].to_vec()).unwrap(),
        };
        let terms = terms_on(&e, &v, "ENST00000352957");
        assert!(terms.contains(&"start_lost".to_string()), "{terms:?}");
        assert!(
            terms.contains(&"5_prime_UTR_variant".to_string()),
            "{terms:?}"
        );
    }

    #[test]
    fn a_deletion_of_the_stop_codon_into_the_3prime_utr_changes_the_stop() {
        let e = engine();
        // MRPL39 ENST00000352957 (reverse strand): the stop codon's last base is the lowest
        // CDS coordinate; delete the whole stop codon and the two 3' UTR bases after it.
        let t = e.models().transcript("ENST00000352957").unwrap().unwrap();
        let segments = &t.coding.as_ref().unwrap().segments;
        let stop_last = segments[segments.len() - 1].start;
        let anchor = stop_last - 3;
        let reference = e.genome().sequence("21", anchor, stop_last + 2).unwrap();
        let v = Variant {
            input: String::new(),
            id: None,
            chrom: "21".into(),
            pos: anchor,
            reference: String::from_utf8(reference.clone()).unwrap(),
            alternate: String::from_utf8(reference[..1].to_vec()).unwrap(),
        };
        let terms = terms_on(&e, &v, "ENST00000352957");
        assert!(
            terms.contains(&"3_prime_UTR_variant".to_string()),
            "{terms:?}"
        );
        assert!(terms.contains(&"stop_lost".to_string()), "{terms:?}");
    }
}
