//! The standard genetic code, and amino-acid names for HGVS.

/// Amino acids in TCAG order of the three codon bases (the classic table layout).
const STANDARD: &[u8; 64] = b"FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG";
/// NCBI table 2: TGA is Trp, ATA is Met, AGA/AGG are stops.
const VERTEBRATE_MITOCHONDRIAL: &[u8; 64] =
    b"FFLLSSSSYY**CCWWLLLLPPPPHHQQRRRRIIMMTTTTNNKKSS**VVVVAAAADDEEGGGG";

/// The genetic code a transcript is read with (VEP uses table 2 on `MT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodonTable {
    Standard,
    VertebrateMitochondrial,
}

impl CodonTable {
    pub fn for_chrom(chrom: &str) -> Self {
        if chrom == "MT" {
            CodonTable::VertebrateMitochondrial
        } else {
            CodonTable::Standard
        }
    }

    fn table(self) -> &'static [u8; 64] {
        match self {
            CodonTable::Standard => STANDARD,
            CodonTable::VertebrateMitochondrial => VERTEBRATE_MITOCHONDRIAL,
        }
    }

    /// One-letter amino acid of a codon; `X` for codons with ambiguous bases.
    pub fn translate_codon(self, codon: &[u8]) -> u8 {
        match codon {
            [a, b, c] => match (base_index(*a), base_index(*b), base_index(*c)) {
                (Some(a), Some(b), Some(c)) => self.table()[a * 16 + b * 4 + c],
                _ => b'X',
            },
            _ => b'X',
        }
    }

    /// Translates whole codons; a trailing partial codon becomes `X` (as VEP writes it).
    pub fn translate(self, seq: &[u8]) -> Vec<u8> {
        let mut out: Vec<u8> = seq
            .chunks_exact(3)
            .map(|c| self.translate_codon(c))
            .collect();
        if !seq.len().is_multiple_of(3) {
            out.push(b'X');
        }
        out
    }
}

fn base_index(base: u8) -> Option<usize> {
    match base {
        b'T' | b't' | b'U' | b'u' => Some(0),
        b'C' | b'c' => Some(1),
        b'A' | b'a' => Some(2),
        b'G' | b'g' => Some(3),
        _ => None,
    }
}

/// [`CodonTable::translate_codon`] with the standard code.
pub fn translate_codon(codon: &[u8]) -> u8 {
    CodonTable::Standard.translate_codon(codon)
}

/// [`CodonTable::translate`] with the standard code.
pub fn translate(seq: &[u8]) -> Vec<u8> {
    CodonTable::Standard.translate(seq)
}

/// HGVS three-letter name (`Ter` for the stop, `Xaa` for unknown).
pub fn three_letter(aa: u8) -> &'static str {
    match aa {
        b'A' => "Ala",
        b'R' => "Arg",
        b'N' => "Asn",
        b'D' => "Asp",
        b'C' => "Cys",
        b'Q' => "Gln",
        b'E' => "Glu",
        b'G' => "Gly",
        b'H' => "His",
        b'I' => "Ile",
        b'L' => "Leu",
        b'K' => "Lys",
        b'M' => "Met",
        b'F' => "Phe",
        b'P' => "Pro",
        b'S' => "Ser",
        b'T' => "Thr",
        b'W' => "Trp",
        b'Y' => "Tyr",
        b'V' => "Val",
        b'U' => "Sec",
        b'*' => "Ter",
        _ => "Xaa",
    }
}

pub fn complement(base: u8) -> u8 {
    match base {
        b'A' => b'T',
        b'C' => b'G',
        b'G' => b'C',
        b'T' => b'A',
        b'a' => b't',
        b'c' => b'g',
        b'g' => b'c',
        b't' => b'a',
        other => other,
    }
}

pub fn reverse_complement(seq: &[u8]) -> Vec<u8> {
    seq.iter().rev().map(|b| complement(*b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_start_stop_and_partial_codons() {
        assert_eq!(translate(b"ATGTGGTAA"), b"MW*");
        assert_eq!(translate(b"ATGGC"), b"MX");
        assert_eq!(translate_codon(b"TGA"), b'*');
        assert_eq!(translate_codon(b"GCN"), b'X');
    }

    #[test]
    fn reads_mitochondrial_codons_with_table_2() {
        let mt = CodonTable::for_chrom("MT");
        assert_eq!(mt.translate(b"ATATGAAGAAGG"), b"MW**");
        assert_eq!(CodonTable::for_chrom("21").translate(b"ATATGAAGA"), b"I*R");
    }

    #[test]
    fn names_amino_acids_in_three_letters() {
        assert_eq!(three_letter(b'*'), "Ter");
        assert_eq!(three_letter(b'A'), "Ala");
    }

    #[test]
    fn reverse_complements() {
        assert_eq!(reverse_complement(b"ACCGT"), b"ACGGT");
    }
}
