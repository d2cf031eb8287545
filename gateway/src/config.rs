//! Runtime configuration, parsed once at start from key/value strings into one group per
//! component ([`Config`]); each group is the settings type its component defines, so `app`
//! hands it over whole. It sits just below `app`: it knows every component's settings, and
//! no component knows it.
//!
//! Reading goes through [`Source`] so tests parse from a map instead of mutating the
//! process environment.

use std::sync::Arc;
use std::time::Duration;

use contract::budget::{Budget, BudgetError};
use contract::signing::{KeyError, Signing};
use url::Url;

use crate::analysis::upload::UploadLimits;
use crate::broker::BrokerSettings;
use crate::events::EventSettings;
use crate::http::api::{BodyTimeouts, UploadSettings};
use crate::http::auth::AuthPolicy;
pub use crate::http::oidc::OidcConfig;
use crate::protocol::Limits;
use crate::session::{SessionLimits, SessionSettings};
use crate::store::{StoreSettings, StreamLimits};

pub const PORT: &str = "PORT";
pub const EVENTS_PORT: &str = "EVENTS_PORT";
pub const BROKER_URL: &str = "BROKER_URL";
pub const K_SINK: &str = "K_SINK";
pub const BROKER_TIMEOUT_MS: &str = "BROKER_TIMEOUT_MS";
pub const BROKER_RETRIES: &str = "BROKER_RETRIES";
/// A projected service-account token for the Broker's audience, sent as `Authorization:
/// Bearer` (Knative Eventing sender identity; `contract::delivery`).
pub const BROKER_TOKEN_FILE: &str = "BROKER_TOKEN_FILE";
pub const MAX_VARIANTS_PER_REQUEST: &str = "MAX_VARIANTS_PER_REQUEST";
pub const CHUNK_SIZE: &str = "CHUNK_SIZE";
pub const MAX_FRAME_BYTES: &str = "MAX_FRAME_BYTES";
pub const MAX_SESSIONS: &str = "MAX_SESSIONS";
/// Stream entries a session reads from the store per round trip.
pub const STORE_READ_BATCH: &str = "STORE_READ_BATCH";
/// The old name of [`STORE_READ_BATCH`] (it never sized a queue): still read, with a
/// deprecation warning, for one release.
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
/// The reference the function serves (run-local.sh sets them from `reference.json`; in the
/// cluster, a ConfigMap shared with the fetch Job): shown in the `session` frame.
pub const REFERENCE_ASSEMBLY: &str = "REFERENCE_ASSEMBLY";
pub const REFERENCE_SOURCE: &str = "REFERENCE_SOURCE";
pub const REFERENCE_RELEASE: &str = "REFERENCE_RELEASE";
pub const REFERENCE_TRANSCRIPTS: &str = "REFERENCE_TRANSCRIPTS";
pub const REFERENCE_REGIONS: &str = "REFERENCE_REGIONS";

/// Delivery budget of the eventing wiring (1117.7 s: every hop using all its retries) plus
/// margin; tests/manifests/test_delivery.py recomputes the budget from the manifests.
pub const DEFAULT_CHUNK_TIMEOUT_SECS: u64 = 1200;
pub const PUBLIC_ORIGINS: &str = "PUBLIC_ORIGINS";
pub const EVENTS_HOST: &str = "EVENTS_HOST";
pub const EVENTS_OIDC_ISSUER: &str = "EVENTS_OIDC_ISSUER";
pub const EVENTS_OIDC_AUDIENCE: &str = "EVENTS_OIDC_AUDIENCE";
pub const EVENTS_OIDC_JWKS_URL: &str = "EVENTS_OIDC_JWKS_URL";
pub const EVENTS_OIDC_SUBJECTS: &str = "EVENTS_OIDC_SUBJECTS";
pub const EVENTS_OIDC_CA_FILE: &str = "EVENTS_OIDC_CA_FILE";
pub const EVENTS_OIDC_TOKEN_FILE: &str = "EVENTS_OIDC_TOKEN_FILE";
pub const LOG_ID_KEY: &str = "LOG_ID_KEY";
pub const UPLOAD_IDLE_TIMEOUT_SECS: &str = "UPLOAD_IDLE_TIMEOUT_SECS";
pub const UPLOAD_DEADLINE_SECS: &str = "UPLOAD_DEADLINE_SECS";
pub const MAX_CONCURRENT_UPLOADS: &str = "MAX_CONCURRENT_UPLOADS";
pub const MAX_CONCURRENT_DOWNLOADS: &str = "MAX_CONCURRENT_DOWNLOADS";
pub const MAX_UPLOAD_HEADER_LINES: &str = "MAX_UPLOAD_HEADER_LINES";
pub const MAX_UPLOAD_HEADER_BYTES: &str = "MAX_UPLOAD_HEADER_BYTES";
pub const MEMORY_STORE_MAX_BYTES: &str = "MEMORY_STORE_MAX_BYTES";
/// The function's custom annotation sources (one VEP `--custom` setting per line): the
/// gateway reads only their names and fields, for the CSQ/Extra columns of its downloads.
pub const VEP_CUSTOM: &str = "VEP_CUSTOM";

/// Where configuration values come from: the process environment, or a map in tests (the
/// contract's one source trait, shared with vep-function).
pub use contract::config::{ProcessEnv, Source};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error(transparent)]
    Budget(#[from] BudgetError),
    /// No `EVENT_SIGNING_KEY_FILE` (and no explicit insecure flag), or an unusable key.
    #[error(transparent)]
    Signing(#[from] KeyError),
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

/// The whole configuration, one group per component, each the type that component takes
/// (handed over whole, never copied field by field).
#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerSettings,
    /// WebSocket sessions (`session`).
    pub sessions: SessionSettings,
    /// REST uploads and downloads (`http::api`).
    pub uploads: UploadSettings,
    /// The result store (`store`).
    pub store: StoreSettings,
    /// The event contract both ways: size budget and signing key (`events`).
    pub events: EventSettings,
    /// Verification of the OIDC tokens on the events port (`http::oidc`); `None`: off.
    pub oidc: Option<OidcConfig>,
    /// Where submitted events go (`broker`).
    pub broker: BrokerSettings,
    /// Deprecated names that were read (logged once the logger is up): see [`Deprecated`].
    pub deprecated: Vec<Deprecated>,
}

/// The process and its two HTTP servers.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub port: u16,
    pub events_port: u16,
    /// Address the events port binds: loopback locally, `0.0.0.0` in the cluster.
    pub events_host: std::net::IpAddr,
    /// Browser origins allowed to open sessions and POST uploads (`scheme://host[:port]`);
    /// by default the local ones of `port`.
    pub public_origins: Vec<String>,
    /// Who may open `/ws` and use `/api/` (`AUTH_TOKEN`, `TRUSTED_IDENTITY_HEADER`).
    pub auth: AuthPolicy,
    pub log_format: LogFormat,
    pub replica_id: String,
    /// Key of the hash that stands for ids in logs; random per process when unset.
    pub log_id_key: Option<String>,
}

/// An environment variable read under a name that is going away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deprecated {
    pub old: &'static str,
    pub new: &'static str,
}

impl std::fmt::Display for Deprecated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is deprecated and will stop being read in the next release: set {} instead",
            self.old, self.new
        )
    }
}

impl Config {
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        let mut deprecated = Vec::new();
        let port = number(src, PORT, 8080)?;
        let server = ServerSettings {
            port,
            events_port: number(src, EVENTS_PORT, 8081)?,
            events_host: number(src, EVENTS_HOST, std::net::IpAddr::from([127, 0, 0, 1]))?,
            public_origins: origins(src, port, &mut deprecated)?,
            auth: AuthPolicy {
                bearer_token: value(src, AUTH_TOKEN),
                identity_header: identity_header(src)?,
            },
            log_format: match value(src, LOG_FORMAT).as_deref() {
                None | Some("pretty") => LogFormat::Pretty,
                Some("json") => LogFormat::Json,
                Some(other) => return Err(invalid(LOG_FORMAT, other, "expected json or pretty")),
            },
            replica_id: value(src, REPLICA_ID)
                .or_else(|| value(src, POD_NAME))
                .or_else(|| value(src, HOSTNAME))
                .unwrap_or_else(|| "gateway".to_owned()),
            log_id_key: value(src, LOG_ID_KEY),
        };
        let store = StoreSettings {
            redis_url: redis_url(src)?,
            limits: StreamLimits {
                max_len: positive(src, STREAM_MAX_LEN, 1000)?,
                ttl: Duration::from_secs(positive(src, STREAM_TTL_SECS, 3600)?),
                chunk_timeout: Duration::from_secs(positive(
                    src,
                    CHUNK_TIMEOUT_SECS,
                    DEFAULT_CHUNK_TIMEOUT_SECS,
                )?),
            },
            memory_max_bytes: positive(src, MEMORY_STORE_MAX_BYTES, 64 << 20)?,
        };
        let max_variants = positive(src, MAX_VARIANTS_PER_REQUEST, 1000)?;
        let sessions = SessionSettings {
            max_sessions: positive(src, MAX_SESSIONS, 10_000)?,
            frames: Limits {
                max_variants,
                max_frame_bytes: positive(src, MAX_FRAME_BYTES, 1024 * 1024)?,
            },
            limits: SessionLimits {
                max_inflight_variants: positive(src, MAX_INFLIGHT_VARIANTS, 10_000)?,
                rate_per_minute: positive(src, RATE_LIMIT_PER_MINUTE, 120)?,
                rate_burst: positive(src, RATE_LIMIT_BURST, 20)?,
                send_timeout: Duration::from_millis(positive(src, SEND_TIMEOUT_MS, 10_000)?),
                read_batch: renamed(src, STORE_READ_BATCH, SESSION_QUEUE, &mut deprecated)
                    .map_or(Ok(64), |key| positive(src, key, 64))?,
                // Half the secret's TTL (stream TTL + chunk timeout).
                secret_refresh: (store.limits.ttl + store.limits.chunk_timeout) / 2,
            },
            chunk_size: positive(src, CHUNK_SIZE, max_variants)?,
            reference: reference(src)?,
        };
        let uploads = UploadSettings {
            results_dir: value(src, RESULTS_DIR)
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| std::env::temp_dir().join("gateway-results")),
            chunk_size: positive(src, UPLOAD_CHUNK_SIZE, 250)?,
            limits: UploadLimits {
                max_bytes: positive(src, MAX_UPLOAD_BYTES, 1 << 30)?,
                max_variants: positive(src, MAX_UPLOAD_VARIANTS, 1_000_000)?,
                max_header_lines: positive(src, MAX_UPLOAD_HEADER_LINES, 50_000)?,
                max_header_bytes: positive(src, MAX_UPLOAD_HEADER_BYTES, 8 << 20)?,
            },
            timeouts: BodyTimeouts {
                idle: Duration::from_secs(positive(src, UPLOAD_IDLE_TIMEOUT_SECS, 30)?),
                deadline: Duration::from_secs(positive(src, UPLOAD_DEADLINE_SECS, 1800)?),
            },
            max_concurrent_uploads: positive(src, MAX_CONCURRENT_UPLOADS, 4)?,
            max_concurrent_downloads: positive(src, MAX_CONCURRENT_DOWNLOADS, 8)?,
            custom_columns: custom_columns(src)?,
        };
        Ok(Self {
            server,
            sessions,
            uploads,
            store,
            events: EventSettings {
                budget: Budget::from_source(src)?,
                signing: Arc::new(Signing::from_source(src)?),
            },
            oidc: oidc(src)?,
            broker: broker(src)?,
            deprecated,
        })
    }
}

/// The key to read: `new` when set, else `old` (noted in `deprecated`), else neither.
fn renamed(
    src: &impl Source,
    new: &'static str,
    old: &'static str,
    deprecated: &mut Vec<Deprecated>,
) -> Option<&'static str> {
    if value(src, new).is_some() {
        return Some(new);
    }
    value(src, old)?;
    deprecated.push(Deprecated { old, new });
    Some(old)
}

fn broker(src: &impl Source) -> Result<BrokerSettings, ConfigError> {
    let (key, raw) = value(src, BROKER_URL)
        .map(|v| (BROKER_URL, v))
        .or_else(|| value(src, K_SINK).map(|v| (K_SINK, v)))
        .ok_or(ConfigError::MissingBroker)?;
    Ok(BrokerSettings {
        url: parse_url(key, &raw)?,
        timeout: Duration::from_millis(positive(src, BROKER_TIMEOUT_MS, 5000)?),
        retries: number(src, BROKER_RETRIES, 3)?,
        token_file: value(src, BROKER_TOKEN_FILE).map(Into::into),
        source: value(src, CE_SOURCE).unwrap_or_else(|| "urn:genomics:gateway".to_owned()),
    })
}

fn redis_url(src: &impl Source) -> Result<Option<String>, ConfigError> {
    match value(src, REDIS_URL) {
        None => Ok(None),
        Some(v) if v.starts_with("redis://") || v.starts_with("rediss://") => Ok(Some(v)),
        // Not echoed: the URL may carry a password.
        Some(_) => Err(invalid(
            REDIS_URL,
            "<hidden>",
            "expected redis:// or rediss://",
        )),
    }
}

fn identity_header(src: &impl Source) -> Result<Option<String>, ConfigError> {
    let Some(h) = value(src, TRUSTED_IDENTITY_HEADER) else {
        return Ok(None);
    };
    let name = actix_web::http::header::HeaderName::from_bytes(h.as_bytes())
        .map_err(|e| invalid(TRUSTED_IDENTITY_HEADER, &h, e.to_string()))?;
    Ok(Some(name.to_string()))
}

fn custom_columns(src: &impl Source) -> Result<contract::output::csq::CustomColumns, ConfigError> {
    let specs = match value(src, VEP_CUSTOM) {
        None => Vec::new(),
        Some(text) => contract::custom::parse_list(&text)
            .map_err(|e| invalid(VEP_CUSTOM, &text, e.to_string()))?,
    };
    Ok(contract::output::csq::CustomColumns::from_specs(&specs))
}

fn reference(src: &impl Source) -> Result<Option<crate::protocol::Reference>, ConfigError> {
    let Some(assembly) = value(src, REFERENCE_ASSEMBLY) else {
        return Ok(None);
    };
    let transcripts = match value(src, REFERENCE_TRANSCRIPTS) {
        None => None,
        Some(v) => Some(v.parse().map_err(|e: std::num::ParseIntError| {
            invalid(REFERENCE_TRANSCRIPTS, &v, e.to_string())
        })?),
    };
    Ok(Some(crate::protocol::Reference {
        assembly,
        source: value(src, REFERENCE_SOURCE).unwrap_or_else(|| "custom".to_owned()),
        release: value(src, REFERENCE_RELEASE),
        transcripts,
        regions: value(src, REFERENCE_REGIONS),
    }))
}

/// `PUBLIC_ORIGINS` and `ALLOWED_ORIGINS` (its older name, deprecated) together; with
/// neither, the local origins of `port`. Never the request's `Host`: a DNS-rebinding page
/// sends its own name there.
fn origins(
    src: &impl Source,
    port: u16,
    deprecated: &mut Vec<Deprecated>,
) -> Result<Vec<String>, ConfigError> {
    if value(src, ALLOWED_ORIGINS).is_some() {
        deprecated.push(Deprecated {
            old: ALLOWED_ORIGINS,
            new: PUBLIC_ORIGINS,
        });
    }
    let mut out = Vec::new();
    for key in [PUBLIC_ORIGINS, ALLOWED_ORIGINS] {
        for raw in value(src, key).iter().flat_map(|v| v.split(',')) {
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            let origin = parse_origin(raw).map_err(|reason| invalid(key, raw, reason))?;
            if !out.contains(&origin) {
                out.push(origin);
            }
        }
    }
    if out.is_empty() {
        out = vec![
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}"),
        ];
    }
    Ok(out)
}

/// An origin as browsers send it: `scheme://host[:port]`, lowercase, default port omitted.
fn parse_origin(raw: &str) -> Result<String, String> {
    let url = Url::parse(raw).map_err(|e| e.to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("an origin is http(s)://host[:port]".into());
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err("an origin has no path, query or fragment".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("an origin has no user information".into());
    }
    Ok(url.origin().ascii_serialization())
}

fn oidc(src: &impl Source) -> Result<Option<OidcConfig>, ConfigError> {
    let Some(issuer) = value(src, EVENTS_OIDC_ISSUER) else {
        // Half a configuration would silently leave the port open: refuse it.
        for key in [
            EVENTS_OIDC_AUDIENCE,
            EVENTS_OIDC_JWKS_URL,
            EVENTS_OIDC_SUBJECTS,
        ] {
            if let Some(v) = value(src, key) {
                return Err(invalid(key, &v, format!("needs {EVENTS_OIDC_ISSUER}")));
            }
        }
        return Ok(None);
    };
    let audience = value(src, EVENTS_OIDC_AUDIENCE).ok_or_else(|| {
        invalid(
            EVENTS_OIDC_AUDIENCE,
            "",
            format!("required with {EVENTS_OIDC_ISSUER}"),
        )
    })?;
    parse_url(EVENTS_OIDC_ISSUER, &issuer)?;
    Ok(Some(OidcConfig {
        issuer,
        audience,
        jwks_url: value(src, EVENTS_OIDC_JWKS_URL)
            .map(|v| parse_url(EVENTS_OIDC_JWKS_URL, &v))
            .transpose()?,
        subjects: value(src, EVENTS_OIDC_SUBJECTS)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        ca_file: value(src, EVENTS_OIDC_CA_FILE).map(std::path::PathBuf::from),
        token_file: value(src, EVENTS_OIDC_TOKEN_FILE).map(std::path::PathBuf::from),
    }))
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

    /// `pairs`, run without a signing key (every test but the ones about the key).
    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        if !map.contains_key(contract::signing::KEY_FILE) {
            map.entry(contract::signing::INSECURE.to_owned())
                .or_insert_with(|| "true".to_owned());
        }
        map
    }

    #[test]
    fn without_a_signing_key_the_gateway_refuses_to_start_unless_told_it_is_insecure() {
        let err = Config::from_source(&env(&[
            (BROKER_URL, "http://b/"),
            (contract::signing::INSECURE, "false"),
        ]))
        .expect_err("no key");
        assert!(
            matches!(err, ConfigError::Signing(KeyError::Missing)),
            "{err}"
        );
        assert!(err.to_string().contains("EVENT_SIGNING_KEY_FILE"), "{err}");
        let c = Config::from_source(&env(&[(BROKER_URL, "http://b/")])).expect("insecure");
        assert!(c.events.signing.is_insecure());
        assert_eq!(c.events.budget.bytes(), 1_000_000);
        let err = Config::from_source(&env(&[
            (BROKER_URL, "http://b/"),
            (contract::signing::KEY_FILE, "/nonexistent/key"),
        ]))
        .expect_err("unreadable");
        assert!(err.to_string().contains("/nonexistent/key"), "{err}");
    }

    #[test]
    fn defaults_apply_when_only_the_broker_is_set() {
        let c = Config::from_source(&env(&[(BROKER_URL, "http://broker.local/ns/default")]))
            .expect("valid config");
        assert_eq!(c.server.port, 8080);
        assert_eq!(c.server.events_port, 8081);
        assert_eq!(c.broker.timeout, Duration::from_millis(5000));
        assert_eq!(c.broker.retries, 3);
        assert_eq!(c.sessions.frames.max_variants, 1000);
        assert_eq!(c.sessions.chunk_size, 1000);
        assert_eq!(c.sessions.frames.max_frame_bytes, 1024 * 1024);
        assert_eq!(c.sessions.max_sessions, 10_000);
        assert_eq!(c.sessions.limits.read_batch, 64);
        assert_eq!(
            c.server.public_origins,
            vec!["http://127.0.0.1:8080", "http://localhost:8080"]
        );
        assert_eq!(c.server.events_host, std::net::IpAddr::from([127, 0, 0, 1]));
        assert_eq!(c.oidc, None);
        assert_eq!(c.uploads.max_concurrent_uploads, 4);
        assert_eq!(c.uploads.timeouts.idle, Duration::from_secs(30));
        assert_eq!(c.uploads.limits.max_header_lines, 50_000);
        assert_eq!(c.store.memory_max_bytes, 64 << 20);
        assert_eq!(c.server.log_format, LogFormat::Pretty);
        assert_eq!(c.broker.source, "urn:genomics:gateway");
        assert_eq!(c.store.redis_url, None);
        assert_eq!(c.store.limits.ttl, Duration::from_secs(3600));
        assert_eq!(c.server.auth.bearer_token, None);
        assert_eq!(c.store.limits.chunk_timeout, Duration::from_secs(1200));
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
        assert_eq!(
            ok.store.redis_url.as_deref(),
            Some("redis://127.0.0.1:6379/")
        );
    }

    #[test]
    fn reference_settings_are_read_when_the_assembly_is_named() {
        let c = Config::from_source(&env(&[(BROKER_URL, "http://b/")])).expect("valid");
        assert_eq!(c.sessions.reference, None);
        let c = Config::from_source(&env(&[
            (BROKER_URL, "http://b/"),
            (REFERENCE_ASSEMBLY, "GRCh38"),
            (REFERENCE_SOURCE, "ensembl"),
            (REFERENCE_RELEASE, "115"),
            (REFERENCE_TRANSCRIPTS, "252913"),
        ]))
        .expect("valid");
        let reference = c.sessions.reference.expect("reference");
        assert_eq!(reference.release.as_deref(), Some("115"));
        assert_eq!(reference.transcripts, Some(252_913));
        let err = Config::from_source(&env(&[
            (BROKER_URL, "http://b/"),
            (REFERENCE_ASSEMBLY, "GRCh38"),
            (REFERENCE_TRANSCRIPTS, "many"),
        ]))
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("REFERENCE_TRANSCRIPTS=\"many\""),
            "{err}"
        );
    }

    #[test]
    fn custom_sources_name_the_download_columns_and_bad_ones_are_refused() {
        let c = Config::from_source(&env(&[(BROKER_URL, "http://b/")])).expect("valid");
        assert!(c.uploads.custom_columns.is_empty());
        let c = Config::from_source(&env(&[
            (BROKER_URL, "http://b/"),
            (
                VEP_CUSTOM,
                "file=/srv/clinvar.vcf.gz,short_name=ClinVar,format=vcf,type=exact,fields=CLNSIG\nfile=/srv/g.vcf.gz,short_name=gnomAD,format=vcf",
            ),
        ]))
        .expect("valid");
        let names: Vec<String> = c
            .uploads
            .custom_columns
            .names()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["ClinVar", "ClinVar_CLNSIG", "gnomAD"]);
        let err = Config::from_source(&env(&[
            (BROKER_URL, "http://b/"),
            (VEP_CUSTOM, "file=x,format=bed"),
        ]))
        .expect_err("format");
        assert!(err.to_string().starts_with("VEP_CUSTOM="), "{err}");
    }

    #[test]
    fn k_sink_is_used_when_broker_url_is_absent() {
        let c = Config::from_source(&env(&[(K_SINK, "http://sink.local/")])).expect("valid");
        assert_eq!(c.broker.url.as_str(), "http://sink.local/");
    }

    #[test]
    fn broker_url_wins_over_k_sink() {
        let c = Config::from_source(&env(&[
            (K_SINK, "http://sink.local/"),
            (BROKER_URL, "http://broker.local/"),
        ]))
        .expect("valid");
        assert_eq!(c.broker.url.host_str(), Some("broker.local"));
    }

    #[test]
    fn a_broker_token_file_is_optional_and_checked_when_the_sender_is_built() {
        let c = Config::from_source(&env(&[(BROKER_URL, "http://b/")])).expect("valid");
        assert!(c.broker.token_file.is_none());
        assert!(c.broker.sender().is_ok());
        let c = Config::from_source(&env(&[
            (BROKER_URL, "http://b/"),
            (BROKER_TOKEN_FILE, "/nonexistent/token"),
        ]))
        .expect("valid");
        let err = c
            .broker
            .sender()
            .err()
            .expect("an unreadable token is refused at start");
        assert!(err.to_string().starts_with("BROKER_TOKEN_FILE: "), "{err}");
    }

    #[test]
    fn store_read_batch_is_read_and_its_old_name_still_works_with_a_deprecation() {
        let c = Config::from_source(&env(&[(BROKER_URL, "http://b/"), (STORE_READ_BATCH, "8")]))
            .expect("valid");
        assert_eq!(c.sessions.limits.read_batch, 8);
        assert!(c.deprecated.is_empty());
        let c = Config::from_source(&env(&[(BROKER_URL, "http://b/"), (SESSION_QUEUE, "16")]))
            .expect("valid");
        assert_eq!(c.sessions.limits.read_batch, 16);
        let expected = Deprecated {
            old: SESSION_QUEUE,
            new: STORE_READ_BATCH,
        };
        assert_eq!(c.deprecated, std::slice::from_ref(&expected));
        assert!(expected.to_string().contains("set STORE_READ_BATCH"));
        // The new name wins, and then the old one is not reported as read.
        let c = Config::from_source(&env(&[
            (BROKER_URL, "http://b/"),
            (STORE_READ_BATCH, "8"),
            (SESSION_QUEUE, "16"),
        ]))
        .expect("valid");
        assert_eq!(c.sessions.limits.read_batch, 8);
        assert!(c.deprecated.is_empty());
        let err = Config::from_source(&env(&[(BROKER_URL, "http://b/"), (SESSION_QUEUE, "0")]))
            .expect_err("zero");
        assert!(err.to_string().starts_with("SESSION_QUEUE="), "{err}");
    }

    #[test]
    fn missing_broker_is_a_named_error() {
        assert_eq!(
            Config::from_source(&env(&[(BROKER_URL, "  ")])).map(|_| ()),
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
            c.server.public_origins,
            vec![
                "https://a.example".to_owned(),
                "https://b.example".to_owned()
            ]
        );
        assert_eq!(c.server.log_format, LogFormat::Json);
        assert_eq!(c.server.replica_id, "gw-1");
        // The old name still counts, and start-up says to rename it.
        assert_eq!(
            c.deprecated,
            [Deprecated {
                old: ALLOWED_ORIGINS,
                new: PUBLIC_ORIGINS
            }]
        );
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

    #[test]
    fn public_origins_join_both_names_are_normalised_and_checked() {
        let c = Config::from_source(&env(&[
            (BROKER_URL, "http://b/"),
            (PORT, "9000"),
            (PUBLIC_ORIGINS, "HTTPS://UI.Example:443"),
            (ALLOWED_ORIGINS, "http://127.0.0.1:9000,https://ui.example"),
        ]))
        .expect("valid");
        assert_eq!(
            c.server.public_origins,
            vec!["https://ui.example", "http://127.0.0.1:9000"]
        );
        for bad in ["https://ui.example/app", "null", "ftp://x", "https://u:p@x"] {
            let err =
                Config::from_source(&env(&[(BROKER_URL, "http://b/"), (PUBLIC_ORIGINS, bad)]))
                    .expect_err(bad);
            assert!(
                matches!(
                    err,
                    ConfigError::Invalid {
                        key: PUBLIC_ORIGINS,
                        ..
                    }
                ),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn local_origins_follow_the_port() {
        let c =
            Config::from_source(&env(&[(BROKER_URL, "http://b/"), (PORT, "9000")])).expect("valid");
        assert_eq!(
            c.server.public_origins,
            vec!["http://127.0.0.1:9000", "http://localhost:9000"]
        );
    }

    #[test]
    fn oidc_needs_issuer_and_audience_together() {
        let c = Config::from_source(&env(&[
            (BROKER_URL, "http://b/"),
            (
                EVENTS_OIDC_ISSUER,
                "https://kubernetes.default.svc.cluster.local",
            ),
            (EVENTS_OIDC_AUDIENCE, "gateway-events"),
            (
                EVENTS_OIDC_SUBJECTS,
                "system:serviceaccount:genomics:a, system:serviceaccount:genomics:b",
            ),
        ]))
        .expect("valid");
        let oidc = c.oidc.expect("on");
        assert_eq!(oidc.audience, "gateway-events");
        assert_eq!(oidc.jwks_url, None);
        assert_eq!(oidc.subjects.len(), 2);
        let no_audience = Config::from_source(&env(&[
            (BROKER_URL, "http://b/"),
            (EVENTS_OIDC_ISSUER, "https://issuer.example"),
        ]))
        .expect_err("audience");
        assert!(matches!(
            no_audience,
            ConfigError::Invalid {
                key: EVENTS_OIDC_AUDIENCE,
                ..
            }
        ));
        let no_issuer = Config::from_source(&env(&[
            (BROKER_URL, "http://b/"),
            (EVENTS_OIDC_AUDIENCE, "gateway-events"),
        ]))
        .expect_err("issuer");
        assert!(matches!(
            no_issuer,
            ConfigError::Invalid {
                key: EVENTS_OIDC_AUDIENCE,
                ..
            }
        ));
    }

    #[test]
    fn events_host_is_an_ip_address() {
        let c = Config::from_source(&env(&[(BROKER_URL, "http://b/"), (EVENTS_HOST, "0.0.0.0")]))
            .expect("valid");
        assert_eq!(c.server.events_host, std::net::IpAddr::from([0, 0, 0, 0]));
        let err = Config::from_source(&env(&[(BROKER_URL, "http://b/"), (EVENTS_HOST, "any")]))
            .expect_err("not an address");
        assert!(matches!(
            err,
            ConfigError::Invalid {
                key: EVENTS_HOST,
                ..
            }
        ));
    }
}
