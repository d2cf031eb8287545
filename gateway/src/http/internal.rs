//! The internal listener (EVENTS_PORT): annotated/failed CloudEvents from the broker trigger.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use super::error_reply;
use crate::events::decode_inbound;
use crate::registry::{Delivery, Registry, Routed};

/// Annotated chunks carry full VEP JSON: far above actix's 256 KiB default.
pub const MAX_EVENT_BYTES: usize = 32 * 1024 * 1024;

#[derive(Clone)]
pub struct InternalState {
    pub delivery: Arc<dyn Delivery>,
    pub registry: Arc<Registry>,
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

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<InternalState>,
) -> HttpResponse {
    let inbound = match decode_inbound(req.headers(), body.to_vec()) {
        Ok(inbound) => inbound,
        Err(e) => {
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
    match state.delivery.deliver(inbound) {
        Routed::Sent { completed } => {
            tracing::info!(%source, %id, %analysis_id, completed, "delivered result");
            HttpResponse::Accepted().finish()
        }
        Routed::Duplicate => {
            tracing::debug!(%source, %id, "duplicate event ignored");
            HttpResponse::Accepted().finish()
        }
        Routed::NotLocal => {
            // Issue #7 forwards these to the replica that holds the session.
            tracing::debug!(%source, %id, %analysis_id, "session not on this replica");
            HttpResponse::Accepted().finish()
        }
        Routed::UnknownAnalysis => {
            tracing::warn!(%source, %id, %analysis_id, "result for an analysis no longer tracked");
            HttpResponse::Accepted().finish()
        }
        Routed::QueueFull => {
            tracing::warn!(%analysis_id, "session queue full, asking the sender to retry");
            let mut reply = HttpResponse::ServiceUnavailable();
            reply.insert_header(("Retry-After", "1"));
            error_reply(
                reply,
                "session_queue_full",
                "the session's outbound queue is full",
            )
        }
        Routed::Rejected(e) => {
            tracing::warn!(%source, %id, %analysis_id, error = %e, "chunk rejected");
            error_reply(
                HttpResponse::BadRequest(),
                "inconsistent_chunk",
                &e.to_string(),
            )
        }
    }
}

/// Placeholder until the metrics exporter lands: the registry's gauges and counters in
/// Prometheus text format.
async fn metrics(state: web::Data<InternalState>) -> HttpResponse {
    let r = &state.registry;
    let c = &r.counters;
    let mut text = format!(
        "gateway_sessions {}\ngateway_analyses_in_progress {}\n",
        r.session_count(),
        r.analysis_count()
    );
    for (outcome, n) in [
        ("delivered", &c.delivered),
        ("duplicate", &c.duplicates),
        ("not_local", &c.not_local),
        ("unknown_analysis", &c.unknown_analysis),
        ("queue_full", &c.queue_full),
        ("rejected", &c.rejected),
    ] {
        text.push_str(&format!(
            "gateway_inbound_events_total{{outcome=\"{outcome}\"}} {}\n",
            n.load(Ordering::Relaxed)
        ));
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(text)
}
