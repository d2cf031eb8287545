//! Allele text: validation against the nucleotide alphabet and strand flips.

use super::InputError;

/// Upper-cases `text` and accepts only `A C G T N`: IUPAC ambiguity codes, VCF's `*` and
/// symbolic or breakend alleles are named in the error instead of being guessed at.
pub(crate) fn bases(text: &str) -> Result<String, InputError> {
    let unsupported = |reason: &str| InputError::UnsupportedAllele {
        allele: text.to_string(),
        reason: reason.to_string(),
    };
    if text.is_empty() {
        return Err(unsupported("empty allele"));
    }
    if text == "*" {
        return Err(unsupported(
            "spanning deletion '*' refers to another record's deletion",
        ));
    }
    if text.starts_with('<') {
        return Err(unsupported(
            "symbolic structural-variant alleles are not annotated",
        ));
    }
    if text.contains(['[', ']']) {
        return Err(unsupported("breakend alleles are not annotated"));
    }
    if text == "." {
        return Err(unsupported("no alternate allele"));
    }
    let upper = text.to_ascii_uppercase();
    if let Some(bad) = upper
        .bytes()
        .find(|b| !matches!(b, b'A' | b'C' | b'G' | b'T' | b'N'))
    {
        let reason = if b"RYSWKMBDHV".contains(&bad) {
            format!(
                "IUPAC ambiguity code '{}' is not a definite base",
                bad as char
            )
        } else {
            format!("'{}' is not a nucleotide", char::from(bad).escape_default())
        };
        return Err(unsupported(&reason));
    }
    Ok(upper)
}

/// Reverse complement of `A C G T N` text (already validated by [`bases`]).
pub(crate) fn reverse_complement(seq: &str) -> String {
    seq.bytes()
        .rev()
        .map(|b| match b {
            b'A' => 'T',
            b'C' => 'G',
            b'G' => 'C',
            b'T' => 'A',
            _ => 'N',
        })
        .collect()
}

/// Whether a stated allele agrees with the reference: an `N` in the statement is a wildcard
/// (callers write `N` for "whatever is there"), anything else must match exactly.
pub(crate) fn agrees(stated: &str, reference: &[u8]) -> bool {
    stated.len() == reference.len()
        && stated
            .bytes()
            .zip(reference)
            .all(|(s, r)| s == b'N' || s == r.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_upper_cases_and_accepts_n() {
        assert_eq!(bases("acgtN").unwrap(), "ACGTN");
    }

    #[test]
    fn bases_names_iupac_codes() {
        let err = bases("AR").unwrap_err();
        assert_eq!(err.code(), "unsupported_allele");
        assert!(
            err.to_string().contains("IUPAC ambiguity code 'R'"),
            "{err}"
        );
    }

    #[test]
    fn bases_rejects_star_symbolic_and_breakends() {
        for allele in ["*", "<DEL>", "G]17:198982]", "."] {
            assert_eq!(
                bases(allele).unwrap_err().code(),
                "unsupported_allele",
                "{allele}"
            );
        }
    }

    #[test]
    fn reverse_complement_reverses_and_complements() {
        assert_eq!(reverse_complement("AACGTN"), "NACGTT");
    }

    #[test]
    fn agrees_treats_stated_n_as_wildcard_only() {
        assert!(agrees("ANT", b"ACT"));
        assert!(!agrees("ACT", b"ANT"));
        assert!(!agrees("AC", b"ACT"));
    }
}
