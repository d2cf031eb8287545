//! Runtime configuration, parsed once at start from key/value strings.
//!
//! Reading goes through [`Source`] so tests parse from a map instead of mutating the
//! process environment.

use std::time::Duration;

use url::Url;

pub const PORT: &str = "PORT";
pub const EVENTS_PORT: &str = "EVENTS_PORT";
pub const BROKER_URL: &str = "BROKER_URL";
pub const K_SINK: &str = "K_SINK";
pub const BROKER_TIMEOUT_MS: &str = "BROKER_TIMEOUT_MS";
pub const BROKER_RETRIES: &str = "BROKER_RETRIES";
pub const MAX_VARIANTS_PER_REQUEST: &str = "MAX_VARIANTS_PER_REQUEST";
pub const CHUNK_SIZE: &str = "CHUNK_SIZE";
pub const MAX_FRAME_BYTES: &str = "MAX_FRAME_BYTES";
pub const MAX_SESSIONS: &str = "MAX_SESSIONS";
pub const SESSION_QUEUE: &str = "SESSION_QUEUE";
pub const ALLOWED_ORIGINS: &str = "ALLOWED_ORIGINS";
pub const LOG_FORMAT: &str = "LOG_FORMAT";
pub const REPLICA_ID: &str = "REPLICA_ID";
pub const POD_NAME: &str = "POD_NAME";
pub const HOSTNAME: &str = "HOSTNAME";
pub const CE_SOURCE: &str = "CE_SOURCE";
pub const REDIS_URL: &str = "REDIS_URL";
pub const STREAM_MAX_LEN: &str = "STREAM_MAX_LEN";
pub const STREAM_TTL_SECS: &str = "STREAM_TTL_SECS";
pub const MAX_INFLIGHT_VARIANTS: &str = "MAX_INFLIGHT_VARIANTS";
pub const RATE_LIMIT_PER_MINUTE: &str = "RATE_LIMIT_PER_MINUTE";
pub const RATE_LIMIT_BURST: &str = "RATE_LIMIT_BURST";
pub const SEND_TIMEOUT_MS: &str = "SEND_TIMEOUT_MS";
pub const AUTH_TOKEN: &str = "AUTH_TOKEN";
pub const TRUSTED_IDENTITY_HEADER: &str = "TRUSTED_IDENTITY_HEADER";
pub const CHUNK_TIMEOUT_SECS: &str = "CHUNK_TIMEOUT_SECS";
pub const RESULTS_DIR: &str = "RESULTS_DIR";
pub const MAX_UPLOAD_BYTES: &str = "MAX_UPLOAD_BYTES";
pub const MAX_UPLOAD_VARIANTS: &str = "MAX_UPLOAD_VARIANTS";
pub const UPLOAD_CHUNK_SIZE: &str = "UPLOAD_CHUNK_SIZE";

/// Where configuration values come from: the process environment, or a map in tests (the
/// contract's one source trait, shared with vep-function).
pub use contract::config::{ProcessEnv, Source};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error(
        "neither {BROKER_URL} nor {K_SINK} is set: the gateway needs a broker to send events to"
    )]
    MissingBroker,
    #[error("{key}={value:?} is invalid: {reason}")]
    Invalid {
        key: &'static str,
        value: String,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub port: u16,
    pub events_port: u16,
    pub broker_url: Url,
    pub broker_timeout: Duration,
    pub broker_retries: u32,
    pub max_variants_per_request: usize,
    /// Variants per submitted event; equal to the request limit by default, so one chunk.
    pub chunk_size: usize,
    pub max_frame_bytes: usize,
    pub max_sessions: usize,
    pub session_queue: usize,
    pub allowed_origins: Vec<String>,
    pub log_format: LogFormat,
    pub replica_id: String,
    pub ce_source: String,
    /// Shared store for cross-replica delivery and resume; `None`: in memory, one replica.
    pub redis_url: Option<String>,
    pub stream_max_len: usize,
    pub stream_ttl: Duration,
    pub max_inflight_variants: usize,
    pub rate_limit_per_minute: u32,
    pub rate_limit_burst: u32,
    pub send_timeout: Duration,
    /// When set, `/ws` requires `Authorization: Bearer <token>`.
    pub auth_token: Option<String>,
    /// When set (e.g. `X-Forwarded-User` behind an OAuth proxy), `/ws` requires this header.
    pub trusted_identity_header: Option<String>,
    /// An analysis with outstanding chunks and no chunk back for this long fails them with
    /// `chunk_timeout`, so it completes.
    pub chunk_timeout: Duration,
    /// Where REST analyses keep their input and results for download (one directory each,
    /// removed after `stream_ttl`).
    pub results_dir: std::path::PathBuf,
    /// Upload limits of `POST /api/analyses` (bytes as sent and once decompressed).
    pub max_upload_bytes: u64,
    pub max_upload_variants: u64,
    /// Variants per event for uploads: a few hundred, so function instances share a large
    /// file and each event (and its annotated reply) stays small.
    pub upload_chunk_size: usize,
}

impl Config {
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        let broker_raw = value(src, BROKER_URL)
            .map(|v| (BROKER_URL, v))
            .or_else(|| value(src, K_SINK).map(|v| (K_SINK, v)))
            .ok_or(ConfigError::MissingBroker)?;
        let broker_url = parse_url(broker_raw.0, &broker_raw.1)?;
        let max_variants_per_request = positive(src, MAX_VARIANTS_PER_REQUEST, 1000)?;
        let replica_id = value(src, REPLICA_ID)
            .or_else(|| value(src, POD_NAME))
            .or_else(|| value(src, HOSTNAME))
            .unwrap_or_else(|| "gateway".to_owned());
        Ok(Self {
            port: number(src, PORT, 8080)?,
            events_port: number(src, EVENTS_PORT, 8081)?,
            broker_url,
            broker_timeout: Duration::from_millis(positive(src, BROKER_TIMEOUT_MS, 5000)?),
            broker_retries: number(src, BROKER_RETRIES, 3)?,
            max_variants_per_request,
            chunk_size: positive(src, CHUNK_SIZE, max_variants_per_request)?,
            max_frame_bytes: positive(src, MAX_FRAME_BYTES, 1024 * 1024)?,
            max_sessions: positive(src, MAX_SESSIONS, 10_000)?,
            session_queue: positive(src, SESSION_QUEUE, 64)?,
            allowed_origins: value(src, ALLOWED_ORIGINS)
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|o| !o.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            log_format: match value(src, LOG_FORMAT).as_deref() {
                None | Some("pretty") => LogFormat::Pretty,
                Some("json") => LogFormat::Json,
                Some(other) => return Err(invalid(LOG_FORMAT, other, "expected json or pretty")),
            },
            replica_id,
            ce_source: value(src, CE_SOURCE).unwrap_or_else(|| "urn:genomics:gateway".to_owned()),
            redis_url: match value(src, REDIS_URL) {
                None => None,
                Some(v) if v.starts_with("redis://") || v.starts_with("rediss://") => Some(v),
                // Not echoed: the URL may carry a password.
                Some(_) => {
                    return Err(invalid(
                        REDIS_URL,
                        "<hidden>",
                        "expected redis:// or rediss://",
                    ))
                }
            },
            stream_max_len: positive(src, STREAM_MAX_LEN, 1000)?,
            stream_ttl: Duration::from_secs(positive(src, STREAM_TTL_SECS, 3600)?),
            max_inflight_variants: positive(src, MAX_INFLIGHT_VARIANTS, 10_000)?,
            rate_limit_per_minute: positive(src, RATE_LIMIT_PER_MINUTE, 120)?,
            rate_limit_burst: positive(src, RATE_LIMIT_BURST, 20)?,
            send_timeout: Duration::from_millis(positive(src, SEND_TIMEOUT_MS, 10_000)?),
            auth_token: value(src, AUTH_TOKEN),
            chunk_timeout: Duration::from_secs(positive(src, CHUNK_TIMEOUT_SECS, 300)?),
            results_dir: value(src, RESULTS_DIR)
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| std::env::temp_dir().join("gateway-results")),
            max_upload_bytes: positive(src, MAX_UPLOAD_BYTES, 1 << 30)?,
            max_upload_variants: positive(src, MAX_UPLOAD_VARIANTS, 1_000_000)?,
            upload_chunk_size: positive(src, UPLOAD_CHUNK_SIZE, 250)?,
            trusted_identity_header: match value(src, TRUSTED_IDENTITY_HEADER) {
                None => None,
                Some(h) => Some(
                    actix_web::http::header::HeaderName::from_bytes(h.as_bytes())
                        .map_err(|e| invalid(TRUSTED_IDENTITY_HEADER, &h, e.to_string()))?
                        .to_string(),
                ),
            },
        })
    }
}

/// A set but blank variable counts as unset: manifests often template empty strings.
fn value(src: &impl Source, key: &str) -> Option<String> {
    src.get(key)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn invalid(key: &'static str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        value: value.to_owned(),
        reason: reason.into(),
    }
}

fn number<T>(src: &impl Source, key: &'static str, default: T) -> Result<T, ConfigError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match value(src, key) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|e: T::Err| invalid(key, &v, e.to_string())),
    }
}

fn positive<T>(src: &impl Source, key: &'static str, default: T) -> Result<T, ConfigError>
where
    T: std::str::FromStr + Default + PartialEq,
    T::Err: std::fmt::Display,
{
    let n = number(src, key, default)?;
    if n == T::default() {
        return Err(invalid(key, "0", "must be greater than zero"));
    }
    Ok(n)
}

fn parse_url(key: &'static str, raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw).map_err(|e| invalid(key, raw, e.to_string()))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(invalid(key, raw, format!("scheme {other} is not http(s)"))),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_apply_when_only_the_broker_is_set() {
        let c = Config::from_source(&env(&[(BROKER_URL, "http://broker.local/ns/default")]))
            .expect("valid config");
        assert_eq!(c.port, 8080);
        assert_eq!(c.events_port, 8081);
        assert_eq!(c.broker_timeout, Duration::from_millis(5000));
        assert_eq!(c.broker_retries, 3);
        assert_eq!(c.max_variants_per_request, 1000);
        assert_eq!(c.chunk_size, 1000);
        assert_eq!(c.max_frame_bytes, 1024 * 1024);
        assert_eq!(c.max_sessions, 10_000);
        assert_eq!(c.session_queue, 64);
        assert!(c.allowed_origins.is_empty());
        assert_eq!(c.log_format, LogFormat::Pretty);
        assert_eq!(c.ce_source, "urn:genomics:gateway");
        assert_eq!(c.redis_url, None);
        assert_eq!(c.stream_ttl, Duration::from_secs(3600));
        assert_eq!(c.auth_token, None);
        assert_eq!(c.chunk_timeout, Duration::from_secs(300));
    }

    #[test]
    fn redis_url_must_be_a_redis_url_and_is_not_echoed() {
        let err = Config::from_source(&env(&[
            (BROKER_URL, "http://b/"),
            (REDIS_URL, "http://user:secret@r/"),
        ]))
        .expect_err("scheme");
        assert!(!err.to_string().contains("secret"), "{err}");
        let ok = Config::from_source(&env(&[
            (BROKER_URL, "http://b/"),
            (REDIS_URL, "redis://127.0.0.1:6379/"),
        ]))
        .expect("valid");
        assert_eq!(ok.redis_url.as_deref(), Some("redis://127.0.0.1:6379/"));
    }

    #[test]
    fn k_sink_is_used_when_broker_url_is_absent() {
        let c = Config::from_source(&env(&[(K_SINK, "http://sink.local/")])).expect("valid");
        assert_eq!(c.broker_url.as_str(), "http://sink.local/");
    }

    #[test]
    fn broker_url_wins_over_k_sink() {
        let c = Config::from_source(&env(&[
            (K_SINK, "http://sink.local/"),
            (BROKER_URL, "http://broker.local/"),
        ]))
        .expect("valid");
        assert_eq!(c.broker_url.host_str(), Some("broker.local"));
    }

    #[test]
    fn missing_broker_is_a_named_error() {
        assert_eq!(
            Config::from_source(&env(&[(BROKER_URL, "  ")])),
            Err(ConfigError::MissingBroker)
        );
    }

    #[test]
    fn non_numeric_port_names_the_variable() {
        let err = Config::from_source(&env(&[(BROKER_URL, "http://b/"), (PORT, "eighty")]))
            .expect_err("invalid port");
        assert!(
            matches!(err, ConfigError::Invalid { key: PORT, .. }),
            "{err}"
        );
    }

    #[test]
    fn zero_limits_are_rejected() {
        let err = Config::from_source(&env(&[
            (BROKER_URL, "http://b/"),
            (MAX_VARIANTS_PER_REQUEST, "0"),
        ]))
        .expect_err("zero limit");
        assert!(matches!(
            err,
            ConfigError::Invalid {
                key: MAX_VARIANTS_PER_REQUEST,
                ..
            }
        ));
    }

    #[test]
    fn non_http_broker_scheme_is_rejected() {
        let err = Config::from_source(&env(&[(BROKER_URL, "ftp://b/")])).expect_err("scheme");
        assert!(matches!(
            err,
            ConfigError::Invalid {
                key: BROKER_URL,
                ..
            }
        ));
    }

    #[test]
    fn origins_and_log_format_are_parsed() {
        let c = Config::from_source(&env(&[
            (BROKER_URL, "http://b/"),
            (ALLOWED_ORIGINS, "https://a.example, https://b.example,"),
            (LOG_FORMAT, "json"),
            (REPLICA_ID, "gw-1"),
        ]))
        .expect("valid");
        assert_eq!(
            c.allowed_origins,
            vec![
                "https://a.example".to_owned(),
                "https://b.example".to_owned()
            ]
        );
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.replica_id, "gw-1");
    }

    #[test]
    fn unknown_log_format_is_rejected() {
        let err = Config::from_source(&env(&[(BROKER_URL, "http://b/"), (LOG_FORMAT, "xml")]))
            .expect_err("format");
        assert!(matches!(
            err,
            ConfigError::Invalid {
                key: LOG_FORMAT,
                ..
            }
        ));
    }
}
