//! `GET /api/analyses/{id}/results?format=`: the export is written on a blocking thread into
//! a bounded channel that the response body drains, so a large download holds a few
//! buffers in memory, never the whole file. Downloads run on a bounded pool of those
//! threads (503 with `Retry-After` when it is full), so many slow readers can neither take
//! every blocking thread nor hold unbounded buffers.

use std::io::{self, Write};

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::stream;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::{access, busy, internal, not_found, settled, slot, ApiState};
use crate::analysis::export::{self, Format};
use crate::http::error_reply;
use crate::telemetry::redact;

/// Buffers in flight between the export thread and the socket.
const QUEUE: usize = 8;
const BUFFER: usize = 64 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultsQuery {
    format: Option<String>,
    /// The analysis' download token, for links (the `X-Download-Token` header is preferred).
    token: Option<String>,
}

/// Hands written bytes to the response body; fails once the client is gone.
struct ChannelWriter(mpsc::Sender<Result<web::Bytes, io::Error>>);

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .blocking_send(Ok(web::Bytes::copy_from_slice(buf)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "download abandoned"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub async fn results(
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<ResultsQuery>,
    state: web::Data<ApiState>,
) -> HttpResponse {
    let query = query.into_inner();
    let Some(presented) = access::Presented::of(&req, query.token) else {
        return access::required();
    };
    let id = id.into_inner();
    let format: Format = match query.format.as_deref().unwrap_or("jsonl").parse() {
        Ok(f) => f,
        Err(e) => return error_reply(HttpResponse::BadRequest(), "invalid_format", &e.to_string()),
    };
    let spool = state.spool.clone();
    let lookup = {
        let id = id.clone();
        web::block(move || (spool.dir(&id), spool.meta(&id), spool.completed(&id))).await
    };
    let (dir, meta, completed) = match lookup {
        Ok((Some(dir), Some(meta), completed)) => (dir, meta, completed),
        Ok(_) => return not_found(),
        Err(e) => return internal(&e.to_string()),
    };
    if let Err(refused) = presented
        .authorize(&meta, state.ledger.store().as_ref())
        .await
    {
        return refused;
    }
    if completed.is_none() {
        let running = !matches!(state.ledger.store().progress(&id).await, Ok(None));
        if running || settled(&state.spool, &id).await.is_none() {
            return error_reply(
                HttpResponse::Conflict(),
                "analysis_not_complete",
                "the analysis is not complete; poll its status until state is complete",
            );
        }
    }
    let Some(permit) = slot(&state.downloads) else {
        return busy("downloads");
    };
    let (tx, rx) = mpsc::channel(QUEUE);
    let columns = state.settings.custom_columns.clone();
    tokio::task::spawn_blocking(move || {
        // Held until the export ends (written whole, failed, or abandoned by the client).
        let _permit = permit;
        let errors = tx.clone();
        let mut out = io::BufWriter::with_capacity(BUFFER, ChannelWriter(tx));
        if let Err(e) = export::write(&dir, &meta, format, &columns, &mut out) {
            if e.kind() != io::ErrorKind::BrokenPipe {
                tracing::error!(analysis = %redact(&meta.analysis_id), error = %e, "export failed");
                // Ends the body with an error: the client sees a broken download, not a
                // short one that looks complete.
                let _ = errors.blocking_send(Err(e));
            }
        }
    });
    let body = stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) });
    HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{id}.{}\"", format.extension()),
        ))
        .streaming(body)
}
