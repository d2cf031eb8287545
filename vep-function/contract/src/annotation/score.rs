//! A score beside a transcript consequence (Condel, or a remote model's output), with the
//! model, version and inputs that produced it, or the reason there is none. Fields are
//! declared in alphabetical order: serde writes them sorted, as events carry them.

use serde::{Deserialize, Serialize};

/// Whether a score was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreStatus {
    Ok,
    /// The model does not apply to this consequence (missing inputs...): `reason` says why.
    NotApplicable,
    /// The model did not answer (down, slow, fewer rows): `reason` says why.
    Unavailable,
}

impl ScoreStatus {
    /// The name serde gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            ScoreStatus::Ok => "ok",
            ScoreStatus::NotApplicable => "not_applicable",
            ScoreStatus::Unavailable => "unavailable",
        }
    }
}

/// One model's score for one transcript consequence. Labelled a computational prediction
/// when there is one (`label`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelScore {
    /// The features the model was given (`null` for one the consequence lacks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub model: String,
    /// A remote model's output as it answered (a number, a class...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    pub status: ScoreStatus,
    /// Written even when unknown (`null`): a remote model may not report one.
    pub version: Option<String>,
}
