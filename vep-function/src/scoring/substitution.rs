//! Amino-acid substitution features for missense changes: the BLOSUM62 score (NCBI half-bit
//! matrix) and the Grantham (1974) chemical distance. Features, not predictions.

use std::collections::HashMap;

use super::ScoringError;

const BLOSUM62_TSV: &str = include_str!("../../data/scoring/blosum62_ncbi_halfbit_20x20.tsv");
const GRANTHAM_TSV: &str = include_str!("../../data/scoring/grantham_1974_20x20.tsv");

/// The 20 standard amino acids, one-letter codes.
const STANDARD: &str = "ARNDCQEGHILKMFPSTWYV";

/// One reference/alternative residue pair, e.g. `A/T` in VEP's `amino_acids`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Missense {
    pub reference: char,
    pub alternative: char,
}

impl Missense {
    /// A single standard residue replaced by another one. Synonymous (`A`), stop (`*`),
    /// unknown (`X`) and multi-residue changes (`AG/T`) are not missense substitutions.
    pub fn parse(amino_acids: &str) -> Option<Self> {
        let (reference, alternative) = amino_acids.split_once('/')?;
        let single = |s: &str| {
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if STANDARD.contains(c) => Some(c),
                _ => None,
            }
        };
        let (reference, alternative) = (single(reference)?, single(alternative)?);
        (reference != alternative).then_some(Self {
            reference,
            alternative,
        })
    }
}

/// A symmetric 20x20 integer matrix over the standard amino acids.
#[derive(Debug, Clone)]
pub struct Matrix {
    name: &'static str,
    cells: HashMap<(char, char), i32>,
}

impl Matrix {
    /// Parses a tab-separated matrix whose first row and column name the residues.
    pub fn parse(name: &'static str, tsv: &str) -> Result<Self, ScoringError> {
        let bad = |reason: String| ScoringError::Table {
            table: name,
            reason,
        };
        let mut lines = tsv.lines().filter(|l| !l.trim().is_empty());
        let header: Vec<char> = lines
            .next()
            .ok_or_else(|| bad("empty".into()))?
            .split('\t')
            .skip(1)
            .map(|h| h.trim().chars().next().unwrap_or('?'))
            .collect();
        let mut cells = HashMap::new();
        for line in lines {
            let mut fields = line.split('\t');
            let row = fields
                .next()
                .and_then(|f| f.trim().chars().next())
                .ok_or_else(|| bad(format!("row without a residue: {line:?}")))?;
            for (column, value) in header.iter().zip(fields) {
                let value: i32 = value
                    .trim()
                    .parse()
                    .map_err(|e| bad(format!("{row}/{column}: {value:?}: {e}")))?;
                cells.insert((row, *column), value);
            }
        }
        for a in STANDARD.chars() {
            for b in STANDARD.chars() {
                match (cells.get(&(a, b)), cells.get(&(b, a))) {
                    (Some(x), Some(y)) if x == y => {}
                    (Some(_), Some(_)) => return Err(bad(format!("{a}/{b} is not symmetric"))),
                    _ => return Err(bad(format!("{a}/{b} is missing"))),
                }
            }
        }
        Ok(Self { name, cells })
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn score(&self, change: Missense) -> Option<i32> {
        self.cells
            .get(&(change.reference, change.alternative))
            .copied()
    }
}

/// The two bundled matrices.
#[derive(Debug, Clone)]
pub struct Substitution {
    pub blosum62: Matrix,
    pub grantham: Matrix,
}

impl Substitution {
    pub fn bundled() -> Result<Self, ScoringError> {
        Ok(Self {
            blosum62: Matrix::parse("BLOSUM62", BLOSUM62_TSV)?,
            grantham: Matrix::parse("Grantham", GRANTHAM_TSV)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(s: &str) -> Missense {
        Missense::parse(s).unwrap()
    }

    #[test]
    fn only_single_standard_residue_changes_are_missense() {
        assert_eq!(
            Missense::parse("A/T"),
            Some(Missense {
                reference: 'A',
                alternative: 'T'
            })
        );
        for not_missense in ["A", "A/A", "R/*", "*/R", "X/A", "AG/T", "A/", "", "a/t"] {
            assert_eq!(Missense::parse(not_missense), None, "{not_missense}");
        }
    }

    #[test]
    fn bundled_matrices_give_the_published_values() {
        let m = Substitution::bundled().unwrap();
        // Well-known cells: BLOSUM62 W/W 11, C/W -2; Grantham S-R 110, I-L 5, C-W 215.
        assert_eq!(m.blosum62.score(change("W/C")), Some(-2));
        assert_eq!(m.blosum62.score(change("I/L")), Some(2));
        assert_eq!(m.grantham.score(change("S/R")), Some(110));
        assert_eq!(m.grantham.score(change("L/I")), Some(5));
        assert_eq!(m.grantham.score(change("C/W")), Some(215));
    }

    #[test]
    fn a_damaged_matrix_is_a_typed_error() {
        let broken = "aa\tA\tR\nA\t4\t-1\nR\t-1\tfive\n";
        let err = Matrix::parse("test", broken).unwrap_err();
        assert!(err.to_string().contains("five"), "{err}");
        let missing = "aa\tA\nA\t4\n";
        assert!(Matrix::parse("test", missing).is_err());
    }
}
