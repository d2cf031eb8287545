//! A JSON Web Key Set (RFC 7517) as the issuer publishes it (Kubernetes: `/openid/v1/jwks`),
//! reduced to the signature keys we accept: RSA (RS256, what Kubernetes signs
//! service-account tokens with by default) and EC P-256 (ES256, for an ECDSA signing key).

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::Deserialize;

use super::OidcError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// The uncompressed point `04 || x || y`.
    EcP256(Vec<u8>),
}

impl PublicKey {
    /// Verifies `signature` over `message` for the token's `alg`, which must be the one of
    /// this key's type (never chosen by the token alone: no `none`, no HMAC).
    pub fn verify(&self, alg: &str, message: &[u8], sig: &[u8]) -> Result<(), OidcError> {
        let verified = match (alg, self) {
            ("RS256", Self::Rsa { n, e }) => RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
                .is_ok(),
            ("ES256", Self::EcP256(point)) => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, sig)
                    .is_ok()
            }
            ("RS256" | "ES256", _) => return Err(OidcError::Algorithm(alg.to_owned())),
            _ => return Err(OidcError::Algorithm(alg.chars().take(20).collect())),
        };
        if verified {
            Ok(())
        } else {
            Err(OidcError::Signature)
        }
    }
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

fn b64(v: Option<&String>) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(v?).ok()
}

fn key_of(jwk: &Jwk) -> Option<PublicKey> {
    if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return None;
    }
    match (jwk.kty.as_str(), jwk.alg.as_deref()) {
        ("RSA", None | Some("RS256")) => Some(PublicKey::Rsa {
            n: b64(jwk.n.as_ref())?,
            e: b64(jwk.e.as_ref())?,
        }),
        ("EC", None | Some("ES256")) if jwk.crv.as_deref() == Some("P-256") => {
            let (x, y) = (b64(jwk.x.as_ref())?, b64(jwk.y.as_ref())?);
            if x.len() != 32 || y.len() != 32 {
                return None;
            }
            let mut point = Vec::with_capacity(65);
            point.push(4);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            Some(PublicKey::EcP256(point))
        }
        _ => None,
    }
}

/// The set's usable keys by `kid` (a key without one is filed under ""). Keys of other
/// types or uses are skipped, not errors: issuers may publish more than we use.
pub fn parse(json: &[u8]) -> Result<HashMap<String, PublicKey>, String> {
    let set: JwkSet = serde_json::from_slice(json).map_err(|e| format!("not a JWK set: {e}"))?;
    Ok(set
        .keys
        .iter()
        .filter_map(|jwk| Some((jwk.kid.clone().unwrap_or_default(), key_of(jwk)?)))
        .collect())
}

#[cfg(test)]
mod tests {
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    use serde_json::json;

    use super::*;

    fn ec_pair() -> EcdsaKeyPair {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("generated");
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .expect("parsed")
    }

    fn ec_jwk(pair: &EcdsaKeyPair, kid: &str) -> serde_json::Value {
        let point = pair.public_key().as_ref();
        json!({"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig",
               "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..])})
    }

    #[test]
    fn an_es256_signature_verifies_only_with_its_key_and_algorithm() {
        let pair = ec_pair();
        let set = json!({"keys": [ec_jwk(&pair, "k1"),
                                   {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
                                   {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}]});
        let keys = parse(set.to_string().as_bytes()).expect("set");
        assert_eq!(keys.len(), 1, "encryption and symmetric keys are skipped");
        let key = &keys["k1"];
        let sig = pair.sign(&SystemRandom::new(), b"payload").expect("signed");
        assert!(key.verify("ES256", b"payload", sig.as_ref()).is_ok());
        assert_eq!(
            key.verify("ES256", b"payloaD", sig.as_ref())
                .err()
                .map(|e| e.code()),
            Some("token_signature")
        );
        for alg in ["RS256", "none", "HS256"] {
            assert_eq!(
                key.verify(alg, b"payload", sig.as_ref())
                    .err()
                    .map(|e| e.code()),
                Some("token_algorithm"),
                "{alg}"
            );
        }
        let other = ec_pair();
        let forged = other
            .sign(&SystemRandom::new(), b"payload")
            .expect("signed");
        assert_eq!(
            key.verify("ES256", b"payload", forged.as_ref())
                .err()
                .map(|e| e.code()),
            Some("token_signature")
        );
    }

    #[test]
    fn a_set_that_is_not_json_is_an_error() {
        assert!(parse(b"<html>").is_err());
        assert!(parse(br#"{"keys": {}}"#).is_err());
    }
}
