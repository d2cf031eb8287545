//! A compact JWT (RFC 7519) taken apart, and its claims checked. Pure: no keys, no clock of
//! its own; signature verification is `jwks::PublicKey::verify` over `signing_input`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

use super::OidcConfig;
use super::OidcError;

/// Tokens longer than this are not Kubernetes service-account tokens (~1 KB).
const MAX_TOKEN_BYTES: usize = 16 * 1024;

#[derive(Debug, Deserialize)]
pub struct Header {
    pub alg: String,
    #[serde(default)]
    pub kid: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Claims {
    #[serde(default)]
    pub iss: Option<String>,
    /// A string or an array of strings (RFC 7519 §4.1.3).
    #[serde(default)]
    pub aud: Option<Value>,
    #[serde(default)]
    pub sub: Option<String>,
    #[serde(default)]
    pub exp: Option<f64>,
    #[serde(default)]
    pub nbf: Option<f64>,
}

pub struct Token<'a> {
    pub header: Header,
    pub claims: Claims,
    /// `base64url(header) "." base64url(claims)`: what the signature covers.
    pub signing_input: &'a str,
    pub signature: Vec<u8>,
}

fn segment(s: &str, what: &'static str) -> Result<Vec<u8>, OidcError> {
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| OidcError::Malformed(what))
}

/// Splits and decodes a compact JWS; nothing is trusted yet.
pub fn parse(token: &str) -> Result<Token<'_>, OidcError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(OidcError::Malformed("token too long"));
    }
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(OidcError::Malformed("not three dot-separated parts"));
    };
    let header: Header = serde_json::from_slice(&segment(h, "header is not base64url")?)
        .map_err(|_| OidcError::Malformed("header is not a JSON object with alg"))?;
    let claims: Claims = serde_json::from_slice(&segment(c, "claims are not base64url")?)
        .map_err(|_| OidcError::Malformed("claims are not a JSON object"))?;
    let signature = segment(sig, "signature is not base64url")?;
    Ok(Token {
        header,
        claims,
        signing_input: &token[..h.len() + 1 + c.len()],
        signature,
    })
}

/// `iss`, `aud`, `exp`/`nbf` (with `leeway` seconds of clock skew) and `sub`, at unix time
/// `now`.
pub fn check_claims(
    claims: &Claims,
    config: &OidcConfig,
    now: i64,
    leeway: i64,
) -> Result<(), OidcError> {
    let issuer = claims.iss.as_deref().unwrap_or_default();
    if issuer != config.issuer {
        return Err(OidcError::Issuer(issuer.chars().take(200).collect()));
    }
    let audience_ok = match &claims.aud {
        Some(Value::String(a)) => *a == config.audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(&config.audience)),
        _ => false,
    };
    if !audience_ok {
        return Err(OidcError::Audience);
    }
    // A token without an expiry would be valid for ever: refused.
    let exp = claims.exp.ok_or(OidcError::Expired)?;
    if (now - leeway) as f64 >= exp {
        return Err(OidcError::Expired);
    }
    if claims.nbf.is_some_and(|nbf| ((now + leeway) as f64) < nbf) {
        return Err(OidcError::NotYetValid);
    }
    if !config.subjects.is_empty() {
        let sub = claims.sub.as_deref().unwrap_or_default();
        if !config.subjects.iter().any(|s| s == sub) {
            return Err(OidcError::Subject(sub.chars().take(200).collect()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config() -> OidcConfig {
        OidcConfig {
            issuer: "https://issuer.example".into(),
            audience: "gateway-events".into(),
            jwks_url: None,
            subjects: vec!["system:serviceaccount:genomics:trigger-sa".into()],
            ca_file: None,
            token_file: None,
        }
    }

    fn claims(v: Value) -> Claims {
        serde_json::from_value(v).expect("claims")
    }

    fn good() -> Value {
        json!({"iss": "https://issuer.example", "aud": ["x", "gateway-events"],
               "sub": "system:serviceaccount:genomics:trigger-sa", "exp": 1_000_600, "nbf": 1_000_000})
    }

    fn check(v: Value) -> Result<(), OidcError> {
        check_claims(&claims(v), &config(), 1_000_100, 30)
    }

    #[test]
    fn valid_claims_pass_with_a_string_or_array_audience() {
        assert!(check(good()).is_ok());
        let mut v = good();
        v["aud"] = json!("gateway-events");
        assert!(check(v).is_ok());
    }

    #[test]
    fn each_claim_is_checked_and_named() {
        let with = |k: &str, val: Value| {
            let mut v = good();
            v[k] = val;
            check(v).expect_err(k).code()
        };
        assert_eq!(with("iss", json!("https://evil.example")), "token_issuer");
        assert_eq!(with("aud", json!("other")), "token_audience");
        assert_eq!(with("aud", json!(["other"])), "token_audience");
        assert_eq!(with("exp", json!(1_000_000)), "token_expired");
        assert_eq!(with("nbf", json!(1_000_200)), "token_not_yet_valid");
        assert_eq!(
            with("sub", json!("system:serviceaccount:x:y")),
            "token_subject"
        );
        let mut no_exp = good();
        no_exp.as_object_mut().expect("object").remove("exp");
        assert_eq!(check(no_exp).expect_err("exp").code(), "token_expired");
    }

    #[test]
    fn the_leeway_absorbs_small_clock_skew_only() {
        let mut v = good();
        v["exp"] = json!(1_000_090);
        assert!(check(v).is_ok(), "expired 10 s ago, within 30 s");
        let mut v = good();
        v["nbf"] = json!(1_000_120);
        assert!(check(v).is_ok(), "valid in 20 s, within 30 s");
    }

    #[test]
    fn malformed_tokens_are_refused_before_any_key_is_looked_up() {
        for t in ["", "a.b", "a.b.c.d", "!!.e30.", "e30.!!.", "e30.e30.!!"] {
            assert_eq!(
                parse(t).err().map(|e| e.code()),
                Some("token_malformed"),
                "{t}"
            );
        }
        let huge = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(
            parse(&huge).err().map(|e| e.code()),
            Some("token_malformed")
        );
    }

    #[test]
    fn the_signing_input_is_the_first_two_parts() {
        let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","kid":"k1"}"#);
        let c = URL_SAFE_NO_PAD.encode(br#"{"sub":"s"}"#);
        let token = format!("{h}.{c}.AQID");
        let parsed = parse(&token).expect("parsed");
        assert_eq!(parsed.signing_input, format!("{h}.{c}"));
        assert_eq!(parsed.signature, vec![1, 2, 3]);
        assert_eq!(parsed.header.kid.as_deref(), Some("k1"));
    }
}
