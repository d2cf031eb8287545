//! Chunk deadlines: a chunk that neither returns nor fails (a function instance died with
//! it, a trigger gave up) must not keep its analysis open forever. Every replica runs this
//! watcher; the store's exactly-once bookkeeping decides which replica's timeout record
//! counts, so the client sees one `chunk_timeout` error per chunk, then `complete`.

use std::time::Duration;

use super::Ledger;
use crate::analysis::record::Ingested;
use crate::frames::timed_out_chunk;
use crate::store::StoreError;

/// Overdue analyses handled per round.
const BATCH: usize = 64;

/// How often to look: a fraction of the timeout, so a chunk fails at most ~25% late.
pub fn check_every(timeout: Duration) -> Duration {
    (timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(5))
}

/// Runs for the life of the process.
pub async fn watch(ledger: Ledger, timeout: Duration) {
    let every = check_every(timeout);
    // Nothing can be overdue at start-up before one period has passed.
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = expire(&ledger, timeout).await {
            // Retried on the next tick: the deadlines stay in the store.
            tracing::warn!(error = %e, "could not check chunk deadlines");
        }
    }
}

/// Fails the missing chunks of every overdue analysis; returns how many this call recorded
/// (another replica may have recorded some of them first).
pub async fn expire(ledger: &Ledger, timeout: Duration) -> Result<usize, StoreError> {
    let mut recorded = 0;
    for overdue in ledger.store().overdue(BATCH).await? {
        for index in overdue.missing {
            let record = timed_out_chunk(&overdue.meta, index, timeout);
            match ledger.ingest(&record).await? {
                Ingested::Appended { .. } => {
                    recorded += 1;
                    tracing::warn!(
                        analysis = %crate::telemetry::redact(&overdue.meta.analysis_id),
                        chunk_index = index,
                        "chunk timed out"
                    );
                }
                // Another replica (or the chunk's own late result) got there first.
                Ingested::Duplicate | Ingested::UnknownAnalysis => {}
                Ingested::Rejected(e) => {
                    tracing::debug!(analysis_id = %overdue.meta.analysis_id, error = %e, "timeout record not needed");
                }
            }
        }
    }
    Ok(recorded)
}

#[cfg(test)]
mod tests;
