//! `custom_annotations`: what the site's own VCFs (ClinVar, gnomAD, dbSNP: VEP's `--custom`
//! sources) say about a variant, in VEP's JSON shape. `Bio::EnsEMBL::VEP::OutputFactory::JSON`
//! moves the variant's `_custom_annotations` to `custom_annotations`, keyed by each source's
//! `short_name`, a list of records in file order; a record is `{name, allele, fields}` as
//! `AnnotationSource::File::VCF::_create_records` builds it (`allele` for `type=exact` only,
//! `fields` when `fields=` was given). VEP then runs `numberify` over the whole object: every
//! value Perl's `looks_like_number` accepts is written as a JSON number (`"name": 11236`,
//! `"AF": 0.0001`), which [`json_number`] reproduces.
//!
//! Values are kept as the source's text. Only human-readable encodings (JSON) write numbers;
//! a binary one (an event's compact form) carries the plain strings.

use std::collections::BTreeMap;

use serde::de::{Deserializer, Error as _};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// Records of each source that matched the variant, by `short_name`.
pub type CustomAnnotations = BTreeMap<String, Vec<CustomAnnotation>>;

/// One source record that matched the variant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomAnnotation {
    /// The record's first ID; `CHROM:START-END` when it has none or the source says
    /// `coords=1`.
    pub name: String,
    /// The variant's allele this record matched (`type=exact`); `None` for `type=overlap`,
    /// which matches the position only.
    pub allele: Option<String>,
    /// The requested INFO fields the record has (allele-specific values split to the matched
    /// ALT), and `FILTER`, as VEP adds it whenever fields are requested.
    pub fields: BTreeMap<String, String>,
}

/// `text` as the JSON number VEP's `numberify` makes of it (`$v + 0` where
/// `looks_like_number`), or `None` when it stays a string. Integers keep their digits; other
/// numbers are written as `f64` (whole ones as integers, as Perl prints them).
pub fn json_number(text: &str) -> Option<serde_json::Number> {
    // One optional sign; Rust's parsers take `-` but not always `+`.
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text).as_bytes();
    if digits.is_empty() {
        return None;
    }
    if digits.iter().all(u8::is_ascii_digit) {
        if let Ok(n) = unsigned.parse::<i64>() {
            return Some(n.into());
        }
        if let Ok(n) = unsigned.parse::<u64>() {
            return Some(n.into());
        }
    } else if !decimal(digits) {
        return None;
    }
    let value: f64 = unsigned.parse().ok()?;
    if !value.is_finite() {
        return None;
    }
    // Perl prints a whole NV without a fraction (`%g`), as long as it has the digits.
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return Some((value as i64).into());
    }
    serde_json::Number::from_f64(value)
}

/// `1.5`, `.5`, `1.`, `1e-05`, `2.5E3`: Perl's decimal numbers (sign already removed).
fn decimal(s: &[u8]) -> bool {
    let (mantissa, exponent) = match s.iter().position(|&b| b == b'e' || b == b'E') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut parts = mantissa.splitn(2, |&b| b == b'.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next().unwrap_or_default();
    let digits = |p: &[u8]| p.iter().all(u8::is_ascii_digit);
    let mantissa_ok = digits(whole) && digits(fraction) && whole.len() + fraction.len() > 0;
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e
            .strip_prefix(b"+")
            .or_else(|| e.strip_prefix(b"-"))
            .unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// A text value as VEP writes it in JSON.
struct Numberified<'a>(&'a str);

impl Serialize for Numberified<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match json_number(self.0) {
            Some(n) => n.serialize(serializer),
            None => serializer.serialize_str(self.0),
        }
    }
}

struct NumberifiedFields<'a>(&'a BTreeMap<String, String>);

impl Serialize for NumberifiedFields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, &Numberified(v))?;
        }
        map.end()
    }
}

/// The binary form: plain strings, fields in declared order.
#[derive(Serialize, Deserialize)]
struct Plain {
    allele: Option<String>,
    fields: BTreeMap<String, String>,
    name: String,
}

/// A JSON scalar read back as the text it stands for.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Number(serde_json::Number),
}

impl From<Scalar> for String {
    fn from(s: Scalar) -> Self {
        match s {
            Scalar::Text(t) => t,
            Scalar::Number(n) => n.to_string(),
        }
    }
}

/// The JSON form, keys as VEP writes them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    #[serde(default)]
    allele: Option<Scalar>,
    #[serde(default)]
    fields: BTreeMap<String, Scalar>,
    name: Scalar,
}

impl Serialize for CustomAnnotation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !serializer.is_human_readable() {
            return Plain {
                allele: self.allele.clone(),
                fields: self.fields.clone(),
                name: self.name.clone(),
            }
            .serialize(serializer);
        }
        let mut map = serializer.serialize_map(None)?;
        if let Some(allele) = &self.allele {
            map.serialize_entry("allele", &Numberified(allele))?;
        }
        if !self.fields.is_empty() {
            map.serialize_entry("fields", &NumberifiedFields(&self.fields))?;
        }
        map.serialize_entry("name", &Numberified(&self.name))?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for CustomAnnotation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if !deserializer.is_human_readable() {
            let plain = Plain::deserialize(deserializer)?;
            return Ok(Self {
                name: plain.name,
                allele: plain.allele,
                fields: plain.fields,
            });
        }
        let wire = Wire::deserialize(deserializer)?;
        let name = String::from(wire.name);
        if name.is_empty() {
            return Err(D::Error::custom("a custom annotation record has no name"));
        }
        Ok(Self {
            name,
            allele: wire.allele.map(String::from),
            fields: wire
                .fields
                .into_iter()
                .map(|(k, v)| (k, String::from(v)))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_are_what_perls_looks_like_number_accepts() {
        let n = |s: &str| json_number(s).map(|n| n.to_string());
        assert_eq!(n("11236").as_deref(), Some("11236"));
        assert_eq!(n("007").as_deref(), Some("7"));
        assert_eq!(n("+5").as_deref(), Some("5"));
        assert_eq!(n("-3").as_deref(), Some("-3"));
        assert_eq!(n("0.4181").as_deref(), Some("0.4181"));
        assert_eq!(n("1.0").as_deref(), Some("1"));
        assert_eq!(n(".5").as_deref(), Some("0.5"));
        assert_eq!(n("5e3").as_deref(), Some("5000"));
        assert_eq!(json_number("1e-05").and_then(|n| n.as_f64()), Some(1e-5));
        for text in [
            "Pathogenic",
            "criteria_provided,_single_submitter",
            "",
            "-",
            ".",
            "1.2.3",
            "e5",
            "1e",
            "0x10",
            "NaN",
            "Inf",
            "1,2",
            "rs104894788",
            "+-5",
        ] {
            assert_eq!(json_number(text), None, "{text:?}");
        }
    }

    fn clinvar_record() -> CustomAnnotation {
        CustomAnnotation {
            name: "11236".into(),
            allele: Some("T".into()),
            fields: BTreeMap::from([
                ("CLNSIG".into(), "Pathogenic".into()),
                ("AF_EXAC".into(), "0.00001".into()),
                ("FILTER".into(), ".".into()),
            ]),
        }
    }

    #[test]
    fn json_has_vep_keys_and_numbers_and_reads_back() {
        let record = clinvar_record();
        let value = serde_json::to_value(&record).unwrap();
        assert_eq!(
            value,
            json!({"allele": "T", "name": 11236,
                "fields": {"AF_EXAC": 0.00001, "CLNSIG": "Pathogenic", "FILTER": "."}})
        );
        let back: CustomAnnotation = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), value);
        assert_eq!(back.name, "11236");
        let overlap = CustomAnnotation {
            name: "21:100-102".into(),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&overlap).unwrap(),
            json!({"name": "21:100-102"})
        );
    }

    #[test]
    fn odd_records_are_refused() {
        for bad in [
            json!({"allele": "T"}),
            json!({"name": ""}),
            json!({"name": "x", "colour": "red"}),
            json!({"name": "x", "fields": {"AF": [1]}}),
        ] {
            assert!(
                serde_json::from_value::<CustomAnnotation>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
