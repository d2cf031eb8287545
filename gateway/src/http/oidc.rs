//! Verification of the OIDC tokens Knative Eventing puts on deliveries to the events port,
//! when `EVENTS_OIDC_ISSUER` is set. Knative's mechanism (feature flag
//! `authentication-oidc` in `config-features`; https://knative.dev/docs/eventing/features/sender-identity/):
//!
//! - Every Trigger gets its own service account, named `<trigger>-oidc-eventing.knative.dev-trigger`
//!   (knative/eventing `pkg/auth/serviceaccount.go`, `GetOIDCServiceAccountNameForResource`),
//!   and its dispatcher asks the Kubernetes TokenRequest API for a token of that account with
//!   the subscriber's audience (`pkg/auth/token_provider.go`). For the Kafka broker the
//!   Trigger reconciler puts both into the egress (`OidcServiceAccountName`,
//!   `DestinationAudience`: knative-extensions/eventing-kafka-broker
//!   `control-plane/pkg/reconciler/trigger/trigger.go`, `reconcileTriggerEgress`).
//! - Our subscriber is a plain URI, not an Addressable, so the Trigger must set
//!   `spec.subscriber.audience` (the Trigger CRD: "only needs to be set if the target is not
//!   an Addressable"); `EVENTS_OIDC_AUDIENCE` is that value.
//! - The token is sent as `Authorization: Bearer <JWT>`, a Kubernetes service-account token
//!   (RS256 by default): `iss` is the API server's `--service-account-issuer`, `sub` is
//!   `system:serviceaccount:<namespace>:<account>` (`EVENTS_OIDC_SUBJECTS`). Knative's own
//!   receivers check it the same way, with go-oidc against the API server's discovery
//!   document (`pkg/auth/token_verifier.go`) and 401 when it fails (knative/eventing#7290).
//!
//! Checked here: the signature against the issuer's JWKS (cached, refetched on an unknown
//! key id), `iss`, `aud`, `exp`/`nbf` with [`LEEWAY_SECS`] of clock skew, and `sub` against
//! the allowed subjects. Any failure is a 401 before the body is read; keys that cannot be
//! fetched are a 503 (the dispatcher retries).

mod jwks;
mod jwt;
mod keys;

use actix_web::http::StatusCode;

pub use keys::SetupError;

/// Verification of the OIDC tokens Knative Eventing attaches to deliveries (feature
/// `authentication-oidc`): what [`Verifier`] checks (`EVENTS_OIDC_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcConfig {
    /// Expected `iss`; also where discovery starts when no JWKS URL is given.
    pub issuer: String,
    /// Expected in `aud`: the Trigger subscriber's audience.
    pub audience: String,
    /// Where the signing keys are; `None`: `jwks_uri` from the issuer's discovery document.
    pub jwks_url: Option<url::Url>,
    /// Allowed `sub` values (the Trigger's OIDC service account); empty: any subject.
    pub subjects: Vec<String>,
    /// PEM bundle to trust when fetching keys (the Kubernetes API's CA).
    pub ca_file: Option<std::path::PathBuf>,
    /// Bearer token sent when fetching keys (a service-account token), re-read per fetch.
    pub token_file: Option<std::path::PathBuf>,
}

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the delivery carries no Authorization: Bearer token")]
    Missing,
    #[error("the bearer token is not a JWT: {0}")]
    Malformed(&'static str),
    #[error("token algorithm {0:?} is not accepted here (RS256, ES256 matching the key)")]
    Algorithm(String),
    #[error("the issuer has no signing key {0:?}")]
    UnknownKey(String),
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token was issued by {0:?}, not by the configured issuer")]
    Issuer(String),
    #[error("the token is not for this audience")]
    Audience,
    #[error("the token has expired (or has no expiry)")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("subject {0:?} may not deliver events here")]
    Subject(String),
    #[error("the issuer's signing keys could not be fetched: {0}")]
    KeysUnavailable(String),
}

impl OidcError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "token_missing",
            Self::Malformed(_) => "token_malformed",
            Self::Algorithm(_) => "token_algorithm",
            Self::UnknownKey(_) => "token_key_unknown",
            Self::Signature => "token_signature",
            Self::Issuer(_) => "token_issuer",
            Self::Audience => "token_audience",
            Self::Expired => "token_expired",
            Self::NotYetValid => "token_not_yet_valid",
            Self::Subject(_) => "token_subject",
            Self::KeysUnavailable(_) => "oidc_keys_unavailable",
        }
    }

    /// 401 for the sender's token; 503 (retry) when we could not get the keys.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::KeysUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNAUTHORIZED,
        }
    }
}

pub struct Verifier {
    config: OidcConfig,
    keys: keys::KeyCache,
}

impl Verifier {
    pub fn new(config: OidcConfig) -> Result<Self, SetupError> {
        Ok(Self {
            keys: keys::KeyCache::new(&config)?,
            config,
        })
    }

    /// Verifies the `Authorization` header value of a delivery.
    pub async fn verify(&self, authorization: Option<&str>) -> Result<(), OidcError> {
        let token = authorization
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(OidcError::Missing)?;
        let token = jwt::parse(token)?;
        if !matches!(token.header.alg.as_str(), "RS256" | "ES256") {
            return Err(OidcError::Algorithm(
                token.header.alg.chars().take(20).collect(),
            ));
        }
        let key = self.keys.key(token.header.kid.as_deref()).await?;
        key.verify(
            &token.header.alg,
            token.signing_input.as_bytes(),
            &token.signature,
        )?;
        let now = chrono::Utc::now().timestamp();
        jwt::check_claims(&token.claims, &self.config, now, LEEWAY_SECS)
    }
}
