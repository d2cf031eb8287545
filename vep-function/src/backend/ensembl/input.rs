//! Submitted strings -> what Ensembl's POST endpoints take. The normalised text is both what is
//! sent and the cache key, and Ensembl echoes it as `input`, which is how answers are matched
//! back to inputs.

use std::fmt;

/// The Ensembl VEP POST endpoint that takes a notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// `/vep/{species}/region`: VCF-style lines or Ensembl's default format.
    Region,
    /// `/vep/{species}/hgvs`.
    Hgvs,
    /// `/vep/{species}/id`: variant identifiers (dbSNP rs ids).
    Id,
}

impl Endpoint {
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Region => "region",
            Endpoint::Hgvs => "hgvs",
            Endpoint::Id => "id",
        }
    }

    /// The JSON key of the POST body's list.
    pub fn body_key(self) -> &'static str {
        match self {
            Endpoint::Region => "variants",
            Endpoint::Hgvs => "hgvs_notations",
            Endpoint::Id => "ids",
        }
    }
}

/// One submitted variant, ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Query {
    pub endpoint: Endpoint,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("empty input")]
    Empty,
    #[error("unparsable input: {0}")]
    Unparsable(String),
}

impl QueryError {
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::Empty => "empty_input",
            QueryError::Unparsable(_) => "unparsable",
        }
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.endpoint.path(), self.text)
    }
}

/// Whitespace-insensitive form used to match Ensembl's `input` echo to what was sent.
pub fn match_key(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `chr1` -> `1`, `chrM`/`M` -> `MT`: the names Ensembl's human server knows.
fn chromosome(name: &str) -> String {
    let bare = match name.get(..3) {
        Some(prefix) if prefix.eq_ignore_ascii_case("chr") => &name[3..],
        _ => name,
    };
    if bare.eq_ignore_ascii_case("m") {
        "MT".into()
    } else {
        bare.to_string()
    }
}

fn is_allele(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b"ACGTNacgtn".contains(&b))
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn looks_like_hgvs(token: &str) -> bool {
    ["g.", "c.", "n.", "m.", "p.", "r."]
        .iter()
        .any(|kind| token.contains(&format!(":{kind}")))
}

fn is_rs_id(token: &str) -> bool {
    match (token.get(..2), token.get(2..)) {
        (Some(prefix), Some(number)) => prefix.eq_ignore_ascii_case("rs") && is_digits(number),
        _ => false,
    }
}

impl std::str::FromStr for Query {
    type Err = QueryError;

    fn from_str(input: &str) -> Result<Self, QueryError> {
        let fields: Vec<&str> = input.split_whitespace().collect();
        match fields.as_slice() {
            [] => Err(QueryError::Empty),
            [one] if looks_like_hgvs(one) => Ok(Query {
                endpoint: Endpoint::Hgvs,
                text: one.to_string(),
            }),
            [one] if is_rs_id(one) => Ok(Query {
                endpoint: Endpoint::Id,
                text: one.to_lowercase(),
            }),
            // Ensembl default format: CHROM START END REF/ALT STRAND [ID]
            [chrom, start, end, alleles, strand, rest @ ..]
                if is_digits(start) && is_digits(end) && alleles.contains('/') =>
            {
                if !matches!(*strand, "+" | "-" | "1" | "-1") {
                    return Err(QueryError::Unparsable(format!(
                        "strand {strand:?} is not one of + - 1 -1"
                    )));
                }
                let mut text = format!(
                    "{} {start} {end} {} {strand}",
                    chromosome(chrom),
                    alleles.to_uppercase()
                );
                if let Some(id) = rest.first() {
                    text.push(' ');
                    text.push_str(id);
                }
                Ok(Query {
                    endpoint: Endpoint::Region,
                    text,
                })
            }
            // VCF data line: CHROM POS ID REF ALT [QUAL FILTER INFO ...]
            [chrom, pos, _id, reference, alt, ..] if is_digits(pos) => {
                if !is_allele(reference) {
                    return Err(QueryError::Unparsable(format!(
                        "REF {reference:?} is not a DNA allele"
                    )));
                }
                if !alt.split(',').all(|a| is_allele(a) || a == "*") {
                    return Err(QueryError::Unparsable(format!(
                        "ALT {alt:?} is not a list of DNA alleles"
                    )));
                }
                // The ID column does not change the annotation: dropping it lets the cache
                // serve the same variant under any name.
                Ok(Query {
                    endpoint: Endpoint::Region,
                    text: format!(
                        "{} {pos} . {} {} . . .",
                        chromosome(chrom),
                        reference.to_uppercase(),
                        alt.to_uppercase()
                    ),
                })
            }
            _ => Err(QueryError::Unparsable(
                "expected a VCF line (CHROM POS ID REF ALT), Ensembl's default format \
                 (CHROM START END REF/ALT STRAND), an HGVS notation or an rs id"
                    .into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(s: &str) -> Result<Query, QueryError> {
        s.parse()
    }

    #[test]
    fn vcf_lines_become_region_lines_without_their_id() {
        let q = query("chr16\t89279135\trs1\tg\tC\t50\tPASS\t.").unwrap();
        assert_eq!(q.endpoint, Endpoint::Region);
        assert_eq!(q.text, "16 89279135 . G C . . .");
        assert_eq!(query("chrM 100 . A T").unwrap().text, "MT 100 . A T . . .");
    }

    #[test]
    fn ensembl_default_format_is_kept() {
        let q = query("1  156114921 156114920 -/A +").unwrap();
        assert_eq!(q.endpoint, Endpoint::Region);
        assert_eq!(q.text, "1 156114921 156114920 -/A +");
        assert!(matches!(
            query("1 10 10 A/T x"),
            Err(QueryError::Unparsable(_))
        ));
    }

    #[test]
    fn hgvs_and_rs_ids_go_to_their_endpoints() {
        assert_eq!(query("AGT:c.803T>C").unwrap().endpoint, Endpoint::Hgvs);
        assert_eq!(query(" 9:g.22125503G>C ").unwrap().text, "9:g.22125503G>C");
        let id = query("RS699").unwrap();
        assert_eq!((id.endpoint, id.text.as_str()), (Endpoint::Id, "rs699"));
    }

    #[test]
    fn anything_else_is_a_typed_error() {
        assert_eq!(query("   "), Err(QueryError::Empty));
        assert!(matches!(query("BRCA1"), Err(QueryError::Unparsable(_))));
        assert!(matches!(
            query("1 100 . A <DEL>"),
            Err(QueryError::Unparsable(_))
        ));
        assert!(matches!(query("1 x . A T"), Err(QueryError::Unparsable(_))));
    }

    #[test]
    fn matching_ignores_spacing() {
        assert_eq!(match_key(" 16  1 . G\tC "), "16 1 . G C");
    }
}
