//! An accepted inbound event as the bookkeeping counts it: the [`Record`] to ingest, with
//! the frame its session will read.

use super::inbound::{Inbound, InboundKind};
use crate::analysis::ranges::Covers;
use crate::analysis::record::{Record, Spooled};
use crate::frames;

/// Turns a validated inbound event into the record to append. A part's `result` frame is
/// written only when the part was decoded for it (its analysis shows results).
pub fn record_of(inbound: Inbound) -> Record {
    let dedup_key = format!("{}\u{1f}{}", inbound.source, inbound.id);
    let result = matches!(inbound.kind, InboundKind::Annotated(_));
    let (message, annotated, failed, spooled) = match inbound.kind {
        InboundKind::Annotated(a) => {
            let message = match a.decoded {
                Some((annotations, errors)) => frames::result(
                    &inbound.analysis_id,
                    inbound.chunk_index,
                    annotations,
                    errors,
                ),
                None => String::new(),
            };
            (message, a.annotated, a.failed, Spooled::Part(a.data))
        }
        InboundKind::Failed(f) => {
            let range = match inbound.covers {
                Covers::Range(span) => Some(span),
                _ => None,
            };
            let message = frames::chunk_error(
                &inbound.analysis_id,
                inbound.chunk_index,
                range,
                &f.code,
                &f.message,
            );
            let spooled = Spooled::Error {
                code: f.code,
                message: f.message,
            };
            (message, 0, f.variant_count, spooled)
        }
    };
    Record {
        dedup_key,
        session_id: inbound.session_id,
        analysis_id: inbound.analysis_id,
        chunk_index: inbound.chunk_index,
        chunk_count: inbound.chunk_count,
        covers: inbound.covers,
        annotated,
        failed,
        message,
        result,
        spooled,
    }
}
