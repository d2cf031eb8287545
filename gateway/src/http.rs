//! HTTP edges: the public app (page, WebSocket, health) and the internal events app.
//! Handlers stay thin: decoding, routing and bookkeeping live in their own modules.

pub mod api;
pub mod auth;
pub mod internal;
pub mod oidc;
pub mod public;

use actix_web::HttpResponse;
use contract::ErrorBody;

/// The one place typed errors become HTTP error bodies (the contract's `{"code","message"}`,
/// which vep-function answers too).
fn error_reply(
    mut builder: actix_web::HttpResponseBuilder,
    code: &str,
    message: &str,
) -> HttpResponse {
    builder.json(ErrorBody::new(code, message))
}
