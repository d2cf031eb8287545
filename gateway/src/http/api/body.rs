//! Pumping an upload's body from the socket to the parser thread, under a byte limit, an
//! idle timeout (no bytes for that long) and an overall deadline: a client that sends part
//! of a body and then nothing must not hold a parser thread and a pool slot for ever.

use std::time::Duration;

use actix_web::web;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::analysis::upload::UploadError;

#[derive(Debug, Clone, Copy)]
pub struct BodyTimeouts {
    pub idle: Duration,
    pub deadline: Duration,
}

/// How the body ended, as far as the socket side knows.
#[derive(Debug)]
pub enum BodyEnd {
    /// Read to its end, or the parser stopped taking it (its own error is the answer).
    Done,
    /// Refused by the pump itself; the parser's result does not count.
    Refused(UploadError),
    /// The connection broke mid-body.
    Broken(String),
}

/// Forwards `payload` into `tx` until it ends or a limit cuts it. Dropping `tx` afterwards
/// is the parser's end of input.
pub async fn pump(
    mut payload: web::Payload,
    tx: mpsc::Sender<web::Bytes>,
    max_bytes: u64,
    timeouts: BodyTimeouts,
) -> BodyEnd {
    let deadline = Instant::now() + timeouts.deadline;
    let mut received = 0u64;
    loop {
        let idle_until = Instant::now() + timeouts.idle;
        let next = tokio::time::timeout_at(idle_until.min(deadline), payload.next()).await;
        let chunk = match next {
            Err(_) if Instant::now() >= deadline => {
                return BodyEnd::Refused(UploadError::TooSlow(timeouts.deadline.as_secs()))
            }
            Err(_) => return BodyEnd::Refused(UploadError::Stalled(timeouts.idle.as_secs())),
            Ok(None) => return BodyEnd::Done,
            Ok(Some(Err(e))) => return BodyEnd::Broken(e.to_string()),
            Ok(Some(Ok(bytes))) => bytes,
        };
        received += chunk.len() as u64;
        if received > max_bytes {
            return BodyEnd::Refused(UploadError::TooLarge(max_bytes));
        }
        // Err: the parser stopped early (an invalid line); its error is the answer.
        if tx.send(chunk).await.is_err() {
            return BodyEnd::Done;
        }
    }
}
