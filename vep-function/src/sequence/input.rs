//! The sequence notation (see the parent module): prefix, optional hint, plain or FASTA body.

use super::{SequenceError, Settings, MIN_BARE_LENGTH};

/// A submitted sequence, upper case, whitespace removed, `U` read as `T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceQuery {
    /// Where the sequence is said to come from, as written (resolved against the models later).
    pub hint: Option<String>,
    /// FASTA header line without `>`, when given.
    pub name: Option<String>,
    pub bases: Vec<u8>,
}

const PREFIX: &str = "seq:";

/// `text` after a case-insensitive `seq:`. Compared as bytes: slicing the `str` could split a
/// multi-byte character (found by `make fuzz`).
fn after_prefix(text: &str) -> Option<&str> {
    let head = text.as_bytes().get(..PREFIX.len())?;
    if head.eq_ignore_ascii_case(PREFIX.as_bytes()) {
        // The prefix is ASCII, so this index is a character boundary.
        text.get(PREFIX.len()..)
    } else {
        None
    }
}

/// Whether `text` is written in the sequence notation rather than as a variant.
pub fn looks_like_sequence(text: &str) -> bool {
    let text = text.trim_start();
    if after_prefix(text).is_some() {
        return true;
    }
    if text.starts_with('>') {
        return true;
    }
    // Bare form: `[HINT:]LETTERS`, the letters part long and made only of IUPAC letters.
    let body = text.rsplit_once(':').map_or(text, |(_, body)| body);
    let letters = body.bytes().filter(|b| !b.is_ascii_whitespace()).count();
    letters >= MIN_BARE_LENGTH
        && body
            .bytes()
            .all(|b| b.is_ascii_whitespace() || is_iupac(b.to_ascii_uppercase()))
}

impl SequenceQuery {
    pub fn parse(text: &str, settings: &Settings) -> Result<Self, SequenceError> {
        let text = text.trim();
        let rest = after_prefix(text).unwrap_or(text);
        // A FASTA body starts at the first `>`; a plain one after the last `:` (sequence letters
        // never contain either, a region hint contains `:`).
        let (hint, body) = match rest.find('>') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => match rest.rfind(':') {
                Some(at) => (&rest[..at + 1], &rest[at + 1..]),
                None => ("", rest),
            },
        };
        let hint = hint.trim().trim_end_matches(':').trim();
        if hint.contains(char::is_whitespace) {
            return Err(SequenceError::InvalidHint {
                hint: hint.to_string(),
                reason: "a hint is one word: gene symbol, transcript id or CHROM:START-END".into(),
            });
        }
        let hint = (!hint.is_empty()).then(|| hint.to_string());
        let (name, letters) = split_fasta(body)?;
        let bases = clean(letters, settings.max_length)?;
        if bases.is_empty() {
            return Err(SequenceError::Empty);
        }
        let informative = bases
            .iter()
            .filter(|b| matches!(b, b'A' | b'C' | b'G' | b'T'))
            .count();
        if informative < settings.min_length {
            return Err(SequenceError::TooShort {
                informative,
                min: settings.min_length,
            });
        }
        Ok(Self { hint, name, bases })
    }
}

/// Header and sequence lines of a one-record FASTA, or the whole body when it is plain.
fn split_fasta(body: &str) -> Result<(Option<String>, &str), SequenceError> {
    let Some(record) = body.strip_prefix('>') else {
        return Ok((None, body));
    };
    let (header, letters) = record.split_once('\n').unwrap_or((record, ""));
    if letters.contains('>') {
        return Err(SequenceError::Invalid(
            "more than one FASTA record: submit one sequence per input".into(),
        ));
    }
    Ok((Some(header.trim().to_string()), letters))
}

/// Upper-cased IUPAC letters without whitespace; anything else is named in the error.
fn clean(letters: &str, max_length: usize) -> Result<Vec<u8>, SequenceError> {
    let mut bases = Vec::with_capacity(letters.len().min(max_length));
    for (offset, c) in letters.char_indices() {
        if c.is_whitespace() {
            continue;
        }
        let b = match c.to_ascii_uppercase() {
            'U' => b'T',
            u if u.is_ascii() && is_iupac(u as u8) => u as u8,
            other => {
                return Err(SequenceError::Invalid(format!(
                    "{other:?} at offset {offset} is not an IUPAC nucleotide letter \
                     (A C G T U, N, R Y S W K M B D H V)"
                )))
            }
        };
        if bases.len() == max_length {
            let length = letters.chars().filter(|c| !c.is_whitespace()).count();
            return Err(SequenceError::TooLong {
                length,
                max: max_length,
            });
        }
        bases.push(b);
    }
    Ok(bases)
}

/// IUPAC nucleotide letters (upper case), `U` included.
pub(crate) fn is_iupac(b: u8) -> bool {
    b"ACGTUNRYSWKMBDHV".contains(&b)
}

/// The two bases a two-base IUPAC code stands for.
pub(crate) fn two_base_code(code: u8) -> Option<[u8; 2]> {
    Some(match code {
        b'R' => [b'A', b'G'],
        b'Y' => [b'C', b'T'],
        b'S' => [b'C', b'G'],
        b'W' => [b'A', b'T'],
        b'K' => [b'G', b'T'],
        b'M' => [b'A', b'C'],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SequenceQuery, SequenceError> {
        let settings = Settings {
            min_length: 4,
            ..Settings::default()
        };
        SequenceQuery::parse(text, &settings)
    }

    #[test]
    fn a_multibyte_character_across_the_prefix_length_is_not_a_sequence() {
        // Regression: `make fuzz` found a panic slicing "\u{1}$\t\u{203}..." at byte 4.
        let text = "\u{1}$\t\u{203}\0\0";
        assert!(!looks_like_sequence(text));
        assert!(parse(text).is_err());
        assert!(looks_like_sequence("SEQ:ACGT"));
        assert!(!looks_like_sequence("se\u{e9}:"));
    }

    #[test]
    fn reads_plain_prefixed_sequence_ignoring_case_and_whitespace() {
        let q = parse("seq:acgt\n ACGu\tnn").unwrap();
        assert_eq!(q.bases, b"ACGTACGTNN");
        assert_eq!(q.hint, None);
    }

    #[test]
    fn reads_gene_transcript_and_region_hints() {
        assert_eq!(
            parse("seq:BRCA1:ACGTACGT").unwrap().hint.as_deref(),
            Some("BRCA1")
        );
        assert_eq!(
            parse("SEQ:NM_007294.4:ACGTACGT").unwrap().hint.as_deref(),
            Some("NM_007294.4")
        );
        assert_eq!(
            parse("seq:17:43044295-43125364:ACGTACGT")
                .unwrap()
                .hint
                .as_deref(),
            Some("17:43044295-43125364")
        );
    }

    #[test]
    fn reads_fasta_with_and_without_hint() {
        let q = parse(">read1 some:thing\nACGT\nacgt\n").unwrap();
        assert_eq!(q.name.as_deref(), Some("read1 some:thing"));
        assert_eq!(q.bases, b"ACGTACGT");
        assert_eq!(q.hint, None);
        let q = parse("seq:BRCA1:>read1\nACGTACGT").unwrap();
        assert_eq!(q.hint.as_deref(), Some("BRCA1"));
    }

    #[test]
    fn rejects_non_iupac_letters_and_second_records() {
        assert!(
            matches!(parse("seq:ACGTXACGT"), Err(SequenceError::Invalid(m)) if m.contains("'X'"))
        );
        assert!(matches!(
            parse("seq:ACGT-ACGT"),
            Err(SequenceError::Invalid(_))
        ));
        assert!(matches!(
            parse(">a\nACGTACGT\n>b\nACGT"),
            Err(SequenceError::Invalid(m)) if m.contains("one sequence")
        ));
    }

    #[test]
    fn enforces_length_limits() {
        let settings = Settings {
            max_length: 10,
            ..Settings::default()
        };
        assert_eq!(
            SequenceQuery::parse(&format!("seq:{}", "A".repeat(12)), &settings),
            Err(SequenceError::TooLong {
                length: 12,
                max: 10
            })
        );
        assert_eq!(
            parse("seq:ACGNNNNNNN"),
            Err(SequenceError::TooShort {
                informative: 3,
                min: 4
            })
        );
        assert_eq!(parse("seq:  "), Err(SequenceError::Empty));
    }

    #[test]
    fn tells_sequences_from_variant_notations() {
        let long = "ACGT".repeat(13);
        assert!(looks_like_sequence(&long));
        assert!(looks_like_sequence(&format!("BRCA1:{long}")));
        assert!(looks_like_sequence(">x\nACGT"));
        assert!(looks_like_sequence("seq:ACGT"));
        assert!(!looks_like_sequence("21 25585733 . C T"));
        assert!(!looks_like_sequence("NM_007294.4:c.68_69del"));
        assert!(!looks_like_sequence("17:g.43094077C>T"));
        assert!(!looks_like_sequence("ACGTACGT"));
    }
}
