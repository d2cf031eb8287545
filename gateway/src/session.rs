//! One task per WebSocket: a `select!` over incoming frames, the session's bounded outbound
//! queue, pending broker submissions, a heartbeat tick and the shutdown signal.

mod submit;

use std::sync::Arc;
use std::time::Duration;

use actix_ws::{AggregatedMessage, CloseCode, CloseReason, Closed, ProtocolError};
use futures_util::stream::{FuturesOrdered, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::broker::Broker;
use crate::protocol::{self, ClientMessage, Limits, ServerMessage};
use crate::registry::{Outbound, Registry};
use submit::{Pending, SubmitOutcome};

/// How often the server pings; browsers answer pings automatically.
pub const HEARTBEAT: Duration = Duration::from_secs(20);
/// A peer silent for this long (no frame, no pong) is considered dead.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// What every session needs, cloned per connection.
#[derive(Clone)]
pub struct SessionContext {
    pub registry: Arc<Registry>,
    pub broker: Broker,
    pub limits: Limits,
    pub chunk_size: usize,
    pub ce_source: String,
    pub shutdown: watch::Receiver<bool>,
}

impl SessionContext {
    /// Frames above the protocol limit but below this still get a typed error and the
    /// connection stays open; beyond it the transport refuses them (close 1009).
    pub fn transport_limit(&self) -> usize {
        self.limits.max_frame_bytes.saturating_mul(4)
    }
}

/// A peer that does not take a frame within this time is treated as gone, so a stalled
/// reader cannot pin its session task (and its queue) forever.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// A WebSocket writer that speaks protocol v1.
struct Writer {
    ws: actix_ws::Session,
}

impl Writer {
    async fn send(&mut self, msg: &ServerMessage) -> Result<(), Closed> {
        tokio::time::timeout(SEND_TIMEOUT, self.ws.text(msg.to_json()))
            .await
            .unwrap_or(Err(Closed))
    }

    async fn pong(&mut self, bytes: &[u8]) -> Result<(), Closed> {
        tokio::time::timeout(SEND_TIMEOUT, self.ws.pong(bytes))
            .await
            .unwrap_or(Err(Closed))
    }

    async fn ping(&mut self) -> Result<(), Closed> {
        tokio::time::timeout(SEND_TIMEOUT, self.ws.ping(b""))
            .await
            .unwrap_or(Err(Closed))
    }

    async fn send_all(&mut self, msgs: &[ServerMessage]) -> Result<(), Closed> {
        for msg in msgs {
            self.send(msg).await?;
        }
        Ok(())
    }
}

pub async fn run(
    ctx: SessionContext,
    session_id: String,
    mut outbound: mpsc::Receiver<Outbound>,
    ws: actix_ws::Session,
    stream: actix_ws::MessageStream,
) {
    let limit = ctx.transport_limit();
    let mut stream = stream
        .max_frame_size(limit)
        .aggregate_continuations()
        .max_continuation_size(limit);
    let mut out = Writer { ws };
    let mut shutdown = ctx.shutdown.clone();
    let mut heartbeat = tokio::time::interval_at(Instant::now() + HEARTBEAT, HEARTBEAT);
    let mut last_seen = Instant::now();
    let mut pending: FuturesOrdered<Pending> = FuturesOrdered::new();

    let hello = ServerMessage::Session {
        session_id: session_id.clone(),
        protocol: protocol::PROTOCOL_VERSION,
        max_variants: ctx.limits.max_variants,
        max_frame_bytes: ctx.limits.max_frame_bytes,
    };
    // `Some(reason)` ends the session; the inner `None` closes without a reason (peer gone).
    let mut close = if out.send(&hello).await.is_err() {
        Some(None)
    } else {
        None
    };

    while close.is_none() {
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => {
                close = Some(Some(reason(CloseCode::Restart, "server restarting")));
            }
            _ = heartbeat.tick() => {
                if last_seen.elapsed() > CLIENT_TIMEOUT {
                    tracing::debug!(%session_id, "closing idle session");
                    close = Some(Some(reason(CloseCode::Away, "idle timeout")));
                } else if out.ping().await.is_err() {
                    close = Some(None);
                }
            }
            frame = stream.recv() => {
                last_seen = Instant::now();
                close = on_frame(&ctx, &session_id, frame, &mut out, &mut pending).await;
            }
            Some(outcome) = pending.next(), if !pending.is_empty() => {
                if on_submitted(&ctx, outcome, &mut out).await.is_err() {
                    close = Some(None);
                }
            }
            // Held back while a submission is pending, so `accepted` precedes its results.
            batch = outbound.recv(), if pending.is_empty() => {
                close = match batch {
                    Some(msgs) => out.send_all(&msgs).await.err().map(|_| None),
                    None => Some(None),
                };
            }
        }
    }
    ctx.registry.unregister_session(&session_id);
    tracing::info!(%session_id, "session closed");
    // The peer may already be gone; there is no one left to report a failed close to.
    let _ = tokio::time::timeout(SEND_TIMEOUT, out.ws.close(close.flatten())).await;
}

fn reason(code: CloseCode, description: &str) -> CloseReason {
    CloseReason {
        code,
        description: Some(description.to_owned()),
    }
}

/// Handles one incoming frame. `Some(reason)` ends the session.
async fn on_frame(
    ctx: &SessionContext,
    session_id: &str,
    frame: Option<Result<AggregatedMessage, ProtocolError>>,
    out: &mut Writer,
    pending: &mut FuturesOrdered<Pending>,
) -> Option<Option<CloseReason>> {
    let sent = match frame {
        None => return Some(None),
        Some(Err(ProtocolError::Overflow)) => {
            return Some(Some(reason(CloseCode::Size, "frame too large")));
        }
        Some(Err(e)) => {
            tracing::debug!(%session_id, error = %e, "websocket protocol error");
            return Some(Some(reason(CloseCode::Protocol, "protocol error")));
        }
        Some(Ok(AggregatedMessage::Close(r))) => return Some(r),
        Some(Ok(AggregatedMessage::Ping(bytes))) => out.pong(&bytes).await,
        Some(Ok(AggregatedMessage::Pong(_))) => Ok(()),
        Some(Ok(AggregatedMessage::Binary(_))) => {
            let e = protocol::DecodeError::BinaryFrame;
            out.send(&ServerMessage::request_error(None, e.code(), e.to_string()))
                .await
        }
        Some(Ok(AggregatedMessage::Text(text))) => {
            on_text(ctx, session_id, &text, out, pending).await
        }
    };
    sent.err().map(|_| None)
}

async fn on_text(
    ctx: &SessionContext,
    session_id: &str,
    text: &str,
    out: &mut Writer,
    pending: &mut FuturesOrdered<Pending>,
) -> Result<(), Closed> {
    match protocol::decode(text, ctx.limits) {
        Err((request_id, e)) => {
            tracing::debug!(%session_id, code = e.code(), "rejected client frame");
            out.send(&ServerMessage::request_error(
                request_id,
                e.code(),
                e.to_string(),
            ))
            .await
        }
        Ok(ClientMessage::Ping) => out.send(&ServerMessage::Pong).await,
        Ok(ClientMessage::Analyze {
            request_id,
            variants,
        }) => match submit::start(ctx, session_id, request_id.clone(), variants) {
            Ok(fut) => {
                pending.push_back(fut);
                Ok(())
            }
            Err(e) => {
                out.send(&ServerMessage::request_error(
                    Some(request_id),
                    e.code(),
                    e.to_string(),
                ))
                .await
            }
        },
    }
}

async fn on_submitted(
    ctx: &SessionContext,
    outcome: SubmitOutcome,
    out: &mut Writer,
) -> Result<(), Closed> {
    let msgs = submit::finish(&ctx.registry, outcome);
    out.send_all(&msgs).await
}
