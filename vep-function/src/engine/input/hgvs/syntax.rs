//! The text grammar of the accepted HGVS subset, without any reference lookup:
//! `REFERENCE[(INNER)]:KIND.POSITION[_POSITION]EDIT`.

use std::fmt;

use crate::engine::input::allele_text::bases;
use crate::engine::input::InputError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Genomic,
    Mitochondrial,
    Coding,
    NonCoding,
}

/// Where a position counts from: `c.N`/`n.N`/`g.N`, `c.-N` (5' of the CDS start or of the
/// transcript), `c.*N` (3' of the stop codon).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    Plain(u64),
    Upstream(u64),
    Downstream(u64),
}

/// An HGVS position: an anchor plus an intronic offset (`+5`, `-2`), 0 for exonic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    pub anchor: Anchor,
    pub offset: i64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.anchor {
            Anchor::Plain(n) => write!(f, "{n}")?,
            Anchor::Upstream(n) => write!(f, "-{n}")?,
            Anchor::Downstream(n) => write!(f, "*{n}")?,
        }
        if self.offset != 0 {
            write!(f, "{:+}", self.offset)?;
        }
        Ok(())
    }
}

/// Reference bases a description states for a deletion/duplication/inversion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stated {
    Bases(String),
    Length(u64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EditSyntax {
    Substitution {
        from: String,
        to: String,
    },
    Deletion(Option<Stated>),
    Duplication(Option<Stated>),
    Inversion(Option<Stated>),
    Insertion(String),
    DeletionInsertion {
        deleted: Option<Stated>,
        inserted: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Description {
    pub reference: String,
    pub inner: Option<String>,
    pub kind: Kind,
    pub start: Position,
    pub end: Position,
    pub edit: EditSyntax,
}

fn unsupported(reason: impl Into<String>) -> InputError {
    InputError::UnsupportedNotation {
        reason: reason.into(),
    }
}

pub(crate) fn parse(text: &str) -> Result<Description, InputError> {
    let (reference_part, rest) = text
        .split_once(':')
        .ok_or_else(|| InputError::unparsable("HGVS needs REFERENCE:KIND.DESCRIPTION"))?;
    let (reference, inner) = reference_name(reference_part)?;
    let (kind, body) = match rest.split_once('.') {
        Some(("g", body)) => (Kind::Genomic, body),
        Some(("m", body)) => (Kind::Mitochondrial, body),
        Some(("c", body)) => (Kind::Coding, body),
        Some(("n", body)) => (Kind::NonCoding, body),
        Some(("p", _)) => {
            return Err(unsupported(
                "protein (p.) descriptions cannot be placed on the genome",
            ))
        }
        Some(("r", _)) => return Err(unsupported("RNA (r.) descriptions are not supported")),
        Some(("o", _)) => return Err(unsupported("circular (o.) descriptions are not supported")),
        _ => {
            return Err(InputError::unparsable(format!(
                "'{rest}' does not start with g., m., c. or n."
            )))
        }
    };
    if body.contains(['(', '?', '[', ';', '^']) {
        return Err(unsupported(
            "uncertain positions, repeats and alleles ((), ?, [], ;, ^) are not supported",
        ));
    }
    let mut cursor = Cursor { text: body, at: 0 };
    let start = cursor.position(kind)?;
    let end = if cursor.eat("_") {
        cursor.position(kind)?
    } else {
        start
    };
    let edit = edit(cursor.rest())?;
    if matches!(edit, EditSyntax::Insertion(_)) && start == end {
        return Err(InputError::unparsable(
            "an insertion needs the two flanking positions, e.g. 5_6insA",
        ));
    }
    Ok(Description {
        reference,
        inner,
        kind,
        start,
        end,
        edit,
    })
}

/// `NM_007294.4`, `NM_007294.4(BRCA1)` or `NC_000017.11(NM_007294.4)`.
fn reference_name(text: &str) -> Result<(String, Option<String>), InputError> {
    let text = text.trim();
    let (outer, inner) = match text.split_once('(') {
        Some((outer, rest)) => {
            let inner = rest
                .strip_suffix(')')
                .ok_or_else(|| InputError::unparsable("unbalanced parenthesis in reference"))?;
            (outer, Some(inner.to_string()))
        }
        None => (text, None),
    };
    if outer.is_empty() || outer.contains(char::is_whitespace) {
        return Err(InputError::unparsable(
            "missing reference sequence name before ':'",
        ));
    }
    Ok((outer.to_string(), inner))
}

struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl Cursor<'_> {
    fn rest(&self) -> &str {
        self.text.get(self.at..).unwrap_or_default()
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    fn number(&mut self) -> Result<u64, InputError> {
        let digits = self.rest().bytes().take_while(u8::is_ascii_digit).count();
        let text = &self.rest()[..digits];
        let n = text.parse::<u64>().ok().filter(|&n| n > 0).ok_or_else(|| {
            InputError::unparsable(format!("expected a position >= 1 at '{}'", self.rest()))
        })?;
        self.at += digits;
        Ok(n)
    }

    fn position(&mut self, kind: Kind) -> Result<Position, InputError> {
        let transcript = matches!(kind, Kind::Coding | Kind::NonCoding);
        let anchor = if transcript && self.eat("-") {
            Anchor::Upstream(self.number()?)
        } else if kind == Kind::Coding && self.eat("*") {
            Anchor::Downstream(self.number()?)
        } else {
            Anchor::Plain(self.number()?)
        };
        let offset = if !transcript {
            0
        } else if self.eat("+") {
            signed(self.number()?)?
        } else if self.eat("-") {
            -signed(self.number()?)?
        } else {
            0
        };
        Ok(Position { anchor, offset })
    }
}

fn signed(n: u64) -> Result<i64, InputError> {
    i64::try_from(n).map_err(|_| InputError::unparsable("intronic offset is too large"))
}

fn edit(text: &str) -> Result<EditSyntax, InputError> {
    if let Some((from, to)) = text.split_once('>') {
        let from = bases(from)?;
        let to = bases(to)?;
        if from.len() != 1 || to.len() != 1 {
            return Err(InputError::unparsable(
                "a substitution changes one base (X>Y); use delins for more",
            ));
        }
        return Ok(EditSyntax::Substitution { from, to });
    }
    if let Some(inserted) = text.strip_prefix("delins") {
        return Ok(EditSyntax::DeletionInsertion {
            deleted: None,
            inserted: inserted_bases(inserted)?,
        });
    }
    if let Some(rest) = text.strip_prefix("del") {
        // Legacy `delAGinsT` is a deletion-insertion that states the deleted bases.
        if let Some((deleted, inserted)) = rest.split_once("ins") {
            return Ok(EditSyntax::DeletionInsertion {
                deleted: stated(deleted)?,
                inserted: inserted_bases(inserted)?,
            });
        }
        return Ok(EditSyntax::Deletion(stated(rest)?));
    }
    if let Some(rest) = text.strip_prefix("dup") {
        return Ok(EditSyntax::Duplication(stated(rest)?));
    }
    if let Some(rest) = text.strip_prefix("inv") {
        return Ok(EditSyntax::Inversion(stated(rest)?));
    }
    if let Some(rest) = text.strip_prefix("ins") {
        return Ok(EditSyntax::Insertion(inserted_bases(rest)?));
    }
    if text == "=" {
        return Err(unsupported("'=' describes no change"));
    }
    if text.starts_with("con") {
        return Err(unsupported("conversions (con) are not supported"));
    }
    if text.is_empty() {
        return Err(InputError::unparsable("missing edit after the position"));
    }
    Err(InputError::unparsable(format!(
        "unknown edit '{text}' (expected X>Y, del, dup, ins, delins or inv)"
    )))
}

fn stated(text: &str) -> Result<Option<Stated>, InputError> {
    if text.is_empty() {
        return Ok(None);
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        let n = text
            .parse::<u64>()
            .map_err(|_| InputError::unparsable(format!("length '{text}' is too large")))?;
        return Ok(Some(Stated::Length(n)));
    }
    Ok(Some(Stated::Bases(bases(text)?)))
}

fn inserted_bases(text: &str) -> Result<String, InputError> {
    if text.is_empty() {
        return Err(InputError::unparsable("insertion without inserted bases"));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(unsupported(
            "insertions of an unspecified sequence (ins10) cannot be annotated",
        ));
    }
    bases(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_intronic_and_utr_positions() {
        let d = parse("NM_007294.4:c.-10-2_*5+3del").unwrap();
        assert_eq!(
            d.start,
            Position {
                anchor: Anchor::Upstream(10),
                offset: -2
            }
        );
        assert_eq!(
            d.end,
            Position {
                anchor: Anchor::Downstream(5),
                offset: 3
            }
        );
        assert_eq!(d.edit, EditSyntax::Deletion(None));
    }

    #[test]
    fn parses_reference_with_gene_in_parentheses() {
        let d = parse("NM_007294.4(BRCA1):c.68_69delAG").unwrap();
        assert_eq!(d.reference, "NM_007294.4");
        assert_eq!(d.inner.as_deref(), Some("BRCA1"));
        assert_eq!(
            d.edit,
            EditSyntax::Deletion(Some(Stated::Bases("AG".to_string())))
        );
    }

    #[test]
    fn parses_legacy_delins_with_stated_bases() {
        let d = parse("17:g.100_101delAGinsT").unwrap();
        assert_eq!(
            d.edit,
            EditSyntax::DeletionInsertion {
                deleted: Some(Stated::Bases("AG".to_string())),
                inserted: "T".to_string()
            }
        );
    }

    #[test]
    fn genomic_positions_take_no_offsets() {
        assert!(parse("21:g.100+1del").is_err());
        assert!(parse("21:g.*100del").is_err());
    }

    #[test]
    fn refuses_protein_and_uncertain_descriptions_by_name() {
        for text in [
            "NP_009225.1:p.Glu23fs",
            "NM_007294.4:c.(67_70)del",
            "NM_007294.4:c.68?",
            "NM_007294.4:c.68=",
        ] {
            assert_eq!(
                parse(text).unwrap_err().code(),
                "unsupported_notation",
                "{text}"
            );
        }
    }

    #[test]
    fn insertion_needs_two_positions() {
        assert_eq!(parse("21:g.100insA").unwrap_err().code(), "unparsable");
    }

    #[test]
    fn position_display_round_trips_offsets() {
        let d = parse("X:c.-10-2_123+5del").unwrap();
        assert_eq!(format!("{}_{}", d.start, d.end), "-10-2_123+5");
    }
}
