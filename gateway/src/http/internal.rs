//! The internal listener (EVENTS_PORT): annotated/failed CloudEvents from the broker trigger,
//! Prometheus metrics and liveness. Never exposed to browsers.

use std::time::Instant;

use actix_web::{web, HttpRequest, HttpResponse};

use super::error_reply;
use crate::events::decode_inbound;
use crate::store::{record_of, Ingested, Store};
use crate::telemetry;

/// Annotated chunks carry full VEP JSON: far above actix's 256 KiB default.
pub const MAX_EVENT_BYTES: usize = 32 * 1024 * 1024;

#[derive(Clone)]
pub struct InternalState {
    pub store: Store,
}

pub fn configure(state: InternalState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(state))
            .app_data(web::PayloadConfig::new(MAX_EVENT_BYTES))
            .route("/", web::post().to(receive))
            .route("/metrics", web::get().to(metrics))
            .route("/q/health/live", web::get().to(live));
    }
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
    let inbound = match decode_inbound(req.headers(), body.to_vec()) {
        Ok(inbound) => inbound,
        Err(e) => {
            received("invalid");
            // The detail may quote event data (patient variants): debug only.
            tracing::warn!(code = e.code(), "rejected inbound event");
            tracing::debug!(error = %e, "rejected inbound event detail");
            // 400: redelivering the same bytes cannot succeed.
            return error_reply(HttpResponse::BadRequest(), e.code(), &e.to_string());
        }
    };
    let (source, id, analysis_id) = (
        inbound.source.clone(),
        inbound.id.clone(),
        inbound.analysis_id.clone(),
    );
    let record = record_of(inbound);
    let ingested = state.store.ingest(&record).await;
    metrics::histogram!(telemetry::INGEST_SECONDS).record(started.elapsed().as_secs_f64());
    match ingested {
        Ok(Ingested::Appended { completed, .. }) => {
            received("delivered");
            tracing::info!(%source, %id, %analysis_id, completed, "result stored for delivery");
            HttpResponse::Accepted().finish()
        }
        Ok(Ingested::Duplicate) => {
            received("duplicate");
            tracing::debug!(%source, %id, "duplicate event ignored");
            HttpResponse::Accepted().finish()
        }
        Ok(Ingested::UnknownAnalysis) => {
            received("unknown_analysis");
            tracing::warn!(%source, %id, %analysis_id, "result for an analysis no longer tracked");
            HttpResponse::Accepted().finish()
        }
        Ok(Ingested::Rejected(e)) => {
            received("rejected");
            tracing::warn!(%source, %id, %analysis_id, error = %e, "chunk rejected");
            error_reply(
                HttpResponse::BadRequest(),
                "inconsistent_chunk",
                &e.to_string(),
            )
        }
        Err(e) => {
            received("store_error");
            metrics::counter!(telemetry::STORE_ERRORS, "op" => "ingest").increment(1);
            tracing::warn!(%analysis_id, error = %e, "could not store the result, asking the sender to retry");
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
