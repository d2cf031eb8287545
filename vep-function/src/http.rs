//! The HTTP binding: CloudEvents receiver (`POST /`), health and metrics. Thin: it bounds and
//! authenticates the event, decodes it, hands the chunk to `service`, has `sink` deliver the
//! result, and maps each outcome once to a status code: 202 delivered, 400 not an event of
//! ours, 401/403 unsigned or forged, 413 over the byte budget, 422 a result the sink refused
//! for good, 503 retry later. Never 502: a refusal retried gives the same refusal.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use actix_web::{web, HttpRequest, HttpResponse};
use cloudevents::binding::actix::HttpResponseBuilderExt;
use cloudevents::binding::http_0_2::to_event;
use cloudevents::{AttributesReader, Event};
use contract::budget::Budget;
use contract::signing::Signing;
use contract::ErrorBody;
use futures_util::StreamExt;
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::json;
use tokio::sync::Semaphore;

use contract::delivery::Delivery;

use crate::events::{self, CeOverrides, Chunk, Emitter, Outcome};
use crate::service::{self, ChunkAnnotator};
use crate::sink::{self, MissingSink, Outgoing};

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
    /// Verifies submitted events and signs results (`EVENT_SIGNING_KEY_FILE`).
    pub signing: Signing,
    /// The most bytes an event may take, received or sent (`EVENT_MAX_BYTES`).
    pub budget: Budget,
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

/// `413 event_too_large`: an event over `EVENT_MAX_BYTES` is refused before it is read or
/// parsed (a 15 MB event must not cost the function 700 MB: issue #17.3). Final: the same
/// event is refused again, and nothing authenticates an unread event enough to answer its
/// session with a signed failure.
fn too_large(limit: usize) -> HttpResponse {
    metrics::counter!("vep_events_total", "outcome" => "too_large").increment(1);
    problem(
        actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
        "event_too_large",
        format!("the event is larger than EVENT_MAX_BYTES ({limit} bytes, headers included)"),
    )
}

/// The body, read only while it stays within `limit` bytes.
async fn read_bounded(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, HttpResponse> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let mut body = web::BytesMut::with_capacity(declared.map_or(8192, |n| n as usize));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            problem(
                actix_web::http::StatusCode::BAD_REQUEST,
                "malformed_event",
                format!("the body could not be read: {e}"),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

async fn receive(req: HttpRequest, payload: web::Payload, state: web::Data<State>) -> HttpResponse {
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
    let limit = state.budget.bytes();
    let body = match read_bounded(&req, payload, limit).await {
        Ok(body) => body,
        Err(reply) => return reply,
    };
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
    drop(body);
    if !state.budget.fits(&event) {
        return too_large(limit);
    }
    // Before anything is decoded: an unauthenticated event gets no answer but this one.
    if let Err(e) = state.signing.verify(&event) {
        metrics::counter!("vep_events_total", "outcome" => "unauthenticated").increment(1);
        tracing::warn!(code = e.code(), "submitted event refused: {e}");
        let status = actix_web::http::StatusCode::from_u16(e.status())
            .unwrap_or(actix_web::http::StatusCode::FORBIDDEN);
        return problem(status, e.code(), e.to_string());
    }
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
            drop(submitted);
            metrics::histogram!("vep_annotate_seconds").record(started.elapsed().as_secs_f64());
            let failed = service::failed_inputs(&annotated);
            metrics::counter!("vep_variants_total", "outcome" => "annotated")
                .increment(n as u64 - failed);
            metrics::counter!("vep_variants_total", "outcome" => "error").increment(failed);
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
    reply(&event, outcome, &state).await
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
        first_index: None,
        variant_count,
    })
}

fn encode_failed(e: &events::EncodeError) -> HttpResponse {
    tracing::error!(error = %e, "result event could not be built");
    problem(
        actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
        "encode_failed",
        e.to_string(),
    )
}

async fn reply(input: &Event, outcome: Outcome, state: &State) -> HttpResponse {
    let emitter = Emitter {
        input,
        source: &state.source,
        overrides: &state.overrides,
        signing: &state.signing,
    };
    let kind = match outcome {
        Outcome::Annotated(_) => "annotated",
        Outcome::Failed(_) => "failed",
    };
    let Some(sink) = &state.sink else {
        // The inline reply (local wiring, tests): one event, no Kafka hop to fit.
        let event = match &outcome {
            Outcome::Annotated(a) => emitter
                .annotated(a, None)
                .map(|(mut events, _)| events.remove(0).0),
            Outcome::Failed(f) => emitter.failed(f),
        };
        return match event {
            Ok(event) => {
                metrics::counter!("vep_events_total", "outcome" => kind).increment(1);
                HttpResponse::Ok()
                    .event(event)
                    .unwrap_or_else(|e| encode_failed(&events::EncodeError::Build(e.to_string())))
            }
            Err(e) => encode_failed(&e),
        };
    };
    // A KafkaSource ignores replies: the result must be delivered to K_SINK before we ack.
    let outgoing = match &outcome {
        Outcome::Annotated(a) => match emitter.annotated(a, Some(state.budget)) {
            Ok((events, too_large)) => {
                if !too_large.is_empty() {
                    tracing::warn!(
                        variants = too_large.len(),
                        "results over the event budget reported as result_too_large"
                    );
                }
                let parts = events.len();
                metrics::histogram!("vep_parts_per_chunk").record(parts as f64);
                events
                    .into_iter()
                    .map(|(event, first_index, variant_count)| Outgoing {
                        event,
                        part: Some(Chunk {
                            analysis_id: a.analysis_id.clone(),
                            session_id: a.session_id.clone(),
                            chunk_index: a.chunk_index,
                            chunk_count: a.chunk_count,
                            first_index: Some(first_index),
                            variant_count,
                        }),
                    })
                    .collect::<Vec<_>>()
            }
            Err(e) => return encode_failed(&e),
        },
        Outcome::Failed(f) => match emitter.failed(f) {
            Ok(event) => vec![Outgoing { event, part: None }],
            Err(e) => return encode_failed(&e),
        },
    };
    drop(outcome);
    match sink::deliver(sink, &emitter, outgoing).await {
        Ok(report) => {
            metrics::counter!("vep_events_total", "outcome" => kind).increment(1);
            for (status, _) in &report.replaced {
                metrics::counter!("vep_sink_refusals_total", "status" => status.to_string())
                    .increment(1);
            }
            match report.undeliverable {
                None => HttpResponse::Accepted().finish(),
                // Final: the sink refused the result and its failure; Knative sends the input
                // to the dead-letter sink instead of retrying it.
                Some((status, inputs)) => {
                    metrics::counter!("vep_sink_failures_total").increment(1);
                    tracing::error!(status, inputs, "results refused by the sink, not retried");
                    problem(
                        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                        "result_refused",
                        format!("the sink refused the result of {inputs} variants and their failure (HTTP {status})"),
                    )
                }
            }
        }
        Err(e) => {
            metrics::counter!("vep_sink_failures_total").increment(1);
            tracing::error!(error = %e, sink = %sink.url(), "result not delivered");
            let mut reply = problem(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "sink_unavailable",
                e.to_string(),
            );
            reply.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static("1"),
            );
            reply
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
