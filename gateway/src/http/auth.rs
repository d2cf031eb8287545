//! Optional authentication of WebSocket upgrades: a shared bearer token (for non-browser
//! clients and tests) and/or an identity header set by a trusted proxy in front (e.g.
//! OpenShift's OAuth proxy sets `X-Forwarded-User`). Neither is trusted unless configured.

use actix_web::http::header::{HeaderMap, AUTHORIZATION};

use crate::credential::constant_time_eq;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthPolicy {
    pub bearer_token: Option<String>,
    pub identity_header: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("a bearer token is required")]
    MissingToken,
    #[error("the bearer token is not valid")]
    BadToken,
    #[error("the request did not come through the authenticating proxy")]
    MissingIdentity,
}

impl AuthError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingToken | Self::MissingIdentity => "unauthenticated",
            Self::BadToken => "unauthorized",
        }
    }
}

impl AuthPolicy {
    pub fn is_open(&self) -> bool {
        self.bearer_token.is_none() && self.identity_header.is_none()
    }

    pub fn check(&self, headers: &HeaderMap) -> Result<(), AuthError> {
        if let Some(name) = &self.identity_header {
            let present = headers
                .get(name.as_str())
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| !v.trim().is_empty());
            if !present {
                return Err(AuthError::MissingIdentity);
            }
        }
        if let Some(expected) = &self.bearer_token {
            let given = headers
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or(AuthError::MissingToken)?;
            if !constant_time_eq(given.trim().as_bytes(), expected.as_bytes()) {
                return Err(AuthError::BadToken);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_static(k),
                HeaderValue::from_str(v).expect("header"),
            );
        }
        h
    }

    #[test]
    fn open_policy_accepts_anything() {
        assert_eq!(AuthPolicy::default().check(&headers(&[])), Ok(()));
    }

    #[test]
    fn bearer_token_must_match_exactly() {
        let p = AuthPolicy {
            bearer_token: Some("s3cret".into()),
            identity_header: None,
        };
        assert_eq!(p.check(&headers(&[])), Err(AuthError::MissingToken));
        assert_eq!(
            p.check(&headers(&[("authorization", "Bearer s3cre")])),
            Err(AuthError::BadToken)
        );
        assert_eq!(
            p.check(&headers(&[("authorization", "Bearer s3cret")])),
            Ok(())
        );
    }

    #[test]
    fn identity_header_is_required_only_when_configured() {
        let p = AuthPolicy {
            bearer_token: None,
            identity_header: Some("x-forwarded-user".into()),
        };
        assert_eq!(p.check(&headers(&[])), Err(AuthError::MissingIdentity));
        assert_eq!(p.check(&headers(&[("x-forwarded-user", "alice")])), Ok(()));
    }
}
