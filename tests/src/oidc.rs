//! An OIDC issuer stand-in, as the Kubernetes API serves one for service-account tokens: a
//! real loopback HTTP server with the discovery document and the JWKS, RSA keys generated
//! at test time (`openssl genpkey`), and RS256 tokens signed with them. Keys can be
//! published, rotated or kept private (an attacker's), and JWKS fetches are counted.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::rsa::PublicKeyComponents;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::{json, Value};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::recorder::read_head;

/// An RSA signing key with its key id.
pub struct Key {
    pub kid: String,
    pair: RsaKeyPair,
}

impl Key {
    /// A fresh 2048-bit RSA key (from `openssl genpkey`: ring cannot generate RSA keys).
    pub fn generate(kid: &str) -> Self {
        let out = std::process::Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-outform",
                "DER",
            ])
            .output()
            .expect("openssl runs (Debian package openssl)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // OpenSSL 3 writes DER keys as PKCS#1; older versions as PKCS#8.
        let pair = RsaKeyPair::from_der(&out.stdout)
            .or_else(|_| RsaKeyPair::from_pkcs8(&out.stdout))
            .expect("an RSA private key in DER");
        Self {
            kid: kid.to_owned(),
            pair,
        }
    }

    /// The public half as a JWK.
    pub fn jwk(&self) -> Value {
        let public: PublicKeyComponents<Vec<u8>> = self.pair.public().into();
        json!({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid,
               "n": URL_SAFE_NO_PAD.encode(&public.n), "e": URL_SAFE_NO_PAD.encode(&public.e)})
    }

    /// A compact JWS of `claims`, RS256, naming this key.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "kid": self.kid, "typ": "JWT"});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .expect("signed");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

/// The issuer: `url` is its `iss`; it publishes the JWKS of the keys given to [`Issuer::publish`].
pub struct Issuer {
    pub url: String,
    published: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<AtomicUsize>,
}

impl Issuer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind issuer");
        let url = format!(
            "http://127.0.0.1:{}",
            listener.local_addr().expect("addr").port()
        );
        let issuer = Self {
            url: url.clone(),
            published: Arc::default(),
            fetches: Arc::default(),
        };
        let (published, fetches) = (issuer.published.clone(), issuer.fetches.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (url, published, fetches) = (url.clone(), published.clone(), fetches.clone());
                tokio::spawn(async move {
                    let mut reader = BufReader::new(stream);
                    let Ok(Some(head)) = read_head(&mut reader).await else {
                        return;
                    };
                    let (status, body) = match head.path.as_str() {
                        "/.well-known/openid-configuration" => (
                            200,
                            json!({"issuer": url, "jwks_uri": format!("{url}/openid/v1/jwks"),
                                   "id_token_signing_alg_values_supported": ["RS256"]}),
                        ),
                        "/openid/v1/jwks" => {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            let keys = published.lock().map(|k| k.clone()).unwrap_or_default();
                            (200, json!({ "keys": keys }))
                        }
                        _ => (404, json!({})),
                    };
                    let body = body.to_string();
                    let reply = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = reader.get_mut().write_all(reply.as_bytes()).await;
                });
            }
        });
        issuer
    }

    /// Adds `key` to the published JWKS (a rotation adds the new key beside the old).
    pub fn publish(&self, key: &Key) {
        if let Ok(mut keys) = self.published.lock() {
            keys.push(key.jwk());
        }
    }

    /// How many times the JWKS was fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Claims of a service-account token for `audience`, valid from now for `ttl_secs`.
    pub fn claims(&self, subject: &str, audience: &str, ttl_secs: i64) -> Value {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        json!({"iss": self.url, "sub": subject, "aud": [audience],
               "iat": now, "nbf": now, "exp": now + ttl_secs})
    }
}
