//! The issuer's signing keys, fetched and cached: from `EVENTS_OIDC_JWKS_URL`, or from the
//! `jwks_uri` of the issuer's discovery document (OpenID Connect Discovery 1.0 §4; the
//! Kubernetes API serves both, KEP-1393 "service account issuer discovery").
//!
//! Keys are refetched when older than [`MAX_AGE`] (so a removed key stops being accepted)
//! and when a token names a key id the cache lacks (a rotation), at most once per
//! [`MIN_REFETCH`] so tokens with made-up ids cannot turn the gateway into a request
//! amplifier against the issuer. Fetches are one at a time; verifications with known keys
//! never wait for them.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use url::Url;

use super::jwks::{self, PublicKey};
use super::OidcConfig;
use super::OidcError;

pub const MAX_AGE: Duration = Duration::from_secs(600);
pub const MIN_REFETCH: Duration = Duration::from_secs(5);
/// Every fetch has a deadline: a hung issuer must not hold deliveries for long.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Discovery documents and key sets are a few KB.
const MAX_DOCUMENT_BYTES: usize = 1 << 20;

#[derive(Default)]
struct Snapshot {
    keys: Arc<HashMap<String, PublicKey>>,
    fetched: Option<Instant>,
    attempted: Option<Instant>,
    /// From the configuration, or discovered once.
    jwks_url: Option<Url>,
}

pub struct KeyCache {
    client: reqwest::Client,
    issuer: String,
    token_file: Option<std::path::PathBuf>,
    snapshot: RwLock<Snapshot>,
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot read {0}: {1}")]
    CaFile(String, std::io::Error),
    #[error("{0} holds no usable PEM certificate: {1}")]
    BadCa(String, reqwest::Error),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

impl KeyCache {
    pub fn new(config: &OidcConfig) -> Result<Self, SetupError> {
        let mut client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT);
        if let Some(path) = &config.ca_file {
            let name = path.display().to_string();
            let pem = std::fs::read(path).map_err(|e| SetupError::CaFile(name.clone(), e))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| SetupError::BadCa(name.clone(), e))?
            {
                client = client.add_root_certificate(cert);
            }
        }
        Ok(Self {
            client: client.build()?,
            issuer: config.issuer.clone(),
            token_file: config.token_file.clone(),
            snapshot: RwLock::new(Snapshot {
                jwks_url: config.jwks_url.clone(),
                ..Snapshot::default()
            }),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    fn read<T>(&self, f: impl FnOnce(&Snapshot) -> T) -> T {
        f(&self.snapshot.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The key a token names (`kid`; a token without one may use a set's only key).
    pub async fn key(&self, kid: Option<&str>) -> Result<PublicKey, OidcError> {
        let (found, fresh, may_fetch) = self.read(|s| {
            (
                lookup(&s.keys, kid),
                s.fetched.is_some_and(|t| t.elapsed() < MAX_AGE),
                s.attempted.is_none_or(|t| t.elapsed() >= MIN_REFETCH),
            )
        });
        match found {
            Some(key) if fresh => return Ok(key),
            Some(key) if !may_fetch => return Ok(key),
            None if !may_fetch => return Err(self.missing(kid)),
            _ => {}
        }
        let _one_at_a_time = self.fetching.lock().await;
        // Another request may have refreshed the keys while this one waited.
        let refreshed = self.read(|s| {
            s.attempted
                .is_some_and(|t| t.elapsed() < MIN_REFETCH)
                .then(|| lookup(&s.keys, kid))
        });
        if let Some(found) = refreshed {
            return found.ok_or_else(|| self.missing(kid));
        }
        let fetched = self.fetch().await;
        let mut s = self
            .snapshot
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        s.attempted = Some(Instant::now());
        match fetched {
            Ok((url, keys)) => {
                s.keys = Arc::new(keys);
                s.fetched = s.attempted;
                s.jwks_url = Some(url);
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not fetch the OIDC signing keys");
                // A stale key still beats refusing every delivery while the issuer is away.
                return found.ok_or(OidcError::KeysUnavailable(e));
            }
        }
        lookup(&s.keys, kid).ok_or_else(|| OidcError::UnknownKey(kid_text(kid)))
    }

    /// Unknown key, or no keys at all because the last fetch failed.
    fn missing(&self, kid: Option<&str>) -> OidcError {
        if self.read(|s| s.fetched.is_none()) {
            OidcError::KeysUnavailable("the last fetch of the signing keys failed".into())
        } else {
            OidcError::UnknownKey(kid_text(kid))
        }
    }

    async fn fetch(&self) -> Result<(Url, HashMap<String, PublicKey>), String> {
        let url = match self.read(|s| s.jwks_url.clone()) {
            Some(u) => u,
            None => self.discover().await?,
        };
        let body = self.get(&url).await?;
        let keys = jwks::parse(&body)?;
        Ok((url, keys))
    }

    /// `jwks_uri` from the issuer's discovery document, whose `issuer` must be ours.
    async fn discover(&self) -> Result<Url, String> {
        let base = self.issuer.trim_end_matches('/');
        let url = Url::parse(&format!("{base}/.well-known/openid-configuration"))
            .map_err(|e| format!("issuer URL: {e}"))?;
        let body = self.get(&url).await?;
        let doc: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| format!("discovery document: {e}"))?;
        if doc["issuer"].as_str() != Some(self.issuer.as_str()) {
            return Err(format!(
                "the discovery document names issuer {}, not {}",
                doc["issuer"], self.issuer
            ));
        }
        let jwks = doc["jwks_uri"]
            .as_str()
            .ok_or("the discovery document has no jwks_uri")?;
        let jwks = Url::parse(jwks).map_err(|e| format!("jwks_uri: {e}"))?;
        if !matches!(jwks.scheme(), "http" | "https") {
            return Err("jwks_uri is not http(s)".into());
        }
        Ok(jwks)
    }

    /// GETs a small JSON document, with the service-account token when configured (re-read
    /// each time: kubelet rotates it).
    async fn get(&self, url: &Url) -> Result<Vec<u8>, String> {
        let mut req = self
            .client
            .get(url.clone())
            .header("accept", "application/json");
        if let Some(path) = &self.token_file {
            let token = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            req = req.bearer_auth(token.trim());
        }
        let mut resp = req.send().await.map_err(|e| format!("{url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("{url} answered {}", resp.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| format!("{url}: {e}"))? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_DOCUMENT_BYTES {
                return Err(format!("{url} sent more than {MAX_DOCUMENT_BYTES} bytes"));
            }
        }
        Ok(body)
    }
}

fn lookup(keys: &HashMap<String, PublicKey>, kid: Option<&str>) -> Option<PublicKey> {
    match kid {
        Some(k) => keys.get(k).cloned(),
        None if keys.len() == 1 => keys.values().next().cloned(),
        None => keys.get("").cloned(),
    }
}

fn kid_text(kid: Option<&str>) -> String {
    kid.unwrap_or("(none)").chars().take(100).collect()
}
