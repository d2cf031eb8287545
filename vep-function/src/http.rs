//! The HTTP binding: CloudEvents receiver (`POST /`), health and metrics. Thin: it decodes,
//! hands the chunk to `service`, and maps each outcome once to a status code.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use actix_web::{web, HttpRequest, HttpResponse};
use cloudevents::binding::actix::HttpResponseBuilderExt;
use cloudevents::binding::http_0_2::to_event;
use cloudevents::{AttributesReader, Event};
use contract::ErrorBody;
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::json;
use tokio::sync::Semaphore;

use contract::delivery::Delivery;

use crate::events::{self, CeOverrides, Chunk, Outcome};
use crate::service::{self, ChunkAnnotator};
use crate::sink::MissingSink;

pub struct State {
    pub annotator: Arc<dyn ChunkAnnotator>,
    /// `K_SINK`, when set: results are delivered there, not replied.
    pub sink: Option<Delivery>,
    /// Set when running under Knative without `K_SINK`: not ready, and every event is
    /// answered 503 so its delivery is retried (eventing/README.md, "K_SINK missing").
    pub missing_sink: Option<MissingSink>,
    pub source: String,
    pub overrides: CeOverrides,
    pub ready: AtomicBool,
    /// Bounds CPU-bound annotation work in flight; more requests wait for a permit.
    pub workers: Semaphore,
    pub metrics: Option<PrometheusHandle>,
    /// Adds scores to missense consequences after annotation; never fails a chunk.
    pub scoring: Arc<crate::scoring::Scoring>,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::post().to(receive))
        .route("/health/liveness", web::get().to(live))
        .route("/health/readiness", web::get().to(ready))
        .route("/metrics", web::get().to(metrics));
}

/// Every error answer: the contract's one body shape, `{"code","message"}`.
fn problem(status: actix_web::http::StatusCode, code: &str, message: String) -> HttpResponse {
    HttpResponse::build(status).json(ErrorBody::new(code, message))
}

async fn receive(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    if let Some(missing) = &state.missing_sink {
        metrics::counter!("vep_events_total", "outcome" => "sink_missing").increment(1);
        let mut reply = problem(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            missing.code(),
            missing.to_string(),
        );
        reply.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from_static("10"),
        );
        return reply;
    }
    let event = match to_event(req.headers(), body.to_vec()) {
        Ok(ev) => ev,
        Err(e) => {
            metrics::counter!("vep_events_total", "outcome" => "malformed").increment(1);
            return problem(
                actix_web::http::StatusCode::BAD_REQUEST,
                "malformed_event",
                format!("not a CloudEvent: {e}"),
            );
        }
    };
    tracing::debug!(id = event.id(), ty = event.ty(), "event received");
    let outcome = match events::decode_submitted(&event) {
        Ok(submitted) => {
            let Ok(_permit) = state.workers.acquire().await else {
                return problem(
                    actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                    "shutting_down",
                    "the function is shutting down".into(),
                );
            };
            let started = Instant::now();
            let n = submitted.variants.len();
            // Backend failures (engine defects, Ensembl down) come back as typed per-variant
            // errors, so the user hears about them and the other variants are kept.
            let mut annotated = service::process(&submitted, state.annotator.as_ref()).await;
            metrics::histogram!("vep_annotate_seconds").record(started.elapsed().as_secs_f64());
            metrics::counter!("vep_variants_total", "outcome" => "annotated")
                .increment((n - annotated.errors.len()) as u64);
            metrics::counter!("vep_variants_total", "outcome" => "error")
                .increment(annotated.errors.len() as u64);
            // Remote scoring waits on I/O, not CPU: it runs without the worker permit. It can
            // mark a score unavailable but never fails or drops an annotation.
            drop(_permit);
            let scoring_started = Instant::now();
            state.scoring.apply(&mut annotated).await;
            metrics::histogram!("vep_scoring_seconds")
                .record(scoring_started.elapsed().as_secs_f64());
            Outcome::Annotated(annotated)
        }
        // Another type must never produce an event: that could loop through the broker.
        Err(e @ events::EventError::WrongType(_)) => {
            metrics::counter!("vep_events_total", "outcome" => "rejected").increment(1);
            return problem(
                actix_web::http::StatusCode::BAD_REQUEST,
                e.code(),
                e.to_string(),
            );
        }
        Err(e) => match poison_chunk(&event) {
            // A poison event that still names its session: tell the user instead of letting
            // it vanish in a dead-letter sink.
            Some(chunk) => {
                // The message may quote the variants (patient data): debug only.
                match e.position() {
                    Some((line, column)) => {
                        tracing::warn!(code = e.code(), line, column, "submitted event rejected")
                    }
                    None => tracing::warn!(code = e.code(), "submitted event rejected"),
                }
                tracing::debug!(error = %e, "submitted event rejected detail");
                service::failed(chunk, e.code(), e.to_string(), false)
            }
            None => {
                metrics::counter!("vep_events_total", "outcome" => "rejected").increment(1);
                return problem(
                    actix_web::http::StatusCode::BAD_REQUEST,
                    e.code(),
                    e.to_string(),
                );
            }
        },
    };
    reply(&event, &outcome, &state).await
}

/// Routing facts of an event whose data did not decode, read leniently.
fn poison_chunk(event: &Event) -> Option<Chunk> {
    let (session_id, analysis_id) = events::routing_of(event)?;
    let data: Option<serde_json::Value> = match event.data() {
        Some(cloudevents::Data::Json(v)) => Some(v.clone()),
        Some(cloudevents::Data::Binary(b)) => serde_json::from_slice(b).ok(),
        Some(cloudevents::Data::String(s)) => serde_json::from_str(s).ok(),
        None => None,
    };
    let field = |name: &str| data.as_ref().and_then(|d| d.get(name)).cloned();
    let chunk_count = field("chunk_count")
        .and_then(|v| v.as_u64())
        .and_then(|v| u32::try_from(v).ok())
        .filter(|&c| c >= 1)
        .unwrap_or(1);
    let chunk_index = field("chunk_index")
        .and_then(|v| v.as_u64())
        .and_then(|v| u32::try_from(v).ok())
        .filter(|&i| i < chunk_count)
        .unwrap_or(0);
    let variant_count = field("variants")
        .and_then(|v| v.as_array().map(|a| a.len() as u64))
        .unwrap_or(0);
    Some(Chunk {
        analysis_id,
        session_id,
        chunk_index,
        chunk_count,
        variant_count,
    })
}

async fn reply(input: &Event, outcome: &Outcome, state: &State) -> HttpResponse {
    let result = match events::encode_result(input, outcome, &state.source, &state.overrides) {
        Ok(ev) => ev,
        Err(e) => {
            tracing::error!(error = %e, "result event could not be built");
            return problem(
                actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
                "encode_failed",
                e.to_string(),
            );
        }
    };
    let kind = match outcome {
        Outcome::Annotated(_) => "annotated",
        Outcome::Failed(_) => "failed",
    };
    match &state.sink {
        // A KafkaSource ignores replies: the result must be delivered to K_SINK before we ack.
        Some(sink) => match sink.send(&result).await {
            Ok(()) => {
                metrics::counter!("vep_events_total", "outcome" => kind).increment(1);
                HttpResponse::Accepted().finish()
            }
            Err(e) => {
                metrics::counter!("vep_sink_failures_total").increment(1);
                tracing::error!(error = %e, sink = %sink.url(), "result not delivered");
                let status = if e.is_refusal() {
                    actix_web::http::StatusCode::BAD_GATEWAY
                } else {
                    actix_web::http::StatusCode::SERVICE_UNAVAILABLE
                };
                problem(status, "sink_unavailable", e.to_string())
            }
        },
        None => {
            metrics::counter!("vep_events_total", "outcome" => kind).increment(1);
            HttpResponse::Ok().event(result).unwrap_or_else(|e| {
                problem(
                    actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "encode_failed",
                    e.to_string(),
                )
            })
        }
    }
}

async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "UP"}))
}

async fn ready(state: web::Data<State>) -> HttpResponse {
    if let Some(missing) = &state.missing_sink {
        return HttpResponse::ServiceUnavailable()
            .json(json!({"status": "DOWN", "reason": missing.code()}));
    }
    if state.ready.load(Ordering::Relaxed) {
        HttpResponse::Ok().json(json!({"status": "UP"}))
    } else {
        HttpResponse::ServiceUnavailable().json(json!({"status": "DOWN"}))
    }
}

async fn metrics(state: web::Data<State>) -> HttpResponse {
    match &state.metrics {
        Some(handle) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body(handle.render()),
        None => HttpResponse::NotFound().finish(),
    }
}
