//! HTTP edges: the public app (page, WebSocket, health) and the internal events app.
//! Handlers stay thin: decoding, routing and bookkeeping live in their own modules.

pub mod api;
pub mod auth;
pub mod internal;
pub mod oidc;
pub mod public;

use actix_web::HttpResponse;
use serde_json::json;

/// The one place typed errors become HTTP error bodies.
fn error_reply(
    mut builder: actix_web::HttpResponseBuilder,
    code: &str,
    message: &str,
) -> HttpResponse {
    builder.json(json!({ "code": code, "message": message }))
}
