//! GFF3 column 9: `key=value;key=value`, values percent-encoded (Ensembl and NCBI files alike).

use std::borrow::Cow;

pub(in crate::engine) struct Attributes<'a> {
    pairs: Vec<(&'a str, Cow<'a, str>)>,
}

impl<'a> Attributes<'a> {
    pub(in crate::engine) fn parse(text: &'a str) -> Self {
        let pairs = text
            .split(';')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.trim(), decode(v)))
            .collect();
        Attributes { pairs }
    }

    pub(in crate::engine) fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_ref())
    }
}

/// Decodes `%XX` escapes; a malformed escape is kept literally rather than dropped.
fn decode(value: &str) -> Cow<'_, str> {
    if !value.contains('%') {
        return Cow::Borrowed(value);
    }
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| value.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes_and_keeps_malformed_ones() {
        let a = Attributes::parse("product=variant 1%2C long;note=100%;x=%zz");
        assert_eq!(a.get("product"), Some("variant 1, long"));
        assert_eq!(a.get("note"), Some("100%"));
        assert_eq!(a.get("x"), Some("%zz"));
    }

    #[test]
    fn decodes_percent_escapes_and_finds_keys() {
        let a = Attributes::parse("ID=gene:1;Name=A%3BB;tag=basic,MANE_Select");
        assert_eq!(a.get("Name"), Some("A;B"));
        assert_eq!(a.get("tag"), Some("basic,MANE_Select"));
        assert_eq!(a.get("missing"), None);
    }
}
