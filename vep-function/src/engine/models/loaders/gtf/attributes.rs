//! GTF column 9: `key "value"; key "value"; ...`, where a key (e.g. `tag`) may repeat and a
//! quoted value may contain `;`.

pub(super) struct Attributes<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Attributes<'a> {
    pub(super) fn parse(text: &'a str) -> Result<Self, String> {
        let mut pairs = Vec::new();
        let mut rest = text.trim_start();
        while !rest.is_empty() {
            let key_end = rest
                .find(char::is_whitespace)
                .ok_or_else(|| format!("key {rest:?} has no value"))?;
            let key = &rest[..key_end];
            let after = rest[key_end..].trim_start();
            let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
                let close = quoted
                    .find('"')
                    .ok_or_else(|| format!("unterminated quote after {key}"))?;
                (&quoted[..close], &quoted[close + 1..])
            } else {
                let end = after.find(';').unwrap_or(after.len());
                (after[..end].trim_end(), &after[end..])
            };
            pairs.push((key, value));
            let tail = tail.trim_start();
            if !tail.is_empty() && !tail.starts_with(';') {
                return Err(format!("expected ';' after {key}"));
            }
            // Ensembl writes a stray empty field (`;;`) at the end of some rows.
            rest = tail.trim_start_matches(|c: char| c == ';' || c.is_whitespace());
        }
        Ok(Attributes { pairs })
    }

    pub(super) fn get(&self, key: &str) -> Option<&'a str> {
        self.pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    pub(super) fn all<'s>(&'s self, key: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.pairs
            .iter()
            .filter(move |(k, _)| *k == key)
            .map(|(_, v)| *v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quoted_repeated_and_bare_values() {
        let a = Attributes::parse(
            r#"gene_id "ENSG1"; exon_number 3; tag "basic"; tag "CCDS"; note "a;b";;"#,
        )
        .unwrap();
        assert_eq!(a.get("gene_id"), Some("ENSG1"));
        assert_eq!(a.get("exon_number"), Some("3"));
        assert_eq!(a.all("tag").collect::<Vec<_>>(), ["basic", "CCDS"]);
        assert_eq!(a.get("note"), Some("a;b"));
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        assert!(Attributes::parse(r#"gene_id "ENSG1; tag "x";"#).is_err());
        assert!(Attributes::parse(r#"gene_id "ENSG1"#).is_err());
    }
}
