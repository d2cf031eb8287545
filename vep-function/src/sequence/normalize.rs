//! Left-align and trim, as `bcftools norm -f REF` does (Tan, Abecasis & Kang 2015): trim
//! shared trailing bases, extend left when an allele runs empty, repeat; then trim shared
//! leading bases while both alleles keep at least one.

use crate::engine::models::genome::{Genome, GenomeError};

/// Bases fetched at a time while walking left through a repeat.
const LEFT_BLOCK: u64 = 64;

/// Normalises `pos`/`reference`/`alternate` (1-based, upper case; either allele may be empty)
/// on `chrom`. The result has an anchor base where an allele would otherwise be empty.
pub fn normalize(
    genome: &Genome,
    chrom: &str,
    mut pos: u64,
    mut reference: Vec<u8>,
    mut alternate: Vec<u8>,
) -> Result<(u64, Vec<u8>, Vec<u8>), GenomeError> {
    // Reference bases left of `pos`, nearest last, fetched in blocks as the walk needs them.
    let mut left: Vec<u8> = Vec::new();
    let mut left_from = pos;
    loop {
        let mut changed = false;
        if let (Some(r), Some(a)) = (reference.last(), alternate.last()) {
            if r == a {
                reference.pop();
                alternate.pop();
                changed = true;
            }
        }
        if (reference.is_empty() || alternate.is_empty()) && pos > 1 {
            if left.is_empty() {
                let from = left_from.saturating_sub(LEFT_BLOCK).max(1);
                left = genome.sequence(chrom, from, left_from - 1)?;
                left_from = from;
            }
            let Some(base) = left.pop() else { break };
            pos -= 1;
            reference.insert(0, base);
            alternate.insert(0, base);
            changed = true;
        }
        if !changed {
            break;
        }
    }
    while reference.len() >= 2 && alternate.len() >= 2 && reference[0] == alternate[0] {
        reference.remove(0);
        alternate.remove(0);
        pos += 1;
    }
    Ok((pos, reference, alternate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence::tests::brca1;

    #[test]
    fn left_aligns_a_right_shifted_185delag_to_its_bcftools_record() {
        // 185delAG is 17:43124027 ACT>A in a CTCT repeat (43124028-43124031); deleting the
        // second CT instead describes the same haplotype.
        let g = brca1();
        assert_eq!(g.sequence("17", 43124027, 43124032).unwrap(), b"ACTCTA");
        let got = normalize(&g, "17", 43124030, b"CT".to_vec(), vec![]).unwrap();
        assert_eq!(got, (43124027, b"ACT".to_vec(), b"A".to_vec()));
        let got = normalize(&g, "17", 43124029, b"TCT".to_vec(), b"T".to_vec()).unwrap();
        assert_eq!(got, (43124027, b"ACT".to_vec(), b"A".to_vec()));
    }

    #[test]
    fn left_aligns_an_insertion_and_anchors_it() {
        let g = brca1();
        // Inserting another CT after the repeat goes to the repeat's left end.
        let got = normalize(&g, "17", 43124032, vec![], b"CT".to_vec()).unwrap();
        assert_eq!(got, (43124027, b"A".to_vec(), b"ACT".to_vec()));
    }

    #[test]
    fn trims_shared_bases_of_substitutions_and_keeps_mnvs() {
        let g = brca1();
        assert_eq!(g.sequence("17", 43106486, 43106488).unwrap(), b"CAC");
        let got = normalize(&g, "17", 43106486, b"CAC".to_vec(), b"CCC".to_vec()).unwrap();
        assert_eq!(got, (43106487, b"A".to_vec(), b"C".to_vec()));
        let got = normalize(&g, "17", 43106486, b"CAC".to_vec(), b"TGC".to_vec()).unwrap();
        assert_eq!(got, (43106486, b"CA".to_vec(), b"TG".to_vec()));
    }
}
