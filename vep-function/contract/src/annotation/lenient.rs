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
    CalledFromSequence, CustomAnnotations, Extra, IntergenicConsequence, ModelScore,
    TranscriptConsequence, VariantAnnotation,
};

/// A field every VEP answer has is absent, or not of its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("annotation field {0:?} is missing or not of its type")]
pub struct MissingField(pub &'static str);

/// A JSON value that converts to the typed field, or is handed back unchanged.
pub(super) trait FromJson: Sized {
    fn from_json(v: Value) -> Result<Self, Value>;
    /// Whether [`FromJson::from_json`] would take `v` (checked before anything is taken).
    fn fits(v: &Value) -> bool;
}

impl FromJson for String {
    fn from_json(v: Value) -> Result<Self, Value> {
        match v {
            Value::String(s) => Ok(s),
            other => Err(other),
        }
    }
    fn fits(v: &Value) -> bool {
        v.is_string()
    }
}

impl FromJson for u64 {
    fn from_json(v: Value) -> Result<Self, Value> {
        v.as_u64().ok_or(v)
    }
    fn fits(v: &Value) -> bool {
        v.is_u64()
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
            fn fits(v: &Value) -> bool {
                v.as_i64().is_some_and(|n| <$t>::try_from(n).is_ok())
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
    fn fits(v: &Value) -> bool {
        v.is_number()
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
    fn fits(v: &Value) -> bool {
        v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
    }
}

/// Objects of our own nested types: typed only when they write back to the same JSON.
macro_rules! exact {
    ($($t:ty),*) => {$(
        impl FromJson for $t {
            fn from_json(v: Value) -> Result<Self, Value> {
                match serde_json::from_value::<$t>(v.clone()) {
                    Ok(t) if serde_json::to_value(&t).is_ok_and(|back| back == v) => Ok(t),
                    _ => Err(v),
                }
            }
            fn fits(v: &Value) -> bool {
                Self::from_json(v.clone()).is_ok()
            }
        }
    )*};
}
exact!(
    ModelScore,
    Vec<ModelScore>,
    CalledFromSequence,
    CustomAnnotations
);

/// `custom_annotations`: typed when it writes back to the same JSON and is not empty (the
/// typed field skips an empty one).
pub(super) fn custom(v: Value) -> Result<CustomAnnotations, Value> {
    match CustomAnnotations::from_json(v) {
        Ok(c) if c.is_empty() => Err(Value::Object(Default::default())),
        other => other,
    }
}

/// A type read from an object's map (implemented by `json_fields!`, from its field list): the
/// fields every VEP answer has are checked first, then each field is taken.
pub(super) trait Lenient: Sized {
    /// `MissingField` for the first required field that is absent or not of its type.
    fn readable<'a>(get: impl Fn(&str) -> Option<&'a Value>) -> Result<(), MissingField>;
    /// Builds the value once `readable` passed.
    fn take(t: &mut Take) -> Self;

    fn from_map(map: Extra) -> Result<Self, MissingField> {
        Self::readable(|k| map.get(k))?;
        let mut t = Take(map);
        Ok(Self::take(&mut t))
    }
}

/// Whether `v` fits the type of the field `field` projects to (the type is all it reads).
pub(super) fn fits_field<S, T: FromJson>(_field: impl Fn(&S) -> &T, v: &Value) -> bool {
    T::fits(v)
}

/// A list written only when not empty (`transcript_consequences`...): typed when every item
/// reads, else left whole in `extra`.
pub(super) fn list<T: Lenient>(v: Value) -> Result<Vec<T>, Value> {
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
    pub(super) fn with<T>(
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

    pub(super) fn opt<T: FromJson>(&mut self, name: &'static str) -> Option<T> {
        self.with(name, T::from_json)
    }

    /// A field `REQUIRED` has checked.
    pub(super) fn req<T: FromJson + Default>(&mut self, name: &'static str) -> T {
        self.opt(name).unwrap_or_default()
    }

    /// A list the typed field writes only when not empty.
    pub(super) fn nonempty(&mut self, name: &'static str) -> Vec<String> {
        self.with(name, |v| match Vec::<String>::from_json(v)? {
            items if items.is_empty() => Err(Value::Array(Vec::new())),
            items => Ok(items),
        })
        .unwrap_or_default()
    }

    pub(super) fn rest(&mut self) -> Extra {
        std::mem::take(&mut self.0)
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
