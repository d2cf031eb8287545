//! Analyses as a whole, beyond one socket and below every store: how an analysis is cut into
//! chunks, the exactly-once bookkeeping of their input ranges and counts, its records, the
//! VCF uploads it may come from (REST), the per-analysis spool that downloads are served
//! from, and the exports. Nothing here knows a store, an event or a socket.

pub mod chunks;
pub mod export;
pub mod ranges;
pub mod record;
#[cfg(test)]
pub mod scratch;
pub mod spool;
pub mod upload;
