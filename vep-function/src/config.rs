//! Configuration, read once from the environment (Knative conventions) into a typed struct.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::events::{CeOverrides, OverridesError};

pub const PORT: &str = "PORT";
pub const K_SINK: &str = "K_SINK";
pub const K_CE_OVERRIDES: &str = "K_CE_OVERRIDES";
pub const CE_SOURCE: &str = "CE_SOURCE";
pub const SINK_TIMEOUT_MS: &str = "SINK_TIMEOUT_MS";
pub const SINK_ATTEMPTS: &str = "SINK_ATTEMPTS";
pub const VEP_BACKEND: &str = "VEP_BACKEND";
pub const VEP_DATA_DIR: &str = "VEP_DATA_DIR";
pub const VEP_GFF: &str = "VEP_GFF";
pub const VEP_FASTA: &str = "VEP_FASTA";
pub const VEP_INDEX: &str = "VEP_INDEX";
pub const MAX_BODY_BYTES: &str = "MAX_BODY_BYTES";
pub const LOG_FORMAT: &str = "LOG_FORMAT";

/// Key/value source of settings: the process environment in production, a map in tests.
pub trait Env {
    fn get(&self, key: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var(key).ok().filter(|v| !v.is_empty())
    }
}

impl Env for HashMap<&str, &str> {
    fn get(&self, key: &str) -> Option<String> {
        HashMap::get(self, key).map(|v| v.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Local,
}

/// Where the built-in engine's gene models and reference come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineData {
    /// The data bundled with the function (default).
    Bundled(PathBuf),
    /// Explicit gene model files and FASTA files (comma-separated lists).
    Files {
        gff: Vec<PathBuf>,
        fasta: Vec<PathBuf>,
    },
    /// A prebuilt index (`vep-function index`).
    Index(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub sink: Option<Url>,
    pub overrides: CeOverrides,
    pub source: String,
    pub sink_timeout: Duration,
    pub sink_attempts: u32,
    pub backend: Backend,
    pub data: EngineData,
    pub max_body_bytes: usize,
    pub log_format: LogFormat,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{key}={value:?} is not valid: {reason}")]
    Invalid {
        key: &'static str,
        value: String,
        reason: String,
    },
    #[error(transparent)]
    Overrides(#[from] OverridesError),
}

fn parse<T: std::str::FromStr>(
    env: &dyn Env,
    key: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match env.get(key) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|e: T::Err| ConfigError::Invalid {
            key,
            value: v,
            reason: e.to_string(),
        }),
    }
}

fn paths(list: &str) -> Vec<PathBuf> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .collect()
}

impl Config {
    /// `default_data_dir` is where the bundled data lives for this build.
    pub fn from_env(env: &dyn Env, default_data_dir: PathBuf) -> Result<Self, ConfigError> {
        let sink = match env.get(K_SINK) {
            None => None,
            Some(v) => Some(Url::parse(&v).map_err(|e| ConfigError::Invalid {
                key: K_SINK,
                value: v.clone(),
                reason: e.to_string(),
            })?),
        };
        let overrides = match env.get(K_CE_OVERRIDES) {
            None => CeOverrides::default(),
            Some(v) => CeOverrides::parse(&v)?,
        };
        let backend = match env.get(VEP_BACKEND).as_deref() {
            None | Some("local") => Backend::Local,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    key: VEP_BACKEND,
                    value: other.into(),
                    reason: "supported backends: local".into(),
                })
            }
        };
        let data = match (env.get(VEP_INDEX), env.get(VEP_GFF), env.get(VEP_FASTA)) {
            (Some(index), None, None) => EngineData::Index(PathBuf::from(index)),
            (None, Some(gff), Some(fasta)) => EngineData::Files {
                gff: paths(&gff),
                fasta: paths(&fasta),
            },
            (None, None, None) => EngineData::Bundled(
                env.get(VEP_DATA_DIR)
                    .map(PathBuf::from)
                    .unwrap_or(default_data_dir),
            ),
            _ => {
                return Err(ConfigError::Invalid {
                    key: VEP_INDEX,
                    value: env.get(VEP_INDEX).unwrap_or_default(),
                    reason: "set either VEP_INDEX, or both VEP_GFF and VEP_FASTA, or neither"
                        .into(),
                })
            }
        };
        let log_format = match env.get(LOG_FORMAT).as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    key: LOG_FORMAT,
                    value: other.into(),
                    reason: "expected json or pretty".into(),
                })
            }
        };
        Ok(Self {
            port: parse(env, PORT, 8080)?,
            sink,
            overrides,
            source: env
                .get(CE_SOURCE)
                .unwrap_or_else(|| "urn:genomics:vep-function".into()),
            sink_timeout: Duration::from_millis(parse(env, SINK_TIMEOUT_MS, 10_000u64)?),
            sink_attempts: parse(env, SINK_ATTEMPTS, 3)?,
            backend,
            data,
            max_body_bytes: parse(env, MAX_BODY_BYTES, 16 * 1024 * 1024)?,
            log_format,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_suit_a_local_run() {
        let c = Config::from_env(&HashMap::new(), "data".into()).unwrap();
        assert_eq!(c.port, 8080);
        assert!(c.sink.is_none());
        assert_eq!(c.data, EngineData::Bundled("data".into()));
        assert_eq!(c.log_format, LogFormat::Pretty);
    }

    #[test]
    fn reads_knative_sink_and_overrides() {
        let env = HashMap::from([
            (K_SINK, "http://sink.local:8081/"),
            (K_CE_OVERRIDES, r#"{"extensions":{"team":"genomics"}}"#),
            (PORT, "9000"),
        ]);
        let c = Config::from_env(&env, "data".into()).unwrap();
        assert_eq!(c.port, 9000);
        assert_eq!(c.sink.unwrap().as_str(), "http://sink.local:8081/");
        assert_eq!(c.overrides.extensions["team"], "genomics");
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let err = Config::from_env(&HashMap::from([(PORT, "eighty")]), "d".into()).unwrap_err();
        assert!(err.to_string().starts_with("PORT=\"eighty\""), "{err}");
        let err =
            Config::from_env(&HashMap::from([(K_SINK, "not a url")]), "d".into()).unwrap_err();
        assert!(err.to_string().contains("K_SINK"), "{err}");
    }
}
