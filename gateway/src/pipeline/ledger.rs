//! Where an analysis' outcomes are recorded: the store first (its bookkeeping decides
//! whether a record counts, once, whichever replica got it), then, for an accepted record
//! of a REST analysis, the spool its download is served from. The store knows nothing of
//! the spool, and the spool nothing of the store: this is the one place that joins them.

use crate::analysis::record::{Ingested, Record};
use crate::analysis::spool::Spool;
use crate::store::{SharedStore, StoreError};

#[derive(Clone)]
pub struct Ledger {
    store: SharedStore,
    spool: Option<Spool>,
}

impl Ledger {
    pub fn new(store: SharedStore) -> Self {
        Self { store, spool: None }
    }

    /// Records of analyses that have a spool directory are also written there (downloads).
    pub fn with_spool(mut self, spool: Spool) -> Self {
        self.spool = Some(spool);
        self
    }

    pub fn store(&self) -> &SharedStore {
        &self.store
    }

    pub fn spool(&self) -> Option<&Spool> {
        self.spool.as_ref()
    }

    /// [`crate::store::Store::ingest`], then the spool for what it accepted.
    pub async fn ingest(&self, record: &Record) -> Result<Ingested, StoreError> {
        let ingested = self.store.ingest(record).await?;
        if let (Some(spool), Ingested::Appended { .. }) = (&self.spool, &ingested) {
            // After the bookkeeping accepted it, so a redelivery is never spooled twice.
            spool.chunk(record, &ingested).await;
        }
        Ok(ingested)
    }
}

#[cfg(test)]
mod tests;
