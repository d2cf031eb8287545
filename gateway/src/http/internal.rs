//! The internal listener (EVENTS_PORT): annotated/failed CloudEvents from the broker trigger,
//! Prometheus metrics and liveness. Never exposed to browsers. It binds `EVENTS_HOST`
//! (loopback unless the cluster manifests say otherwise), and with `EVENTS_OIDC_ISSUER` set
//! a delivery needs a valid Knative OIDC token (`super::oidc`), checked before its body is
//! read. Every result must carry the function's signature (401 unsigned, 403 forged or
//! tampered) before it counts; a replayed one changes nothing (`analysis::ranges`).

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpRequest, HttpResponse};

use super::error_reply;
use super::oidc::Verifier;
use crate::analysis::record::Ingested;
use crate::events::{decode_inbound, record_of, EventSettings, InboundError};
use crate::pipeline::Ledger;
use crate::telemetry::{self, redact};

#[derive(Clone)]
pub struct InternalState {
    /// Where accepted events are recorded (store, then spool).
    pub ledger: Ledger,
    /// When set, every delivery needs a valid OIDC token (one verifier, so one key cache,
    /// for every worker).
    pub oidc: Option<Arc<Verifier>>,
    /// Every result must carry the function's signature (`contract::signing`), and none
    /// the function sends is larger than the budget (`EVENT_MAX_BYTES`): the body limit.
    pub events: EventSettings,
}

pub fn configure(state: InternalState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let limit = state.events.budget.bytes();
        cfg.app_data(web::Data::new(state))
            .app_data(web::PayloadConfig::new(limit))
            .service(
                web::resource("/")
                    .wrap(from_fn(authenticate))
                    .route(web::post().to(receive)),
            )
            .route("/metrics", web::get().to(metrics))
            .route("/q/health/live", web::get().to(live));
    }
}

/// Refuses a delivery without a valid token before its body (up to `EVENT_MAX_BYTES`) is
/// read.
async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let verifier = req
        .app_data::<web::Data<InternalState>>()
        .and_then(|s| s.oidc.clone());
    if let Some(verifier) = verifier {
        let authorization = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if let Err(e) = verifier.verify(authorization.as_deref()).await {
            received("unauthenticated");
            metrics::counter!(telemetry::AUTH_FAILURES, "code" => e.code()).increment(1);
            tracing::warn!(code = e.code(), error = %e, "delivery refused: no valid OIDC token");
            let mut reply = HttpResponse::build(e.status());
            if e.status().as_u16() == 401 {
                reply.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            } else {
                reply.insert_header(("Retry-After", "1"));
            }
            // The unread body makes the connection unusable for another request.
            reply.force_close();
            let res = error_reply(reply, e.code(), &e.to_string());
            return Ok(req.into_response(res).map_into_boxed_body());
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

async fn live() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "UP"}))
}

fn received(outcome: &'static str) {
    metrics::counter!(telemetry::EVENTS_RECEIVED, "outcome" => outcome).increment(1);
}

/// Any replica takes any event: it is appended to its session's stream and the replica
/// holding that session is woken.
async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<InternalState>,
) -> HttpResponse {
    let started = Instant::now();
    // Uploads whose session shows only progress never need a part's `result` frame.
    let spool = state.ledger.spool();
    let render = |analysis: &str| spool.is_none_or(|s| s.wants_result_frames(analysis));
    let inbound = match decode_inbound(req.headers(), body.to_vec(), &state.events.signing, render)
    {
        Ok(inbound) => inbound,
        Err(e @ InboundError::Unauthenticated(_)) => {
            // Unsigned or forged: nothing of it is read, nothing changes.
            received("unauthenticated");
            metrics::counter!(telemetry::AUTH_FAILURES, "code" => e.code()).increment(1);
            tracing::warn!(code = e.code(), "delivery refused: {e}");
            let status = actix_web::http::StatusCode::from_u16(e.status())
                .unwrap_or(actix_web::http::StatusCode::FORBIDDEN);
            return error_reply(HttpResponse::build(status), e.code(), &e.to_string());
        }
        Err(e) => {
            received("invalid");
            // The detail may quote event data (patient variants): debug only.
            tracing::warn!(code = e.code(), "rejected inbound event");
            tracing::debug!(error = %e, "rejected inbound event detail");
            // 400: redelivering the same bytes cannot succeed.
            return error_reply(HttpResponse::BadRequest(), e.code(), &e.to_string());
        }
    };
    // Event ids may embed the analysis id: logs show them redacted.
    let (source, id, analysis_id) = (
        inbound.source.clone(),
        redact(&inbound.id).to_string(),
        redact(&inbound.analysis_id).to_string(),
    );
    let record = record_of(inbound);
    let ingested = state.ledger.ingest(&record).await;
    metrics::histogram!(telemetry::INGEST_SECONDS).record(started.elapsed().as_secs_f64());
    match ingested {
        Ok(Ingested::Appended { completed, .. }) => {
            received("delivered");
            tracing::info!(%source, event = %id, analysis = %analysis_id, completed, "result stored for delivery");
            HttpResponse::Accepted().finish()
        }
        Ok(Ingested::Duplicate) => {
            received("duplicate");
            tracing::debug!(%source, event = %id, "duplicate event or range ignored");
            HttpResponse::Accepted().finish()
        }
        Ok(Ingested::UnknownAnalysis) => {
            received("unknown_analysis");
            tracing::warn!(%source, event = %id, analysis = %analysis_id, "result for an analysis no longer tracked");
            HttpResponse::Accepted().finish()
        }
        Ok(Ingested::Rejected(e)) => {
            received("rejected");
            tracing::warn!(%source, event = %id, analysis = %analysis_id, error = %e, "chunk rejected");
            error_reply(
                HttpResponse::BadRequest(),
                "inconsistent_chunk",
                &e.to_string(),
            )
        }
        Err(e) => {
            received("store_error");
            metrics::counter!(telemetry::STORE_ERRORS, "op" => "ingest").increment(1);
            tracing::warn!(analysis = %analysis_id, error = %e, "could not store the result, asking the sender to retry");
            let mut reply = HttpResponse::ServiceUnavailable();
            reply.insert_header(("Retry-After", "1"));
            error_reply(reply, e.code(), &e.to_string())
        }
    }
}

async fn metrics() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(telemetry::render())
}
