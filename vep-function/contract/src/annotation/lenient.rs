//! Reading annotations leniently, so that an Ensembl REST answer survives unchanged: a known
//! field takes its typed place only when its JSON value has exactly that type (e.g. `hgnc_id`
//! is a number in some GRCh37 answers, a string in ours); otherwise it stays in `extra`, as
//! it came, and is written back as it came. An empty list or a `null` stays in `extra` too
//! (the typed field would skip it when written). Only the fields every VEP answer has are
//! required ([`MissingField`]).
//!
//! A derive with `#[serde(flatten)]` would refuse such an answer instead of passing it on.

use serde::de::{Deserialize, Deserializer, Error as _};
use serde_json::Value;

use super::{
    CalledFromSequence, Extra, IntergenicConsequence, ModelScore, TranscriptConsequence,
    VariantAnnotation,
};

/// A field every VEP answer has is absent, or not of its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("annotation field {0:?} is missing or not of its type")]
pub struct MissingField(pub &'static str);

/// A JSON value that converts to the typed field, or is handed back unchanged.
trait FromJson: Sized {
    fn from_json(v: Value) -> Result<Self, Value>;
}

impl FromJson for String {
    fn from_json(v: Value) -> Result<Self, Value> {
        match v {
            Value::String(s) => Ok(s),
            other => Err(other),
        }
    }
}

impl FromJson for u64 {
    fn from_json(v: Value) -> Result<Self, Value> {
        v.as_u64().ok_or(v)
    }
}

/// Integers narrower than 64 bits: any value outside their range stays in `extra`.
macro_rules! from_i64 {
    ($($t:ty),*) => {$(
        impl FromJson for $t {
            fn from_json(v: Value) -> Result<Self, Value> {
                match v.as_i64().map(<$t>::try_from) {
                    Some(Ok(n)) => Ok(n),
                    _ => Err(v),
                }
            }
        }
    )*};
}
from_i64!(i8, i32, i64, u8);

impl FromJson for serde_json::Number {
    fn from_json(v: Value) -> Result<Self, Value> {
        match v {
            Value::Number(n) => Ok(n),
            other => Err(other),
        }
    }
}

impl FromJson for Vec<String> {
    fn from_json(v: Value) -> Result<Self, Value> {
        match v {
            Value::Array(items) if items.iter().all(Value::is_string) => Ok(items
                .into_iter()
                .filter_map(|s| match s {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect()),
            other => Err(other),
        }
    }
}

/// Objects of our own nested types: typed only when they write back to the same JSON.
fn exact<T>(v: Value) -> Result<T, Value>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    match serde_json::from_value::<T>(v.clone()) {
        Ok(t) if serde_json::to_value(&t).is_ok_and(|back| back == v) => Ok(t),
        _ => Err(v),
    }
}

impl FromJson for ModelScore {
    fn from_json(v: Value) -> Result<Self, Value> {
        exact(v)
    }
}

impl FromJson for Vec<ModelScore> {
    fn from_json(v: Value) -> Result<Self, Value> {
        exact(v)
    }
}

impl FromJson for CalledFromSequence {
    fn from_json(v: Value) -> Result<Self, Value> {
        exact(v)
    }
}

/// A required field and the test its JSON value must pass.
type Required = (&'static str, fn(&Value) -> bool);

/// A type read from an object's map: the fields it requires, then the taking.
pub(super) trait Lenient: Sized {
    /// Fields every VEP answer has, with the test their value must pass.
    const REQUIRED: &'static [Required];
    /// Builds the value once `REQUIRED` passed.
    fn take(t: &mut Take) -> Self;

    fn readable<'a>(mut get: impl FnMut(&str) -> Option<&'a Value>) -> Result<(), MissingField> {
        match Self::REQUIRED
            .iter()
            .find(|(name, fits)| !get(name).is_some_and(fits))
        {
            Some((name, _)) => Err(MissingField(name)),
            None => Ok(()),
        }
    }

    fn from_map(map: Extra) -> Result<Self, MissingField> {
        Self::readable(|k| map.get(k))?;
        let mut t = Take(map);
        Ok(Self::take(&mut t))
    }
}

fn is_u64(v: &Value) -> bool {
    v.is_u64()
}

fn is_i8(v: &Value) -> bool {
    v.as_i64().is_some_and(|n| i8::try_from(n).is_ok())
}

fn is_strings(v: &Value) -> bool {
    v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
}

/// A list written only when not empty (`transcript_consequences`...): typed when every item
/// reads, else left whole in `extra`.
fn list<T: Lenient>(v: Value) -> Result<Vec<T>, Value> {
    match v {
        Value::Array(items)
            if !items.is_empty()
                && items.iter().all(|i| {
                    i.as_object()
                        .is_some_and(|m| T::readable(|k| m.get(k)).is_ok())
                }) =>
        {
            Ok(items
                .into_iter()
                .filter_map(|item| match item {
                    Value::Object(map) => Some(T::take(&mut Take(map.into_iter().collect()))),
                    _ => None,
                })
                .collect())
        }
        other => Err(other),
    }
}

/// Takes typed fields out of an object's map; what remains is its `extra`.
pub(super) struct Take(Extra);

impl Take {
    fn with<T>(
        &mut self,
        name: &'static str,
        read: impl FnOnce(Value) -> Result<T, Value>,
    ) -> Option<T> {
        let value = self.0.remove(name)?;
        match read(value) {
            Ok(t) => Some(t),
            Err(value) => {
                self.0.insert(name.to_owned(), value);
                None
            }
        }
    }

    fn opt<T: FromJson>(&mut self, name: &'static str) -> Option<T> {
        self.with(name, T::from_json)
    }

    /// A field `REQUIRED` has checked.
    fn req<T: FromJson + Default>(&mut self, name: &'static str) -> T {
        self.opt(name).unwrap_or_default()
    }

    /// A list the typed field writes only when not empty.
    fn nonempty(&mut self, name: &'static str) -> Vec<String> {
        self.with(name, |v| match Vec::<String>::from_json(v)? {
            items if items.is_empty() => Err(Value::Array(Vec::new())),
            items => Ok(items),
        })
        .unwrap_or_default()
    }

    fn rest(&mut self) -> Extra {
        std::mem::take(&mut self.0)
    }
}

impl Lenient for VariantAnnotation {
    const REQUIRED: &'static [Required] = &[
        ("input", Value::is_string),
        ("seq_region_name", Value::is_string),
        ("start", is_u64),
        ("end", is_u64),
        ("allele_string", Value::is_string),
        ("most_severe_consequence", Value::is_string),
    ];

    fn take(t: &mut Take) -> Self {
        Self {
            input: t.req("input"),
            id: t.opt("id"),
            seq_region_name: t.req("seq_region_name"),
            start: t.req("start"),
            end: t.req("end"),
            strand: t.opt("strand"),
            allele_string: t.req("allele_string"),
            assembly_name: t.opt("assembly_name"),
            most_severe_consequence: t.req("most_severe_consequence"),
            transcript_consequences: t.with("transcript_consequences", list).unwrap_or_default(),
            intergenic_consequences: t.with("intergenic_consequences", list).unwrap_or_default(),
            input_index: t.opt("input_index"),
            called_from_sequence: t.opt("called_from_sequence"),
            extra: t.rest(),
        }
    }
}

impl Lenient for TranscriptConsequence {
    const REQUIRED: &'static [Required] = &[
        ("transcript_id", Value::is_string),
        ("gene_id", Value::is_string),
        ("biotype", Value::is_string),
        ("strand", is_i8),
        ("consequence_terms", is_strings),
        ("impact", Value::is_string),
        ("variant_allele", Value::is_string),
    ];

    fn take(t: &mut Take) -> Self {
        Self {
            transcript_id: t.req("transcript_id"),
            gene_id: t.req("gene_id"),
            gene_symbol: t.opt("gene_symbol"),
            gene_symbol_source: t.opt("gene_symbol_source"),
            hgnc_id: t.opt("hgnc_id"),
            biotype: t.req("biotype"),
            strand: t.req("strand"),
            consequence_terms: t.req("consequence_terms"),
            impact: t.req("impact"),
            variant_allele: t.req("variant_allele"),
            cdna_start: t.opt("cdna_start"),
            cdna_end: t.opt("cdna_end"),
            cds_start: t.opt("cds_start"),
            cds_end: t.opt("cds_end"),
            protein_start: t.opt("protein_start"),
            protein_end: t.opt("protein_end"),
            amino_acids: t.opt("amino_acids"),
            codons: t.opt("codons"),
            exon: t.opt("exon"),
            intron: t.opt("intron"),
            distance: t.opt("distance"),
            hgvsc: t.opt("hgvsc"),
            hgvsp: t.opt("hgvsp"),
            hgvs_offset: t.opt("hgvs_offset"),
            protein_id: t.opt("protein_id"),
            canonical: t.opt("canonical"),
            mane_select: t.opt("mane_select"),
            mane_plus_clinical: t.opt("mane_plus_clinical"),
            flags: t.nonempty("flags"),
            sift_score: t.opt("sift_score"),
            polyphen_score: t.opt("polyphen_score"),
            polyphen_prediction: t.opt("polyphen_prediction"),
            blosum62: t.opt("blosum62"),
            grantham: t.opt("grantham"),
            condel: t.opt("condel"),
            ml_scores: t.opt("ml_scores"),
            extra: t.rest(),
        }
    }
}

impl Lenient for IntergenicConsequence {
    const REQUIRED: &'static [Required] = &[
        ("consequence_terms", is_strings),
        ("impact", Value::is_string),
        ("variant_allele", Value::is_string),
    ];

    fn take(t: &mut Take) -> Self {
        Self {
            consequence_terms: t.req("consequence_terms"),
            impact: t.req("impact"),
            variant_allele: t.req("variant_allele"),
            extra: t.rest(),
        }
    }
}

impl TryFrom<Value> for VariantAnnotation {
    type Error = MissingField;

    /// An annotation from a JSON value (an Ensembl answer object); a value that is not an
    /// object lacks `input`.
    fn try_from(v: Value) -> Result<Self, MissingField> {
        match v {
            Value::Object(map) => Self::from_map(map.into_iter().collect()),
            _ => Err(MissingField("input")),
        }
    }
}

macro_rules! deserialize_via_map {
    ($($t:ty),*) => {$(
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let map = Extra::deserialize(deserializer)?;
                Self::from_map(map).map_err(D::Error::custom)
            }
        }
    )*};
}
deserialize_via_map!(
    VariantAnnotation,
    TranscriptConsequence,
    IntergenicConsequence
);
