//! Who may read a REST analysis (its status and results): the holder of its download token
//! (returned once, in the upload's 202) or of the resume secret of the session it was
//! attached to. Knowing the analysis id is not enough: ids appear in frames, URLs and
//! screenshots; the results are patient data.

use actix_web::{HttpRequest, HttpResponse};

use crate::analysis::spool::SpoolMeta;
use crate::credential::SecretHash;
use crate::http::error_reply;
use crate::session::secret::{self, SESSION_SECRET_HEADER};
use crate::store::Store;
use crate::telemetry;

/// Header carrying an analysis' download token (links may use the `token` query instead).
pub const DOWNLOAD_TOKEN_HEADER: &str = "x-download-token";

/// The 401 of a read request that presents no credential.
pub fn required() -> HttpResponse {
    metrics::counter!(telemetry::AUTH_FAILURES, "code" => "download_token_required").increment(1);
    error_reply(
        HttpResponse::Unauthorized(),
        "download_token_required",
        "send the analysis' download_token (header X-Download-Token or query token=) or its session's secret (header X-Session-Secret)",
    )
}

/// The credentials a read request presents.
pub struct Presented {
    token: Option<String>,
    session_secret: Option<String>,
}

fn header(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl Presented {
    /// Reads them from the request; `None` when it presents none (answer [`required`]).
    pub fn of(req: &HttpRequest, query_token: Option<String>) -> Option<Self> {
        let token = header(req, DOWNLOAD_TOKEN_HEADER).or(query_token.filter(|t| !t.is_empty()));
        let session_secret = header(req, SESSION_SECRET_HEADER);
        (token.is_some() || session_secret.is_some()).then_some(Self {
            token,
            session_secret,
        })
    }

    /// Whether they grant reading the analysis `meta` describes.
    pub async fn authorize(&self, meta: &SpoolMeta, store: &dyn Store) -> Result<(), HttpResponse> {
        let token_ok = match (&self.token, &meta.token_sha256) {
            (Some(t), Some(hex)) => SecretHash::from_hex(hex).is_some_and(|h| h.matches(t)),
            _ => false,
        };
        if token_ok {
            return Ok(());
        }
        if let (Some(presented), Some(session)) = (&self.session_secret, &meta.session_id) {
            match secret::authorize(store, session, Some(presented)).await {
                Ok(()) => return Ok(()),
                Err(e @ secret::SessionAuthError::Store(_)) => {
                    return Err(error_reply(
                        HttpResponse::ServiceUnavailable(),
                        e.code(),
                        &e.to_string(),
                    ))
                }
                Err(_) => {}
            }
        }
        metrics::counter!(telemetry::AUTH_FAILURES, "code" => "download_token_invalid")
            .increment(1);
        Err(error_reply(
            HttpResponse::Forbidden(),
            "download_token_invalid",
            "the token (or session secret) does not grant access to this analysis",
        ))
    }
}
