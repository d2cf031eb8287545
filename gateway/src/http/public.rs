//! The public app: the minimal page, the WebSocket endpoint and health probes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::error_reply;
use crate::credential::Secret;
use crate::session::{self, SessionContext};
use crate::telemetry::redact;

const INDEX_HTML: &str = include_str!("../../static/index.html");
/// The page's scripts and styles, embedded so the binary needs no files beside it.
/// (name under /assets/, content type, body)
const ASSETS: &[(&str, &str, &str)] = &[
    ("style.css", CSS, include_str!("../../static/style.css")),
    ("app.js", JS, include_str!("../../static/app.js")),
    ("analyses.js", JS, include_str!("../../static/analyses.js")),
    (
        "connection.js",
        JS,
        include_str!("../../static/connection.js"),
    ),
    ("custom.js", JS, include_str!("../../static/custom.js")),
    ("detail.js", JS, include_str!("../../static/detail.js")),
    ("dom.js", JS, include_str!("../../static/dom.js")),
    ("export.js", JS, include_str!("../../static/export.js")),
    ("input.js", JS, include_str!("../../static/input.js")),
    (
        "reference.js",
        JS,
        include_str!("../../static/reference.js"),
    ),
    ("results.js", JS, include_str!("../../static/results.js")),
    (
        "predictions.js",
        JS,
        include_str!("../../static/predictions.js"),
    ),
    ("sequence.js", JS, include_str!("../../static/sequence.js")),
    ("severity.js", JS, include_str!("../../static/severity.js")),
    ("table.js", JS, include_str!("../../static/table.js")),
    ("upload.js", JS, include_str!("../../static/upload.js")),
    ("favicon.svg", SVG, include_str!("../../static/favicon.svg")),
];
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

#[derive(Clone)]
pub struct PublicState {
    pub session: SessionContext,
    /// Origins whose pages may open sessions (`Config::public_origins`).
    pub public_origins: Vec<String>,
    /// False once shutdown began: the readiness probe takes the replica out of rotation.
    pub ready: Arc<AtomicBool>,
}

pub fn configure(state: PublicState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(state))
            .route("/", web::get().to(index))
            .route("/assets/{name}", web::get().to(asset))
            .route("/ws", web::get().to(websocket))
            .route("/q/health/live", web::get().to(live))
            .route("/q/health/ready", web::get().to(ready));
    }
}

async fn index(state: web::Data<PublicState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_SECURITY_POLICY, csp(&state.public_origins)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .content_type("text/html; charset=utf-8")
        .body(INDEX_HTML)
}

async fn asset(name: web::Path<String>) -> HttpResponse {
    let Some((_, content_type, body)) = ASSETS.iter().find(|(n, _, _)| *n == name.as_str()) else {
        return error_reply(HttpResponse::NotFound(), "not_found", "no such asset");
    };
    HttpResponse::Ok()
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Revalidate so a new gateway version never runs with yesterday's scripts.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .content_type(*content_type)
        .body(*body)
}

/// Same-origin only. Older browsers do not match ws(s) against 'self', so the WebSocket
/// form of each configured public origin is named explicitly (never the request's `Host`,
/// which the client chooses).
fn csp(public_origins: &[String]) -> String {
    let mut policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
                frame-ancestors 'none'; base-uri 'none'; form-action 'none'; connect-src 'self'"
        .to_owned();
    for origin in public_origins {
        let ws = origin
            .strip_prefix("https://")
            .map(|rest| format!("wss://{rest}"))
            .or_else(|| {
                origin
                    .strip_prefix("http://")
                    .map(|rest| format!("ws://{rest}"))
            });
        if let Some(ws) = ws {
            policy.push(' ');
            policy.push_str(&ws);
        }
    }
    policy
}

async fn live() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "UP"}))
}

async fn ready(state: web::Data<PublicState>) -> HttpResponse {
    if state.ready.load(Ordering::Relaxed) {
        HttpResponse::Ok().json(serde_json::json!({"status": "UP"}))
    } else {
        HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "DOWN"}))
    }
}

/// Browsers always send Origin on WebSocket upgrades and cross-origin POSTs; other clients
/// may omit it. A browser origin must be one of the configured public origins exactly. The
/// `Host` header is never consulted: a DNS-rebinding page reaches us under its own name, so
/// its Origin and Host agree.
pub(super) fn origin_allowed(req: &HttpRequest, public_origins: &[String]) -> bool {
    match req.headers().get(header::ORIGIN) {
        None => true,
        Some(origin) => origin
            .to_str()
            .is_ok_and(|o| public_origins.iter().any(|a| a.eq_ignore_ascii_case(o))),
    }
}

async fn websocket(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<PublicState>,
) -> HttpResponse {
    if !origin_allowed(&req, &state.public_origins) {
        return error_reply(
            HttpResponse::Forbidden(),
            "origin_not_allowed",
            "this origin may not open a session",
        );
    }
    if !state.ready.load(Ordering::Relaxed) {
        return error_reply(
            HttpResponse::ServiceUnavailable(),
            "shutting_down",
            "the gateway is shutting down",
        );
    }
    let secret = match Secret::generate() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "no session secret");
            return error_reply(
                HttpResponse::InternalServerError(),
                "internal",
                &e.to_string(),
            );
        }
    };
    let registry = &state.session.registry;
    registry.watch_shutdown(&state.session.shutdown);
    let (session_id, outbound) = match registry.register_session() {
        Ok(pair) => pair,
        Err(e) => return error_reply(HttpResponse::ServiceUnavailable(), e.code(), &e.to_string()),
    };
    let (response, ws, stream) = match actix_ws::handle(&req, body) {
        Ok(parts) => parts,
        Err(e) => {
            registry.unregister_session(&session_id);
            return e.error_response();
        }
    };
    tracing::info!(session = %redact(&session_id), "session opened");
    actix_web::rt::spawn(session::run(
        Shared(state),
        session_id,
        secret,
        outbound,
        ws,
        stream,
    ));
    response
}

/// The session context as every session task sees it: through the app's shared state (a
/// reference count per session, not a copy of the context's strings).
struct Shared(web::Data<PublicState>);

impl std::ops::Deref for Shared {
    type Target = SessionContext;

    fn deref(&self) -> &SessionContext {
        &self.0.session
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn local() -> Vec<String> {
        vec![
            "http://127.0.0.1:8080".to_owned(),
            "http://localhost:8080".to_owned(),
        ]
    }

    #[test]
    fn missing_origin_is_allowed_for_non_browser_clients() {
        let req = TestRequest::default().to_http_request();
        assert!(origin_allowed(&req, &local()));
    }

    #[test]
    fn a_page_whose_origin_matches_its_host_is_refused_unless_configured() {
        // DNS rebinding: the attacker's name resolves to us, so Origin and Host agree.
        let rebound = TestRequest::default()
            .insert_header((header::HOST, "evil.example:8080"))
            .insert_header((header::ORIGIN, "http://evil.example:8080"))
            .to_http_request();
        assert!(!origin_allowed(&rebound, &local()));
        let own = TestRequest::default()
            .insert_header((header::HOST, "evil.example:8080"))
            .insert_header((header::ORIGIN, "http://localhost:8080"))
            .to_http_request();
        assert!(origin_allowed(&own, &local()));
        let null = TestRequest::default()
            .insert_header((header::ORIGIN, "null"))
            .to_http_request();
        assert!(!origin_allowed(&null, &local()));
    }

    #[test]
    fn allow_list_is_matched_exactly() {
        let list = vec!["https://ui.example".to_owned()];
        let ok = TestRequest::default()
            .insert_header((header::ORIGIN, "https://ui.example"))
            .to_http_request();
        let bad = TestRequest::default()
            .insert_header((header::ORIGIN, "https://ui.example.evil"))
            .to_http_request();
        assert!(origin_allowed(&ok, &list));
        assert!(!origin_allowed(&bad, &list));
    }

    #[test]
    fn csp_names_the_websocket_form_of_each_public_origin_and_forbids_inline_script() {
        let policy = csp(&[
            "http://localhost:8080".to_owned(),
            "https://ui.example".to_owned(),
        ]);
        assert!(policy.contains("default-src 'self'"));
        assert!(policy.contains("script-src 'self';"));
        assert!(policy.ends_with("connect-src 'self' ws://localhost:8080 wss://ui.example"));
        assert!(!policy.contains("unsafe-inline"));
    }

    /// Every `/assets/x` the page loads and every `./x.js` a module imports must be served,
    /// or the page breaks only in a browser.
    #[test]
    fn every_asset_the_page_references_is_embedded() {
        let served = |name: &str| ASSETS.iter().any(|(n, _, _)| *n == name);
        let mut referenced = Vec::new();
        for part in INDEX_HTML.split("/assets/").skip(1) {
            referenced.push(part.split('"').next().unwrap_or_default().to_owned());
        }
        for (_, _, body) in ASSETS {
            for part in body.split("from \"./").skip(1) {
                referenced.push(part.split('"').next().unwrap_or_default().to_owned());
            }
        }
        assert!(referenced.contains(&"app.js".to_owned()));
        assert!(referenced.contains(&"table.js".to_owned()));
        for name in &referenced {
            assert!(served(name), "{name} is referenced but not in ASSETS");
        }
    }

    #[test]
    fn no_asset_writes_markup_from_strings() {
        for (name, _, body) in ASSETS {
            for sink in [
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "document.write",
            ] {
                assert!(!body.contains(sink), "{name} uses {sink}");
            }
        }
    }

    #[test]
    fn csp_does_not_depend_on_the_request() {
        assert!(csp(&[]).ends_with("connect-src 'self'"));
    }
}
