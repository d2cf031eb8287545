//! The scoring stage's settings, read from the environment with the rest of `Config`.
//!
//! `SCORING_MODELS` is a JSON list naming each remote model, where it is served and which
//! features it takes, in order; see `SCORING.md` for an example.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::config::{ConfigError, Source};

use super::condel::Formula;
use super::features::Feature;

pub const SCORING_MODELS: &str = "SCORING_MODELS";
pub const OPENSHIFT_AI_ENDPOINT: &str = "OPENSHIFT_AI_ENDPOINT";
pub const OPENSHIFT_AI_TOKEN: &str = "OPENSHIFT_AI_TOKEN";
pub const OPENSHIFT_AI_CA_FILE: &str = "OPENSHIFT_AI_CA_FILE";
pub const SCORING_TIMEOUT_MS: &str = "SCORING_TIMEOUT_MS";
pub const SCORING_FIRST_TIMEOUT_MS: &str = "SCORING_FIRST_TIMEOUT_MS";
pub const SCORING_ATTEMPTS: &str = "SCORING_ATTEMPTS";
pub const SCORING_DEADLINE_MS: &str = "SCORING_DEADLINE_MS";
pub const CONDEL_FORMULA: &str = "CONDEL_FORMULA";

/// Tensor element type sent to a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Datatype {
    #[serde(rename = "FP64")]
    Fp64,
    #[serde(rename = "FP32")]
    Fp32,
}

impl Datatype {
    pub fn as_str(self) -> &'static str {
        match self {
            Datatype::Fp64 => "FP64",
            Datatype::Fp32 => "FP32",
        }
    }
}

/// One remote model, as configured.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// The model's name in the V2 paths (`/v2/models/{name}/infer`).
    pub name: String,
    /// Pins `/versions/{version}` in the paths when set.
    #[serde(default)]
    pub version: Option<String>,
    /// Base URL of the V2 server; `OPENSHIFT_AI_ENDPOINT` when absent.
    #[serde(default)]
    pub url: Option<Url>,
    /// Features sent, in this order, as one row per transcript consequence.
    pub inputs: Vec<Feature>,
    /// Name of the input tensor.
    #[serde(default = "default_input_name")]
    pub input_name: String,
    #[serde(default = "default_datatype")]
    pub datatype: Datatype,
    /// Output tensor to request and report; the first one answered when absent.
    #[serde(default)]
    pub output: Option<String>,
    /// Rows per request.
    #[serde(default = "default_batch")]
    pub max_batch: usize,
}

fn default_input_name() -> String {
    "input-0".into()
}
fn default_datatype() -> Datatype {
    Datatype::Fp64
}
fn default_batch() -> usize {
    256
}

/// A bearer token; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(pub String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoringConfig {
    pub condel_formula: Formula,
    pub models: Vec<ModelSpec>,
    pub token: Option<Token>,
    pub ca_file: Option<PathBuf>,
    /// Per request, once the model has answered.
    pub timeout: Duration,
    /// Per request until the model first answers: covers a scale-from-zero cold start.
    pub first_timeout: Duration,
    pub attempts: u32,
    /// The most the whole remote stage may add to one chunk; then scores are "unavailable".
    pub deadline: Duration,
}

fn invalid(key: &'static str, value: &str, reason: impl ToString) -> ConfigError {
    ConfigError::Invalid {
        key,
        value: value.into(),
        reason: reason.to_string(),
    }
}

fn millis(env: &dyn Source, key: &'static str, default: u64) -> Result<Duration, ConfigError> {
    match env.get(key) {
        None => Ok(Duration::from_millis(default)),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
            Ok(_) => Err(invalid(key, &v, "must be positive")),
            Err(e) => Err(invalid(key, &v, e)),
        },
    }
}

impl ScoringConfig {
    pub fn from_env(env: &dyn Source) -> Result<Self, ConfigError> {
        let condel_formula = match env.get(CONDEL_FORMULA).as_deref() {
            None | Some("2") => Formula::Averaged,
            Some("1") => Formula::Weighted,
            Some(other) => {
                return Err(invalid(
                    CONDEL_FORMULA,
                    other,
                    "expected 1 (paper) or 2 (Ensembl)",
                ))
            }
        };
        let endpoint = match env.get(OPENSHIFT_AI_ENDPOINT) {
            None => None,
            Some(v) => Some(Url::parse(&v).map_err(|e| invalid(OPENSHIFT_AI_ENDPOINT, &v, e))?),
        };
        let mut models: Vec<ModelSpec> = match env.get(SCORING_MODELS) {
            None => Vec::new(),
            Some(v) => serde_json::from_str(&v).map_err(|e| invalid(SCORING_MODELS, &v, e))?,
        };
        for m in &mut models {
            let raw = env.get(SCORING_MODELS).unwrap_or_default();
            if m.url.is_none() {
                m.url = endpoint.clone();
            }
            let problem = match &m.url {
                None => Some(format!(
                    "model {:?} has no url and {OPENSHIFT_AI_ENDPOINT} is not set",
                    m.name
                )),
                Some(u) if u.cannot_be_a_base() || !matches!(u.scheme(), "http" | "https") => Some(
                    format!("model {:?}: {u} is not an http(s) base URL", m.name),
                ),
                _ if m.name.trim().is_empty() => Some("a model has an empty name".into()),
                _ if m.inputs.is_empty() => Some(format!("model {:?} has no inputs", m.name)),
                _ if m.max_batch == 0 => Some(format!("model {:?}: max_batch is 0", m.name)),
                _ => None,
            };
            if let Some(reason) = problem {
                return Err(invalid(SCORING_MODELS, &raw, reason));
            }
        }
        let timeout = millis(env, SCORING_TIMEOUT_MS, 10_000)?;
        let first_timeout = millis(env, SCORING_FIRST_TIMEOUT_MS, 60_000)?;
        let deadline = millis(env, SCORING_DEADLINE_MS, 90_000)?;
        let attempts = match env.get(SCORING_ATTEMPTS) {
            None => 3,
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if n >= 1 => n,
                _ => return Err(invalid(SCORING_ATTEMPTS, &v, "expected a number >= 1")),
            },
        };
        Ok(Self {
            condel_formula,
            models,
            token: env.get(OPENSHIFT_AI_TOKEN).map(Token),
            ca_file: env.get(OPENSHIFT_AI_CA_FILE).map(PathBuf::from),
            timeout,
            first_timeout,
            attempts,
            deadline,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn no_models_by_default() {
        let c = ScoringConfig::from_env(&HashMap::<&str, &str>::new()).unwrap();
        assert!(c.models.is_empty());
        assert_eq!(c.condel_formula, Formula::Averaged);
        assert!(c.first_timeout > c.timeout);
    }

    #[test]
    fn models_default_to_the_openshift_ai_endpoint() {
        let env = HashMap::from([
            (OPENSHIFT_AI_ENDPOINT, "https://models.example:8443"),
            (OPENSHIFT_AI_TOKEN, "sekrit"),
            (
                SCORING_MODELS,
                r#"[{"name":"missense","inputs":["blosum62","grantham"],"output":"predict_proba"},
                    {"name":"other","url":"http://127.0.0.1:9/","version":"v2","inputs":["condel_score"]}]"#,
            ),
        ]);
        let c = ScoringConfig::from_env(&env).unwrap();
        assert_eq!(
            c.models[0].url.as_ref().unwrap().host_str(),
            Some("models.example")
        );
        assert_eq!(
            c.models[0].inputs,
            vec![Feature::Blosum62, Feature::Grantham]
        );
        assert_eq!(c.models[1].version.as_deref(), Some("v2"));
        assert!(
            !format!("{c:?}").contains("sekrit"),
            "the token must not be printed"
        );
    }

    #[test]
    fn a_model_without_an_endpoint_or_with_unknown_features_is_rejected() {
        let env = HashMap::from([(SCORING_MODELS, r#"[{"name":"m","inputs":["grantham"]}]"#)]);
        let err = ScoringConfig::from_env(&env).unwrap_err().to_string();
        assert!(err.contains("OPENSHIFT_AI_ENDPOINT"), "{err}");
        let env = HashMap::from([
            (OPENSHIFT_AI_ENDPOINT, "http://x"),
            (SCORING_MODELS, r#"[{"name":"m","inputs":["cadd"]}]"#),
        ]);
        let err = ScoringConfig::from_env(&env).unwrap_err().to_string();
        assert!(err.starts_with("SCORING_MODELS="), "{err}");
    }
}
