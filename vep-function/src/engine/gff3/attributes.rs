//! GFF3 column 9: `key=value;key=value`, values percent-encoded.

use std::borrow::Cow;

pub(super) struct Attributes<'a> {
    pairs: Vec<(&'a str, Cow<'a, str>)>,
}

impl<'a> Attributes<'a> {
    pub(super) fn parse(text: &'a str) -> Self {
        let pairs = text
            .split(';')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.trim(), decode(v)))
            .collect();
        Self { pairs }
    }

    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_ref())
    }
}

fn decode(value: &str) -> Cow<'_, str> {
    if !value.contains('%') {
        return Cow::Borrowed(value);
    }
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes_and_finds_keys() {
        let a = Attributes::parse("ID=gene:1;Name=A%3BB;tag=basic,MANE_Select");
        assert_eq!(a.get("Name"), Some("A;B"));
        assert_eq!(a.get("tag"), Some("basic,MANE_Select"));
        assert_eq!(a.get("missing"), None);
    }
}
