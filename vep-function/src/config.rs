//! Configuration, read once from the environment (Knative conventions) into a typed struct.

use std::path::PathBuf;
use std::time::Duration;

use contract::budget::{Budget, BudgetError};
use contract::signing::{KeyError, Signing};
use url::Url;

use crate::events::{CeOverrides, OverridesError};
use crate::scoring::settings::ScoringConfig;

pub const PORT: &str = "PORT";
pub const K_SINK: &str = "K_SINK";
/// Set by Knative Serving in every revision's pods (the Knative Service's name).
pub const K_SERVICE: &str = "K_SERVICE";
pub const K_CE_OVERRIDES: &str = "K_CE_OVERRIDES";
pub const CE_SOURCE: &str = "CE_SOURCE";
pub const SINK_TIMEOUT_MS: &str = "SINK_TIMEOUT_MS";
pub const SINK_ATTEMPTS: &str = "SINK_ATTEMPTS";
/// A projected service-account token for the sink's audience, sent as `Authorization: Bearer`
/// (Knative Eventing sender identity; `contract::delivery`).
pub const SINK_TOKEN_FILE: &str = "SINK_TOKEN_FILE";
pub const VEP_BACKEND: &str = "VEP_BACKEND";
pub const VEP_DATA_DIR: &str = "VEP_DATA_DIR";
pub const VEP_GFF: &str = "VEP_GFF";
pub const VEP_FASTA: &str = "VEP_FASTA";
pub const VEP_INDEX: &str = "VEP_INDEX";
/// Custom annotation sources: one VEP `--custom` setting per line (`contract::custom`).
pub const VEP_CUSTOM: &str = "VEP_CUSTOM";
pub const MAX_VARIANT_SPAN: &str = "MAX_VARIANT_SPAN";
pub const LOG_FORMAT: &str = "LOG_FORMAT";
pub const SEQUENCE_MAX_LENGTH: &str = "SEQUENCE_MAX_LENGTH";
pub const SEQUENCE_MIN_IDENTITY: &str = "SEQUENCE_MIN_IDENTITY";
pub const VEP_API_URL: &str = "VEP_API_URL";
pub const VEP_API_SPECIES: &str = "VEP_API_SPECIES";
pub const VEP_API_ASSEMBLY: &str = "VEP_API_ASSEMBLY";
pub const VEP_API_OPTIONS: &str = "VEP_API_OPTIONS";
pub const VEP_API_BATCH_SIZE: &str = "VEP_API_BATCH_SIZE";
pub const VEP_API_RATE: &str = "VEP_API_RATE";
pub const VEP_API_CONCURRENCY: &str = "VEP_API_CONCURRENCY";
pub const VEP_API_TIMEOUT_MS: &str = "VEP_API_TIMEOUT_MS";
pub const VEP_API_ATTEMPTS: &str = "VEP_API_ATTEMPTS";
pub const VEP_API_CHUNK_DEADLINE_MS: &str = "VEP_API_CHUNK_DEADLINE_MS";
pub const VEP_API_BREAKER_FAILURES: &str = "VEP_API_BREAKER_FAILURES";
pub const VEP_API_BREAKER_COOLDOWN_MS: &str = "VEP_API_BREAKER_COOLDOWN_MS";
pub const VEP_API_CACHE_MB: &str = "VEP_API_CACHE_MB";

/// Ensembl's POST endpoints accept at most this many variants per request.
pub const ENSEMBL_MAX_BATCH: usize = 200;

/// The bundled data directory: beside the crate in a checkout, or `/app/data` in the image.
pub fn default_data_dir() -> PathBuf {
    let candidates = [
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data"),
        PathBuf::from("/app/data"),
        PathBuf::from("data"),
    ];
    candidates
        .iter()
        .find(|p| p.is_dir())
        .cloned()
        .unwrap_or_else(|| candidates[0].clone())
}

/// Key/value source of settings: the process environment in production, a map in tests (the
/// contract's one source trait, shared with the gateway).
pub use contract::config::{ProcessEnv, Source};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The built-in engine only.
    Local,
    /// The Ensembl VEP REST API only.
    Ensembl,
    /// The built-in engine where its gene models cover the variant, Ensembl for the rest.
    LocalEnsembl,
}

/// The Ensembl VEP REST client's settings (`VEP_API_*`).
#[derive(Debug, Clone, PartialEq)]
pub struct EnsemblSettings {
    /// Server root, e.g. `https://rest.ensembl.org` or `https://grch37.rest.ensembl.org`.
    pub url: Url,
    pub species: String,
    /// The assembly the server annotates on: reported with results and part of the cache key.
    pub assembly: String,
    /// Query string of VEP options, e.g. `hgvs=1&canonical=1`.
    pub options: String,
    pub batch_size: usize,
    /// Requests per second, shared by all requests of this instance.
    pub rate: f64,
    pub concurrency: usize,
    pub request_timeout: Duration,
    pub attempts: u32,
    /// Longest time one submitted chunk may wait on Ensembl before its unanswered variants
    /// are reported as unavailable.
    pub chunk_deadline: Duration,
    pub breaker_failures: u32,
    pub breaker_cooldown: Duration,
    pub cache_bytes: u64,
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
    /// A reference directory (`vep-function reference fetch`) or a prebuilt index file
    /// (`vep-function index`).
    Index(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub sink: Option<Url>,
    /// The Knative Service this pod runs for (`K_SERVICE`), `None` outside Knative. Under
    /// Knative a missing `K_SINK` is a fault (see `sink::MissingSink`), not the local mode.
    pub knative_service: Option<String>,
    pub overrides: CeOverrides,
    pub source: String,
    pub sink_timeout: Duration,
    pub sink_attempts: u32,
    /// `SINK_TOKEN_FILE`: sends to `K_SINK` carry this file's token; none by default.
    pub sink_token_file: Option<std::path::PathBuf>,
    pub backend: Backend,
    pub data: EngineData,
    pub ensembl: EnsemblSettings,
    /// The most bytes an event may take, received or sent, headers included
    /// (`EVENT_MAX_BYTES`, `contract::budget`).
    pub event_budget: Budget,
    /// The key events are signed and verified with (`EVENT_SIGNING_KEY_FILE`), or the
    /// explicit insecure mode (`contract::signing`).
    pub signing: Signing,
    /// The most bases one variant may span in the built-in engine (`MAX_VARIANT_SPAN`).
    pub max_variant_span: u64,
    pub log_format: LogFormat,
    /// Scoring stage settings (`SCORING_MODELS`, `OPENSHIFT_AI_*`, ...): see `scoring::settings`.
    pub scoring: ScoringConfig,
    /// Limits of DNA sequence input (`SEQUENCE_MAX_LENGTH`, `SEQUENCE_MIN_IDENTITY`).
    pub sequence: crate::sequence::Settings,
    /// Known-variant VCFs the built-in engine reports (`VEP_CUSTOM`); opened at start.
    pub custom: Vec<contract::custom::SourceSpec>,
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
    #[error(transparent)]
    Budget(#[from] BudgetError),
    #[error(transparent)]
    Signing(#[from] KeyError),
}

fn parse<T: std::str::FromStr>(
    env: &dyn Source,
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

fn invalid(key: &'static str, value: impl ToString, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        key,
        value: value.to_string(),
        reason: reason.into(),
    }
}

fn ensembl_settings(env: &dyn Source) -> Result<EnsemblSettings, ConfigError> {
    let raw_url = env
        .get(VEP_API_URL)
        .unwrap_or_else(|| "https://rest.ensembl.org".into());
    let url = Url::parse(&raw_url).map_err(|e| invalid(VEP_API_URL, &raw_url, &e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(VEP_API_URL, raw_url, "expected an http(s) URL"));
    }
    let batch_size = parse(env, VEP_API_BATCH_SIZE, 50usize)?;
    if !(1..=ENSEMBL_MAX_BATCH).contains(&batch_size) {
        return Err(invalid(VEP_API_BATCH_SIZE, batch_size, "expected 1 to 200"));
    }
    let rate = parse(env, VEP_API_RATE, 15.0f64)?;
    if !(rate.is_finite() && rate > 0.0) {
        return Err(invalid(
            VEP_API_RATE,
            rate,
            "expected requests per second > 0",
        ));
    }
    let concurrency = parse(env, VEP_API_CONCURRENCY, 4usize)?;
    if concurrency == 0 {
        return Err(invalid(VEP_API_CONCURRENCY, 0, "expected at least 1"));
    }
    let attempts = parse(env, VEP_API_ATTEMPTS, 4u32)?;
    if attempts == 0 {
        return Err(invalid(VEP_API_ATTEMPTS, 0, "expected at least 1"));
    }
    let options = env
        .get(VEP_API_OPTIONS)
        .unwrap_or_else(|| "hgvs=1&canonical=1&mane=1&protein=1&numbers=1".into());
    Ok(EnsemblSettings {
        url,
        species: env.get(VEP_API_SPECIES).unwrap_or_else(|| "human".into()),
        assembly: env.get(VEP_API_ASSEMBLY).unwrap_or_else(|| "GRCh38".into()),
        options: options.trim_start_matches('?').to_string(),
        batch_size,
        rate,
        concurrency,
        request_timeout: Duration::from_millis(parse(env, VEP_API_TIMEOUT_MS, 30_000u64)?),
        attempts,
        chunk_deadline: Duration::from_millis(parse(env, VEP_API_CHUNK_DEADLINE_MS, 120_000u64)?),
        breaker_failures: parse(env, VEP_API_BREAKER_FAILURES, 5u32)?.max(1),
        breaker_cooldown: Duration::from_millis(parse(
            env,
            VEP_API_BREAKER_COOLDOWN_MS,
            30_000u64,
        )?),
        cache_bytes: parse(env, VEP_API_CACHE_MB, 64u64)?.saturating_mul(1024 * 1024),
    })
}

impl Config {
    /// `default_data_dir` is where the bundled data lives for this build.
    pub fn from_env(env: &dyn Source, default_data_dir: PathBuf) -> Result<Self, ConfigError> {
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
            Some("ensembl") => Backend::Ensembl,
            Some("local+ensembl") => Backend::LocalEnsembl,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    key: VEP_BACKEND,
                    value: other.into(),
                    reason: "supported backends: local, ensembl, local+ensembl".into(),
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
            knative_service: env.get(K_SERVICE),
            overrides,
            source: env
                .get(CE_SOURCE)
                .unwrap_or_else(|| "urn:genomics:vep-function".into()),
            sink_timeout: Duration::from_millis(parse(env, SINK_TIMEOUT_MS, 10_000u64)?),
            sink_attempts: parse(env, SINK_ATTEMPTS, 3)?,
            sink_token_file: env.get(SINK_TOKEN_FILE).map(Into::into),
            backend,
            data,
            ensembl: ensembl_settings(env)?,
            event_budget: Budget::from_source(env)?,
            signing: Signing::from_source(env)?,
            max_variant_span: max_variant_span(env)?,
            log_format,
            scoring: ScoringConfig::from_env(env)?,
            sequence: sequence_settings(env)?,
            custom: match env.get(VEP_CUSTOM) {
                None => Vec::new(),
                Some(text) => contract::custom::parse_list(&text)
                    .map_err(|e| invalid(VEP_CUSTOM, &text, &e.to_string()))?,
            },
        })
    }
}

fn max_variant_span(env: &dyn Source) -> Result<u64, ConfigError> {
    let limit = parse(
        env,
        MAX_VARIANT_SPAN,
        crate::engine::input::DEFAULT_MAX_VARIANT_SPAN,
    )?;
    if limit == 0 {
        return Err(invalid(MAX_VARIANT_SPAN, 0, "expected at least 1 base"));
    }
    Ok(limit)
}

fn sequence_settings(env: &dyn Source) -> Result<crate::sequence::Settings, ConfigError> {
    let defaults = crate::sequence::Settings::default();
    let max_length = parse(env, SEQUENCE_MAX_LENGTH, defaults.max_length)?;
    if max_length < defaults.min_length {
        return Err(ConfigError::Invalid {
            key: SEQUENCE_MAX_LENGTH,
            value: max_length.to_string(),
            reason: format!("must be at least {}", defaults.min_length),
        });
    }
    let min_identity = parse(env, SEQUENCE_MIN_IDENTITY, defaults.min_identity)?;
    if !(min_identity > 0.0 && min_identity <= 1.0) {
        return Err(ConfigError::Invalid {
            key: SEQUENCE_MIN_IDENTITY,
            value: min_identity.to_string(),
            reason: "expected a fraction in (0, 1]".into(),
        });
    }
    Ok(crate::sequence::Settings {
        max_length,
        min_identity,
        ..defaults
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// Settings for a run without a signing key (every test but the one about the key).
    fn insecure<const N: usize>(
        pairs: [(&'static str, &'static str); N],
    ) -> HashMap<&'static str, &'static str> {
        let mut map = HashMap::from(pairs);
        map.insert(contract::signing::INSECURE, "true");
        map
    }

    #[test]
    fn without_a_signing_key_the_function_refuses_to_start_unless_told_it_is_insecure() {
        let err = Config::from_env(&HashMap::<&str, &str>::new(), "d".into()).unwrap_err();
        assert!(err.to_string().contains("EVENT_SIGNING_KEY_FILE"), "{err}");
        let c = Config::from_env(&insecure([]), "d".into()).unwrap();
        assert!(c.signing.is_insecure());
        assert_eq!(c.event_budget.bytes(), 1_000_000);
    }

    #[test]
    fn defaults_suit_a_local_run() {
        let c = Config::from_env(&insecure([]), "data".into()).unwrap();
        assert_eq!(c.port, 8080);
        assert!(c.sink.is_none());
        assert!(c.knative_service.is_none());
        assert_eq!(c.data, EngineData::Bundled("data".into()));
        assert_eq!(c.log_format, LogFormat::Pretty);
        assert_eq!(c.backend, Backend::Local);
        assert_eq!(c.ensembl.url.as_str(), "https://rest.ensembl.org/");
        assert_eq!(c.ensembl.batch_size, 50);
        assert_eq!(c.ensembl.rate, 15.0);
    }

    #[test]
    fn ensembl_backends_and_limits_are_read_and_checked() {
        let env = insecure([
            (VEP_BACKEND, "local+ensembl"),
            (VEP_API_URL, "http://127.0.0.1:9/"),
            (VEP_API_BATCH_SIZE, "200"),
        ]);
        let c = Config::from_env(&env, "d".into()).unwrap();
        assert_eq!(c.backend, Backend::LocalEnsembl);
        assert_eq!(c.ensembl.batch_size, 200);
        let too_big = insecure([(VEP_BACKEND, "ensembl"), (VEP_API_BATCH_SIZE, "201")]);
        let err = Config::from_env(&too_big, "d".into()).unwrap_err();
        assert!(err.to_string().contains("VEP_API_BATCH_SIZE"), "{err}");
        let err = Config::from_env(&insecure([(VEP_API_RATE, "0")]), "d".into()).unwrap_err();
        assert!(err.to_string().contains("VEP_API_RATE"), "{err}");
    }

    #[test]
    fn reads_knative_sink_and_overrides() {
        let env = insecure([
            (K_SINK, "http://sink.local:8081/"),
            (K_CE_OVERRIDES, r#"{"extensions":{"team":"genomics"}}"#),
            (PORT, "9000"),
        ]);
        let c = Config::from_env(&env, "data".into()).unwrap();
        assert_eq!(c.port, 9000);
        assert_eq!(c.sink.unwrap().as_str(), "http://sink.local:8081/");
        assert!(c.knative_service.is_none());
        assert_eq!(c.overrides.extensions["team"], "genomics");
        let knative = insecure([(K_SERVICE, "vep-function")]);
        let c = Config::from_env(&knative, "data".into()).unwrap();
        assert_eq!(c.knative_service.as_deref(), Some("vep-function"));
    }

    #[test]
    fn the_variant_span_limit_defaults_to_10_kb_and_is_configurable() {
        let c = Config::from_env(&insecure([]), "d".into()).unwrap();
        assert_eq!(c.max_variant_span, 10_000);
        let c = Config::from_env(&insecure([(MAX_VARIANT_SPAN, "50000")]), "d".into()).unwrap();
        assert_eq!(c.max_variant_span, 50_000);
        for bad in ["0", "-1", "ten"] {
            let err =
                Config::from_env(&insecure([(MAX_VARIANT_SPAN, bad)]), "d".into()).unwrap_err();
            assert!(err.to_string().contains("MAX_VARIANT_SPAN"), "{err}");
        }
    }

    #[test]
    fn sequence_limits_are_configurable_and_checked() {
        let c = Config::from_env(
            &insecure([
                (SEQUENCE_MAX_LENGTH, "5000"),
                (SEQUENCE_MIN_IDENTITY, "0.95"),
            ]),
            "d".into(),
        )
        .unwrap();
        assert_eq!(c.sequence.max_length, 5000);
        assert_eq!(c.sequence.min_identity, 0.95);
        let err =
            Config::from_env(&insecure([(SEQUENCE_MIN_IDENTITY, "1.5")]), "d".into()).unwrap_err();
        assert!(err.to_string().contains("SEQUENCE_MIN_IDENTITY"), "{err}");
    }

    #[test]
    fn custom_sources_are_one_per_line_and_checked() {
        let c = Config::from_env(&insecure([]), "d".into()).unwrap();
        assert!(c.custom.is_empty());
        let c = Config::from_env(
            &insecure([(
                VEP_CUSTOM,
                "file=/srv/clinvar.vcf.gz,short_name=ClinVar,format=vcf,type=exact,fields=CLNSIG\n\nfile=/srv/gnomad.vcf.gz,short_name=gnomAD,format=vcf,fields=AF",
            )]),
            "d".into(),
        )
        .unwrap();
        assert_eq!(c.custom.len(), 2);
        assert_eq!(c.custom[1].fields, ["AF"]);
        let err =
            Config::from_env(&insecure([(VEP_CUSTOM, "file=x.vcf.gz")]), "d".into()).unwrap_err();
        assert!(err.to_string().starts_with("VEP_CUSTOM="), "{err}");
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let err = Config::from_env(&insecure([(PORT, "eighty")]), "d".into()).unwrap_err();
        assert!(err.to_string().starts_with("PORT=\"eighty\""), "{err}");
        let err = Config::from_env(&insecure([(K_SINK, "not a url")]), "d".into()).unwrap_err();
        assert!(err.to_string().contains("K_SINK"), "{err}");
    }
}
