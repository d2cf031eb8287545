//! Submitting a spooled upload: `records.vcf` is read back one chunk at a time (a blocking
//! reader feeding a bounded channel; chunk boundaries as the upload's parser cut them, by
//! count and bytes) and each chunk is sent as one signed CloudEvent, a few in
//! flight so function instances work in parallel. Every chunk ends sent, or recorded in the
//! store as failed (with the broker's typed error), so the analysis always completes.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use futures_util::stream::{self, StreamExt};
use tokio::sync::mpsc;

use super::Ledger;
use crate::analysis::chunks::Chunk;
use crate::analysis::ranges::Span;
use crate::analysis::record::{AnalysisMeta, Ingested};
use crate::analysis::upload::variant_of;
use crate::broker::Publisher;
use crate::events::{build_within, Submission};
use crate::frames::unsent_chunk;
use crate::telemetry::{self, redact};

/// Chunks sent at once: enough to keep several function instances busy, few enough that a
/// slow broker does not pile up requests.
pub const IN_FLIGHT: usize = 4;

/// What the reader hands over: a chunk's variants, or why the file could not be read.
type Read = Result<Chunk, String>;

fn read_chunks(records: PathBuf, meta: AnalysisMeta, tx: mpsc::Sender<Read>) {
    let count = meta.chunk_count() as usize;
    let file = match File::open(&records) {
        Ok(f) => f,
        Err(e) => {
            let _ = tx.blocking_send(Err(e.to_string()));
            return;
        }
    };
    let mut lines = BufReader::new(file).lines();
    for index in 0..count {
        let span = meta.chunks.span(index as u64).unwrap_or(Span::new(0, 0));
        let size = span.count as usize;
        let mut variants = Vec::with_capacity(size);
        for line in lines.by_ref().take(size) {
            match line {
                Ok(l) => variants.push(variant_of(&l).to_owned()),
                Err(e) => {
                    let _ = tx.blocking_send(Err(e.to_string()));
                    return;
                }
            }
        }
        let chunk = Chunk {
            index,
            count,
            first_index: span.first as usize,
            variants,
        };
        // The receiver is gone only if the submitting task ended: nothing left to do.
        if tx.blocking_send(Ok(chunk)).is_err() {
            return;
        }
    }
}

/// Sends every chunk of a spooled analysis; returns how many the broker accepted.
pub async fn submit(
    publisher: Publisher,
    ledger: Ledger,
    meta: AnalysisMeta,
    records: PathBuf,
) -> usize {
    let (tx, rx) = mpsc::channel::<Read>(IN_FLIGHT);
    let reader = {
        let meta = meta.clone();
        tokio::task::spawn_blocking(move || read_chunks(records, meta, tx))
    };
    let chunks = stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    let outcomes: Vec<(u64, Option<(&'static str, String)>)> = chunks
        .map(|read| {
            let publisher = publisher.clone();
            let meta = meta.clone();
            async move {
                let chunk = match read {
                    Ok(c) => c,
                    Err(e) => return (u64::MAX, Some(("internal", e))),
                };
                let index = chunk.index as u64;
                let sub = Submission {
                    source: &publisher.source,
                    session_id: &meta.session_id,
                    analysis_id: &meta.analysis_id,
                    request_id: &meta.request_id,
                    traceparent: meta.traceparent.as_deref(),
                };
                let event = match build_within(&sub, &chunk, &publisher.signing, publisher.budget) {
                    Ok(e) => e,
                    Err(e) => return (index, Some(("internal", e.to_string()))),
                };
                match publisher.broker.send(&event).await {
                    Ok(()) => {
                        metrics::counter!(telemetry::EVENTS_SENT).increment(1);
                        (index, None)
                    }
                    Err(e) => {
                        metrics::counter!(telemetry::BROKER_ERRORS, "code" => e.code())
                            .increment(1);
                        (index, Some((e.code(), e.to_string())))
                    }
                }
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    if let Err(e) = reader.await {
        tracing::error!(analysis = %redact(&meta.analysis_id), error = %e, "chunk reader failed");
    }
    let mut sent = vec![false; meta.chunk_count() as usize];
    let mut failures = Vec::new();
    let mut read_error = None;
    for (index, failure) in outcomes {
        match failure {
            None => {
                if let Some(s) = sent.get_mut(index as usize) {
                    *s = true;
                }
            }
            Some(f) if index == u64::MAX => read_error = Some(f),
            Some(f) => failures.push((index, f)),
        }
    }
    // Chunks never read (the spool file broke) fail like unsent ones.
    let (code, message) = read_error.unwrap_or(("internal", "chunk never read".to_owned()));
    for (index, done) in sent.iter().enumerate() {
        let index = index as u64;
        if !done && !failures.iter().any(|(i, _)| *i == index) {
            failures.push((index, (code, message.clone())));
        }
    }
    let accepted = sent.iter().filter(|s| **s).count();
    for (index, (code, message)) in failures {
        tracing::warn!(analysis = %redact(&meta.analysis_id), chunk_index = index, code, "chunk not submitted");
        let record = unsent_chunk(&meta, index, code, &message);
        match ledger.ingest(&record).await {
            Ok(Ingested::Appended { .. } | Ingested::Duplicate) => {}
            // The deadline watcher fails it later if it stays missing.
            other => {
                tracing::warn!(analysis = %redact(&meta.analysis_id), ?other, "could not record an unsent chunk")
            }
        }
    }
    accepted
}
