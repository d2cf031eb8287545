//! The per-transcript features a remote model can be given, by their configuration names.

use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    Blosum62,
    Grantham,
    /// SIFT score as VEP reports it (`sift_score`; Ensembl backend only).
    SiftScore,
    /// PolyPhen-2 score as VEP reports it (`polyphen_score`; Ensembl backend only).
    PolyphenScore,
    /// This stage's Condel score (needs both of the above).
    CondelScore,
}

impl Feature {
    pub fn name(self) -> &'static str {
        match self {
            Feature::Blosum62 => "blosum62",
            Feature::Grantham => "grantham",
            Feature::SiftScore => "sift_score",
            Feature::PolyphenScore => "polyphen_score",
            Feature::CondelScore => "condel_score",
        }
    }
}

/// The features known for one missense transcript consequence.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Features {
    pub blosum62: Option<i32>,
    pub grantham: Option<i32>,
    pub sift_score: Option<f64>,
    pub polyphen_score: Option<f64>,
    pub condel_score: Option<f64>,
}

impl Features {
    pub fn get(&self, feature: Feature) -> Option<f64> {
        match feature {
            Feature::Blosum62 => self.blosum62.map(f64::from),
            Feature::Grantham => self.grantham.map(f64::from),
            Feature::SiftScore => self.sift_score,
            Feature::PolyphenScore => self.polyphen_score,
            Feature::CondelScore => self.condel_score,
        }
    }

    /// The row for a model taking `inputs`, or the features this consequence lacks.
    pub fn row(&self, inputs: &[Feature]) -> Result<Vec<f64>, Vec<&'static str>> {
        let missing: Vec<&'static str> = inputs
            .iter()
            .filter(|f| self.get(**f).is_none())
            .map(|f| f.name())
            .collect();
        if missing.is_empty() {
            Ok(inputs.iter().filter_map(|f| self.get(*f)).collect())
        } else {
            Err(missing)
        }
    }

    /// The inputs as recorded beside a model's output.
    pub fn record(&self, inputs: &[Feature]) -> Value {
        let map: Map<String, Value> = inputs
            .iter()
            .map(|f| {
                let v = match f {
                    Feature::Blosum62 => self.blosum62.map(Value::from),
                    Feature::Grantham => self.grantham.map(Value::from),
                    _ => self.get(*f).map(Value::from),
                };
                (f.name().to_string(), v.unwrap_or(Value::Null))
            })
            .collect();
        Value::Object(map)
    }
}
