//! The REST API for large inputs and scripts (API.md): `POST /api/analyses` takes a VCF
//! (plain or gzip) as the request body, streamed: it is parsed on a blocking thread while it
//! arrives and spooled to disk, then submitted chunk by chunk. `GET /api/analyses/{id}` is
//! its status, `GET /api/analyses/{id}/results?format=jsonl|tsv|vcf` its download, streamed
//! from the spool. Handlers stay thin: parsing, submission and exports live in `analysis`.
//!
//! Hostile clients are bounded here: an upload runs only with a slot of a small pool (503
//! with `Retry-After` when none is free) and its body has an idle timeout and a deadline, so
//! stalled uploads can neither exhaust the blocking threads nor starve status and
//! downloads; attaching to a session needs that session's secret, reading an analysis its
//! download token (`access`).

mod access;
mod body;
mod download;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::error_reply;
use crate::analysis::chunks::Chunker;
use crate::analysis::record::{AnalysisMeta, Frames};
use crate::analysis::spool::Spool;
use crate::analysis::spool::{valid_id, SpoolMeta};
use crate::analysis::upload::{self, ChannelReader, UploadError, UploadLimits};
use crate::broker::Publisher;
use crate::credential::Secret;
use crate::events::{variant_bytes, Submission};
use crate::pipeline::{submit, Ledger};
use crate::session::secret::{self as session_secret, SESSION_SECRET_HEADER};
use crate::telemetry::{self, redact};
pub use access::DOWNLOAD_TOKEN_HEADER;
pub use body::BodyTimeouts;

/// Body chunks buffered between the socket and the parser.
const UPLOAD_QUEUE: usize = 16;
/// Header naming the WebSocket session that should also receive the results.
pub const SESSION_HEADER: &str = "x-session-id";
/// What a refused-as-busy client is told to wait, in seconds.
const RETRY_AFTER_SECS: &str = "2";

/// REST uploads and downloads (`Config::uploads`).
#[derive(Debug, Clone)]
pub struct UploadSettings {
    /// Where REST analyses keep their input and results for download (one directory each,
    /// removed after the stream TTL).
    pub results_dir: std::path::PathBuf,
    /// Variants per event for uploads: a few hundred, so function instances share a large
    /// file and each event (and its annotated reply) stays small.
    pub chunk_size: usize,
    pub limits: UploadLimits,
    /// An upload body that sends nothing for `idle`, or is not whole after `deadline`, is
    /// cut with `upload_timeout`.
    pub timeouts: BodyTimeouts,
    /// Uploads and downloads in progress at once; beyond, 503 with `Retry-After`.
    pub max_concurrent_uploads: usize,
    pub max_concurrent_downloads: usize,
    /// Custom source columns of the VCF/TSV downloads (`VEP_CUSTOM`, as the function is
    /// configured); none by default.
    pub custom_columns: contract::output::csq::CustomColumns,
}

#[derive(Clone)]
pub struct ApiState {
    /// The store and where an upload's unsent chunks are recorded.
    pub ledger: Ledger,
    pub spool: Spool,
    pub publisher: Publisher,
    pub settings: Arc<UploadSettings>,
    /// Origins whose pages may POST uploads (`Config::public_origins`).
    pub public_origins: Vec<String>,
    pub ready: Arc<AtomicBool>,
    /// Slots of uploads and of downloads in progress.
    pub uploads: Arc<Semaphore>,
    pub downloads: Arc<Semaphore>,
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

fn upload_status(e: &UploadError) -> HttpResponseBuilder {
    match e {
        UploadError::TooLarge(_)
        | UploadError::TooManyVariants(_)
        | UploadError::HeaderTooManyLines(_)
        | UploadError::HeaderTooLarge(_) => HttpResponse::PayloadTooLarge(),
        UploadError::Stalled(_) | UploadError::TooSlow(_) => HttpResponse::RequestTimeout(),
        UploadError::Spool(_) => HttpResponse::InternalServerError(),
        _ => HttpResponse::BadRequest(),
    }
}

/// A refusal sent while (part of) the body may still be unread: the connection closes after
/// it, so the client cannot keep the socket by trickling the rest.
fn refuse(mut builder: HttpResponseBuilder, code: &str, message: &str) -> HttpResponse {
    builder.force_close();
    error_reply(builder, code, message)
}

/// A free slot of `pool`, held until the work ends; `None`: answer [`busy`].
fn slot(pool: &Arc<Semaphore>) -> Option<OwnedSemaphorePermit> {
    pool.clone().try_acquire_owned().ok()
}

/// The 503 that tells a client to come back when the pool of `what` is full.
fn busy(what: &'static str) -> HttpResponse {
    metrics::counter!(telemetry::BUSY_REJECTIONS, "pool" => what).increment(1);
    let mut reply = HttpResponse::ServiceUnavailable();
    reply.insert_header(("Retry-After", RETRY_AFTER_SECS));
    refuse(
        reply,
        "busy",
        &format!(
            "the gateway is serving its maximum of {what} at once; retry after {RETRY_AFTER_SECS} s"
        ),
    )
}

async fn create(
    req: HttpRequest,
    query: web::Query<CreateQuery>,
    payload: web::Payload,
    state: web::Data<ApiState>,
) -> HttpResponse {
    if !super::public::origin_allowed(&req, &state.public_origins) {
        return refuse(
            HttpResponse::Forbidden(),
            "origin_not_allowed",
            "this origin may not submit analyses",
        );
    }
    if !state.ready.load(Ordering::Relaxed) {
        return refuse(
            HttpResponse::ServiceUnavailable(),
            "shutting_down",
            "the gateway is shutting down",
        );
    }
    let query = query.into_inner();
    let query_frames = query.frames;
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let session = query.session.or_else(|| header(SESSION_HEADER));
    if let Some(s) = &session {
        if !valid_id(s) {
            return refuse(
                HttpResponse::BadRequest(),
                "invalid_session_id",
                "session must be a session_id from the WebSocket's session frame",
            );
        }
        // Whoever names a session must hold its secret, or it could push frames into
        // someone else's page.
        let presented = header(SESSION_SECRET_HEADER);
        if let Err(e) =
            session_secret::authorize(state.ledger.store().as_ref(), s, presented.as_deref()).await
        {
            metrics::counter!(telemetry::AUTH_FAILURES, "code" => e.code()).increment(1);
            let status = match e {
                session_secret::SessionAuthError::Missing => HttpResponse::Unauthorized(),
                session_secret::SessionAuthError::Invalid => HttpResponse::Forbidden(),
                session_secret::SessionAuthError::Store(_) => HttpResponse::ServiceUnavailable(),
            };
            return refuse(status, e.code(), &e.to_string());
        }
    }
    let request_id = query.request_id.unwrap_or_else(|| "upload".to_owned());
    if request_id.is_empty() || request_id.chars().count() > 128 {
        return refuse(
            HttpResponse::BadRequest(),
            "invalid_request_id",
            "request_id must be 1 to 128 characters",
        );
    }
    let Some(permit) = slot(&state.uploads) else {
        return busy("uploads");
    };
    let token = match Secret::generate() {
        Ok(t) => t,
        Err(e) => return internal(&e.to_string()),
    };
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

    let session_id = session
        .clone()
        .unwrap_or_else(|| format!("api-{analysis_id}"));
    let chunker = {
        let publisher = &state.publisher;
        let sub = Submission {
            source: &publisher.source,
            session_id: &session_id,
            analysis_id: &analysis_id,
            request_id: &request_id,
            traceparent: None,
        };
        Chunker::new(
            state.settings.chunk_size,
            variant_bytes(&sub, &publisher.signing, publisher.budget),
        )
    };
    let (tx, rx) = mpsc::channel(UPLOAD_QUEUE);
    let limits = state.settings.limits;
    let parser = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || {
            upload::parse(ChannelReader::new(rx), &dir, limits, chunker)
        })
    };
    let end = body::pump(payload, tx, limits.max_bytes, state.settings.timeouts).await;
    // The parser has its end of input now (the sender is gone); its thread ends with it.
    let parsed = parser.await;
    drop(permit);
    let parsed = match (end, parsed) {
        (body::BodyEnd::Refused(e), _) => Err(e),
        (body::BodyEnd::Broken(reason), _) => {
            spool.remove(&analysis_id);
            return refuse(
                HttpResponse::BadRequest(),
                "upload_interrupted",
                &format!("the upload did not arrive whole: {reason}"),
            );
        }
        (body::BodyEnd::Done, Ok(parsed)) => parsed,
        (body::BodyEnd::Done, Err(e)) => Err(UploadError::Spool(e.to_string())),
    };
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => {
            spool.remove(&analysis_id);
            // The message may quote the line's content (patient data): debug only.
            tracing::info!(code = e.code(), "upload refused");
            tracing::debug!(error = %e, "upload refused detail");
            return refuse(upload_status(&e), e.code(), &e.to_string());
        }
    };

    let chunk_count = parsed.chunks.count();
    let frames = match (&session, query_frames) {
        (None, _) => Frames::None,
        (Some(_), Some(FramesParam::Progress)) => Frames::Summary,
        (Some(_), _) => Frames::All,
    };
    let meta = AnalysisMeta {
        session_id,
        analysis_id: analysis_id.clone(),
        request_id: request_id.clone(),
        traceparent: None,
        variant_count: parsed.variants,
        chunks: parsed.chunks,
        frames,
    };
    let spool_meta = SpoolMeta {
        analysis_id: analysis_id.clone(),
        request_id: request_id.clone(),
        variant_count: parsed.variants,
        chunk_count,
        token_sha256: Some(token.hash().to_hex()),
        session_id: session.clone(),
        frames: frames.as_str().to_owned(),
    };
    if let Err(e) = spool.write_meta(&dir, &spool_meta) {
        spool.remove(&analysis_id);
        return internal(&format!("could not write the analysis spool: {e}"));
    }
    if let Err(e) = state.ledger.store().begin(&meta).await {
        spool.remove(&analysis_id);
        return error_reply(HttpResponse::ServiceUnavailable(), e.code(), &e.to_string());
    }
    tracing::info!(analysis = %redact(&analysis_id), variants = parsed.variants, chunk_count, session = session.is_some(), "upload accepted");
    actix_web::rt::spawn(submit::submit(
        state.publisher.clone(),
        state.ledger.clone(),
        meta,
        dir.join("records.vcf"),
    ));
    HttpResponse::Accepted().json(json!({
        "analysis_id": analysis_id,
        "request_id": request_id,
        "variant_count": parsed.variants,
        "chunk_count": chunk_count,
        "download_token": token.expose(),
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

/// `?token=`: a download token in the URL, for links (headers are preferred).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusQuery {
    token: Option<String>,
}

async fn status(
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<StatusQuery>,
    state: web::Data<ApiState>,
) -> HttpResponse {
    let Some(presented) = access::Presented::of(&req, query.into_inner().token) else {
        return access::required();
    };
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
    if let Err(refused) = presented
        .authorize(&meta, state.ledger.store().as_ref())
        .await
    {
        return refused;
    }
    let (state_name, annotated, failed) = match completed {
        Some(c) => ("complete", c.annotated, c.failed),
        None => match state.ledger.store().progress(&id).await {
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
