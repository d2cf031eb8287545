//! The REST API for large inputs and scripts (API.md): `POST /api/analyses` takes a VCF
//! (plain or gzip) as the request body, streamed: it is parsed on a blocking thread while it
//! arrives and spooled to disk, then submitted chunk by chunk. `GET /api/analyses/{id}` is
//! its status, `GET /api/analyses/{id}/results?format=jsonl|tsv|vcf` its download, streamed
//! from the spool. Handlers stay thin: parsing, submission and exports live in `analysis`.

mod download;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;

use super::error_reply;
use crate::analysis::spool::{valid_id, SpoolMeta};
use crate::analysis::upload::{self, ChannelReader, UploadError, UploadLimits};
use crate::analysis::{spool::Spool, submit};
use crate::broker::Broker;
use crate::store::{AnalysisMeta, Frames, Store};

/// Body chunks buffered between the socket and the parser.
const UPLOAD_QUEUE: usize = 16;
/// Header naming the WebSocket session that should also receive the results.
pub const SESSION_HEADER: &str = "x-session-id";

#[derive(Clone)]
pub struct ApiState {
    pub store: Store,
    pub spool: Spool,
    pub broker: Broker,
    pub chunk_size: usize,
    pub ce_source: String,
    pub limits: UploadLimits,
    pub allowed_origins: Vec<String>,
    pub ready: Arc<AtomicBool>,
}

pub fn configure(state: ApiState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(state))
            .route("/api/analyses", web::post().to(create))
            .route("/api/analyses/{id}", web::get().to(status))
            .route(
                "/api/analyses/{id}/results",
                web::get().to(download::results),
            );
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateQuery {
    session: Option<String>,
    request_id: Option<String>,
    frames: Option<FramesParam>,
}

/// `frames=progress`: the session gets progress, chunk errors and complete, not results.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FramesParam {
    All,
    Progress,
}

fn upload_status(e: &UploadError) -> actix_web::HttpResponseBuilder {
    match e {
        UploadError::TooLarge(_) | UploadError::TooManyVariants(_) => {
            HttpResponse::PayloadTooLarge()
        }
        UploadError::Spool(_) => HttpResponse::InternalServerError(),
        _ => HttpResponse::BadRequest(),
    }
}

async fn create(
    req: HttpRequest,
    query: web::Query<CreateQuery>,
    mut payload: web::Payload,
    state: web::Data<ApiState>,
) -> HttpResponse {
    if !super::public::origin_allowed(&req, &state.allowed_origins) {
        return error_reply(
            HttpResponse::Forbidden(),
            "origin_not_allowed",
            "this origin may not submit analyses",
        );
    }
    if !state.ready.load(Ordering::Relaxed) {
        return error_reply(
            HttpResponse::ServiceUnavailable(),
            "shutting_down",
            "the gateway is shutting down",
        );
    }
    let query = query.into_inner();
    let query_frames = query.frames;
    let session = query.session.or_else(|| {
        req.headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    if let Some(s) = &session {
        if !valid_id(s) {
            return error_reply(
                HttpResponse::BadRequest(),
                "invalid_session_id",
                "session must be a session_id from the WebSocket's session frame",
            );
        }
    }
    let request_id = query.request_id.unwrap_or_else(|| "upload".to_owned());
    if request_id.is_empty() || request_id.chars().count() > 128 {
        return error_reply(
            HttpResponse::BadRequest(),
            "invalid_request_id",
            "request_id must be 1 to 128 characters",
        );
    }
    let analysis_id = uuid::Uuid::new_v4().to_string();
    let spool = state.spool.clone();
    let dir = {
        let (spool, id) = (spool.clone(), analysis_id.clone());
        match web::block(move || {
            spool.sweep();
            spool.create(&id)
        })
        .await
        {
            Ok(Ok(dir)) => dir,
            Ok(Err(e)) => return internal(&format!("could not create the analysis spool: {e}")),
            Err(e) => return internal(&e.to_string()),
        }
    };

    let (tx, rx) = mpsc::channel(UPLOAD_QUEUE);
    let limits = state.limits;
    let parser = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || upload::parse(ChannelReader::new(rx), &dir, limits))
    };
    let mut received = 0u64;
    let mut too_large = false;
    let mut broken = None;
    while let Some(chunk) = payload.next().await {
        match chunk {
            Ok(bytes) => {
                received += bytes.len() as u64;
                if received > limits.max_bytes {
                    too_large = true;
                    break;
                }
                // Err: the parser stopped early (an invalid line); its error is the answer.
                if tx.send(bytes).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                broken = Some(e.to_string());
                break;
            }
        }
    }
    drop(tx);
    let parsed = parser.await;
    let parsed = match (too_large, broken, parsed) {
        (true, _, _) => Err(UploadError::TooLarge(limits.max_bytes)),
        (_, Some(reason), _) => {
            spool.remove(&analysis_id);
            return error_reply(
                HttpResponse::BadRequest(),
                "upload_interrupted",
                &format!("the upload did not arrive whole: {reason}"),
            );
        }
        (_, _, Ok(parsed)) => parsed,
        (_, _, Err(e)) => Err(UploadError::Spool(e.to_string())),
    };
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => {
            spool.remove(&analysis_id);
            // The message may quote the line's content (patient data): debug only.
            tracing::info!(code = e.code(), "upload refused");
            tracing::debug!(error = %e, "upload refused detail");
            return error_reply(upload_status(&e), e.code(), &e.to_string());
        }
    };

    let chunk_size = state.chunk_size.max(1) as u64;
    let chunk_count = parsed.variants.div_ceil(chunk_size);
    let meta = AnalysisMeta {
        session_id: session
            .clone()
            .unwrap_or_else(|| format!("api-{analysis_id}")),
        analysis_id: analysis_id.clone(),
        request_id: request_id.clone(),
        chunk_count,
        traceparent: None,
        variant_count: parsed.variants,
        chunk_size,
        frames: match (&session, query_frames) {
            (None, _) => Frames::None,
            (Some(_), Some(FramesParam::Progress)) => Frames::Summary,
            (Some(_), _) => Frames::All,
        },
    };
    let spool_meta = SpoolMeta {
        analysis_id: analysis_id.clone(),
        request_id: request_id.clone(),
        variant_count: parsed.variants,
        chunk_count,
        chunk_size,
    };
    if let Err(e) = spool.write_meta(&dir, &spool_meta) {
        spool.remove(&analysis_id);
        return internal(&format!("could not write the analysis spool: {e}"));
    }
    if let Err(e) = state.store.begin(&meta).await {
        spool.remove(&analysis_id);
        return error_reply(HttpResponse::ServiceUnavailable(), e.code(), &e.to_string());
    }
    tracing::info!(%analysis_id, variants = parsed.variants, chunk_count, session = session.is_some(), "upload accepted");
    actix_web::rt::spawn(submit::submit(
        state.broker.clone(),
        state.store.clone(),
        state.ce_source.clone(),
        meta,
        dir.join("records.vcf"),
    ));
    HttpResponse::Accepted().json(json!({
        "analysis_id": analysis_id,
        "request_id": request_id,
        "variant_count": parsed.variants,
        "chunk_count": chunk_count,
        "status_url": format!("/api/analyses/{analysis_id}"),
        "results_url": format!("/api/analyses/{analysis_id}/results"),
    }))
}

/// How long a finished analysis may lack its `complete.json`: the store forgets an analysis
/// the moment its last chunk is counted, and the replica that counted it writes the file
/// just after (on a shared volume, possibly a little later).
const SETTLE: std::time::Duration = std::time::Duration::from_secs(3);

/// The final counts of an analysis the store no longer tracks, once its replica wrote them;
/// `None` after [`SETTLE`]: it expired instead.
pub(super) async fn settled(spool: &Spool, id: &str) -> Option<crate::analysis::spool::Completed> {
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let (spool, id2) = (spool.clone(), id.to_owned());
        if let Ok(Some(c)) = web::block(move || spool.completed(&id2)).await {
            return Some(c);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn internal(message: &str) -> HttpResponse {
    tracing::error!(message, "upload failed");
    error_reply(HttpResponse::InternalServerError(), "internal", message)
}

fn not_found() -> HttpResponse {
    error_reply(
        HttpResponse::NotFound(),
        "unknown_analysis",
        "no such analysis (never submitted here, or expired)",
    )
}

async fn status(id: web::Path<String>, state: web::Data<ApiState>) -> HttpResponse {
    let id = id.into_inner();
    let spool = state.spool.clone();
    let lookup = {
        let id = id.clone();
        web::block(move || (spool.meta(&id), spool.completed(&id))).await
    };
    let (meta, completed) = match lookup {
        Ok((Some(meta), completed)) => (meta, completed),
        Ok((None, _)) => return not_found(),
        Err(e) => return internal(&e.to_string()),
    };
    let (state_name, annotated, failed) = match completed {
        Some(c) => ("complete", c.annotated, c.failed),
        None => match state.store.progress(&id).await {
            Ok(Some((a, f))) => ("running", a, f),
            Ok(None) => match settled(&state.spool, &id).await {
                Some(c) => ("complete", c.annotated, c.failed),
                // Not complete and no longer tracked: its bookkeeping expired.
                None => ("expired", 0, 0),
            },
            Err(e) => {
                return error_reply(HttpResponse::ServiceUnavailable(), e.code(), &e.to_string())
            }
        },
    };
    HttpResponse::Ok().json(json!({
        "analysis_id": id,
        "request_id": meta.request_id,
        "state": state_name,
        "total": meta.variant_count,
        "done": annotated + failed,
        "annotated": annotated,
        "failed": failed,
        "chunk_count": meta.chunk_count,
    }))
}
