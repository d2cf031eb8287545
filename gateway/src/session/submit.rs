//! Turning an `analyze` request into broker submissions, and their outcome into replies.

use std::time::Instant;

use futures_util::future::{FutureExt, LocalBoxFuture};

use super::SessionContext;
use crate::analysis::chunks::{chunk, Chunker};
use crate::analysis::ranges::ChunkStarts;
use crate::analysis::record::{AnalysisMeta, Frames, Ingested};
use crate::broker::BrokerError;
use crate::events::{build_within, variant_bytes, Submission, SubmitError};
use crate::frames::unsent_chunk;
use crate::pipeline::Ledger;
use crate::protocol::ServerMessage;
use crate::store::StoreError;
use crate::telemetry::{self, redact};

pub type Pending = LocalBoxFuture<'static, SubmitOutcome>;

#[derive(Debug, thiserror::Error)]
pub enum SubmitFailure {
    #[error(transparent)]
    Broker(#[from] BrokerError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SubmitFailure {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Broker(e) => e.code(),
            Self::Store(e) => e.code(),
        }
    }

    fn may_have_been_delivered(&self) -> bool {
        matches!(self, Self::Broker(e) if e.may_have_been_delivered())
    }
}

#[derive(Debug)]
pub struct SubmitOutcome {
    pub meta: AnalysisMeta,
    pub variant_count: usize,
    /// Index of every chunk, in order.
    pub chunks: Vec<u64>,
    /// How many chunks the broker accepted before `failure` (all of them when `None`).
    pub sent: usize,
    pub failure: Option<SubmitFailure>,
}

/// Builds the events and returns the future that registers the analysis in the store (so an
/// early result finds it) and then sends them.
pub fn start(
    ctx: &SessionContext,
    session_id: &str,
    request_id: String,
    variants: Vec<String>,
    traceparent: Option<String>,
) -> Result<Pending, SubmitError> {
    let analysis_id = uuid::Uuid::new_v4().to_string();
    let variant_count = variants.len();
    let publisher = &ctx.publisher;
    let sub = Submission {
        source: &publisher.source,
        session_id,
        analysis_id: &analysis_id,
        request_id: &request_id,
        traceparent: traceparent.as_deref(),
    };
    let chunker = Chunker::new(
        ctx.settings.chunk_size,
        variant_bytes(&sub, &publisher.signing, publisher.budget),
    );
    let chunks = chunk(variants, chunker);
    let events = chunks
        .iter()
        .map(|c| build_within(&sub, c, &publisher.signing, publisher.budget))
        .collect::<Result<Vec<_>, _>>()?;
    let starts = chunks.iter().map(|c| c.first_index as u64).collect();
    let chunk_count = chunks.len() as u64;
    drop(chunks);
    let meta = AnalysisMeta {
        session_id: session_id.to_owned(),
        analysis_id,
        request_id,
        traceparent,
        variant_count: variant_count as u64,
        chunks: ChunkStarts::new(starts, variant_count as u64).ok_or(
            SubmitError::ChunkOutOfRange {
                index: 0,
                count: chunk_count as usize,
            },
        )?,
        frames: Frames::All,
    };
    tracing::info!(session = %redact(session_id), analysis = %redact(&meta.analysis_id), variant_count, chunk_count, "submitting analysis");

    let broker = publisher.broker.clone();
    let store = ctx.ledger.store().clone();
    Ok(async move {
        let mut outcome = SubmitOutcome {
            meta,
            variant_count,
            chunks: (0..chunk_count).collect(),
            sent: 0,
            failure: None,
        };
        if let Err(e) = store.begin(&outcome.meta).await {
            outcome.failure = Some(e.into());
            return outcome;
        }
        for event in &events {
            let started = Instant::now();
            let sent = broker.send(event).await;
            metrics::histogram!(telemetry::BROKER_SEND_SECONDS)
                .record(started.elapsed().as_secs_f64());
            match sent {
                Ok(()) => {
                    metrics::counter!(telemetry::EVENTS_SENT).increment(1);
                    outcome.sent += 1;
                }
                Err(e) => {
                    metrics::counter!(telemetry::BROKER_ERRORS, "code" => e.code()).increment(1);
                    outcome.failure = Some(e.into());
                    break;
                }
            }
        }
        outcome
    }
    .boxed_local())
}

/// What the session sends for a finished submission. Chunks that never reached the broker
/// are recorded as failed in the store, so the analysis still completes through the stream;
/// nothing is silently lost.
pub async fn finish(ledger: &Ledger, outcome: SubmitOutcome) -> Finished {
    let SubmitOutcome {
        meta,
        variant_count,
        chunks,
        sent,
        failure,
    } = outcome;
    let accepted = ServerMessage::Accepted {
        request_id: meta.request_id.clone(),
        analysis_id: meta.analysis_id.clone(),
        variant_count,
        chunk_count: chunks.len(),
    };
    let analysis_id = meta.analysis_id.clone();
    match failure {
        None => Finished::Accepted(vec![accepted]),
        // After a timeout or a connection lost mid-request the first chunk may have been
        // taken and its result may already be stored: refusing would show both. It goes the
        // partial way below instead.
        Some(e) if sent == 0 && !e.may_have_been_delivered() => {
            tracing::warn!(analysis = %redact(&analysis_id), code = e.code(), error = %e, "submission failed");
            if let Err(e) = ledger.store().abandon(&analysis_id).await {
                // It expires with its TTL; no result can arrive for it.
                tracing::warn!(analysis = %redact(&analysis_id), error = %e, "could not drop the failed analysis");
            }
            Finished::Refused(ServerMessage::request_error(
                Some(meta.request_id),
                e.code(),
                e.to_string(),
            ))
        }
        Some(e) => {
            tracing::warn!(analysis = %redact(&analysis_id), sent, code = e.code(), error = %e, "submission partly failed");
            let mut msgs = vec![accepted];
            for &index in chunks.get(sent..).unwrap_or_default() {
                let record = unsent_chunk(&meta, index, e.code(), &e.to_string());
                match ledger.ingest(&record).await {
                    // Nothing left of the chunk, or the analysis already complete: the
                    // chunk's own result arrived first (the broker took it despite the
                    // error), so it has its one outcome already.
                    Ok(Ingested::Appended { .. })
                    | Ok(Ingested::Duplicate)
                    | Ok(Ingested::UnknownAnalysis) => {}
                    other => {
                        // The store cannot carry it: tell the client directly, uncursored.
                        tracing::warn!(analysis = %redact(&analysis_id), ?other, "could not record an unsent chunk");
                        msgs.push(ServerMessage::Error {
                            request_id: Some(meta.request_id.clone()),
                            analysis_id: Some(analysis_id.clone()),
                            chunk_index: Some(index),
                            first_index: None,
                            variant_count: None,
                            code: e.code().to_owned(),
                            message: e.to_string(),
                        });
                    }
                }
            }
            Finished::Accepted(msgs)
        }
    }
}

#[derive(Debug)]
pub enum Finished {
    /// The analysis is in progress; its results come through the session's stream.
    Accepted(Vec<ServerMessage>),
    /// Nothing was submitted.
    Refused(ServerMessage),
}
