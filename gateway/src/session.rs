//! One task per WebSocket: a `select!` over incoming frames, wake-ups for new entries in the
//! session's stream, pending broker submissions, a heartbeat tick and the shutdown signal.
//!
//! Results are not pushed into the task: they wait in the session's stream in the store and
//! the task reads them after its cursor, at the pace the client takes them. Memory per
//! session stays flat; a client too far behind loses the oldest entries and is told so.

mod rate;
mod submit;
mod writer;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_ws::{AggregatedMessage, CloseCode, CloseReason, ProtocolError};
use futures_util::stream::{FuturesOrdered, StreamExt};
use serde_json::Value;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::broker::Broker;
use crate::protocol::{self, ClientMessage, Limits, ServerMessage};
use crate::registry::{Registration, Registry};
use crate::store::{Read, Store, START};
use crate::telemetry;
use rate::RateLimit;
use submit::{Finished, Pending, SubmitOutcome};
use writer::{SendError, Writer};

/// How often the server pings; browsers answer pings automatically.
pub const HEARTBEAT: Duration = Duration::from_secs(20);
/// A peer silent for this long (no frame, no pong) is considered dead.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);
/// Re-reads the stream even without a wake-up: notifications are best effort (a Redis
/// restart drops them), the stream is not.
pub const POLL_EVERY: Duration = Duration::from_secs(2);
/// Analyses one connection may have in progress.
pub const MAX_ANALYSES_PER_SESSION: usize = 16;
/// Close code (application range) for a client that cannot keep up.
pub const CLOSE_SLOW_CONSUMER: u16 = 4008;
/// Close code for a socket whose session was resumed by another connection.
pub const CLOSE_RESUMED_ELSEWHERE: u16 = 4009;

/// Per-session limits beyond the frame-level ones.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub max_inflight_variants: usize,
    pub rate_per_minute: u32,
    pub rate_burst: u32,
    pub send_timeout: Duration,
    /// Entries read from the stream per round trip.
    pub read_batch: usize,
}

/// What every session needs, cloned per connection.
#[derive(Clone)]
pub struct SessionContext {
    pub registry: Arc<Registry>,
    pub store: Store,
    pub broker: Broker,
    pub limits: Limits,
    pub session_limits: SessionLimits,
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

/// `Some(reason)` ends the session; the inner `None` closes without a reason (peer gone).
type Close = Option<Option<CloseReason>>;

/// The connection's view of its session.
struct Conn {
    session_id: String,
    reg: Registration,
    /// Cursor of the last stream entry sent to this socket.
    cursor: String,
    /// Variants of the analyses this connection started and has not seen complete.
    inflight: HashMap<String, usize>,
    /// Numbers the placeholders of submissions still pending (keys sort in order).
    pending_seq: u64,
    rate: RateLimit,
}

const PENDING_PREFIX: &str = "pending-";

fn reason(code: CloseCode, description: &str) -> CloseReason {
    CloseReason {
        code,
        description: Some(description.to_owned()),
    }
}

fn closed(code: &'static str) {
    metrics::counter!(telemetry::SESSIONS_CLOSED, "reason" => code).increment(1);
}

/// A failed write ends the session: a slow reader with a named reason, a gone one without.
fn on_send_error(e: SendError) -> Close {
    match e {
        SendError::Closed => Some(None),
        SendError::TooSlow => {
            closed("slow_consumer");
            Some(Some(reason(
                CloseCode::Other(CLOSE_SLOW_CONSUMER),
                "slow consumer: frames not read in time",
            )))
        }
    }
}

pub async fn run(
    ctx: SessionContext,
    session_id: String,
    reg: Registration,
    ws: actix_ws::Session,
    stream: actix_ws::MessageStream,
) {
    let limit = ctx.transport_limit();
    let mut stream = stream
        .max_frame_size(limit)
        .aggregate_continuations()
        .max_continuation_size(limit);
    let mut out = Writer {
        ws,
        timeout: ctx.session_limits.send_timeout,
    };
    let mut shutdown = ctx.shutdown.clone();
    let mut heartbeat = tokio::time::interval_at(Instant::now() + HEARTBEAT, HEARTBEAT);
    let mut poll = tokio::time::interval_at(Instant::now() + POLL_EVERY, POLL_EVERY);
    let mut last_seen = Instant::now();
    let mut pending: FuturesOrdered<Pending> = FuturesOrdered::new();
    let mut conn = Conn {
        session_id,
        reg,
        cursor: START.to_owned(),
        inflight: HashMap::new(),
        pending_seq: 0,
        rate: RateLimit::new(
            ctx.session_limits.rate_per_minute,
            ctx.session_limits.rate_burst,
        ),
    };
    metrics::gauge!(telemetry::SESSIONS).increment(1.0);
    metrics::counter!(telemetry::SESSIONS_OPENED).increment(1);

    let hello = ServerMessage::Session {
        session_id: conn.session_id.clone(),
        protocol: protocol::PROTOCOL_VERSION,
        max_variants: ctx.limits.max_variants,
        max_frame_bytes: ctx.limits.max_frame_bytes,
    };
    let mut close: Close = out.send(&hello).await.err().and_then(on_send_error);

    while close.is_none() {
        let signals = conn.reg.signals.clone();
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => {
                // Whatever is not yet sent stays in the stream for the resume.
                closed("restart");
                close = Some(Some(reason(CloseCode::Restart, "server restarting")));
            }
            _ = signals.evict.notified() => {
                closed("resumed_elsewhere");
                close = Some(Some(reason(
                    CloseCode::Other(CLOSE_RESUMED_ELSEWHERE),
                    "session resumed by another connection",
                )));
            }
            _ = heartbeat.tick() => {
                if last_seen.elapsed() > CLIENT_TIMEOUT {
                    tracing::debug!(session_id = %conn.session_id, "closing idle session");
                    closed("idle");
                    close = Some(Some(reason(CloseCode::Away, "idle timeout")));
                } else if let Err(e) = out.ping().await {
                    close = on_send_error(e);
                }
            }
            frame = stream.recv() => {
                last_seen = Instant::now();
                close = on_frame(&ctx, &mut conn, frame, &mut out, &mut pending).await;
            }
            Some(outcome) = pending.next(), if !pending.is_empty() => {
                close = on_submitted(&ctx, &mut conn, outcome, &mut out).await;
            }
            // Held back while a submission is pending, so `accepted` precedes its results.
            _ = signals.wake.notified(), if pending.is_empty() => {
                close = drain(&ctx, &mut conn, &mut out).await;
            }
            _ = poll.tick(), if pending.is_empty() => {
                close = drain(&ctx, &mut conn, &mut out).await;
            }
        }
    }
    ctx.registry
        .unregister(&conn.session_id, &conn.reg.connection);
    metrics::gauge!(telemetry::SESSIONS).decrement(1.0);
    tracing::info!(session_id = %conn.session_id, "session closed");
    // The peer may already be gone; there is no one left to report a failed close to.
    let _ = tokio::time::timeout(
        ctx.session_limits.send_timeout,
        out.ws.close(close.flatten()),
    )
    .await;
}

/// Sends every stream entry after the connection's cursor.
async fn drain(ctx: &SessionContext, conn: &mut Conn, out: &mut Writer) -> Close {
    let batch = ctx.session_limits.read_batch.max(1);
    loop {
        let entries = match ctx.store.read(&conn.session_id, &conn.cursor, batch).await {
            Ok(Read::Entries(entries)) => entries,
            Ok(Read::Gap) => {
                closed("results_dropped");
                let msg = ServerMessage::request_error(
                    None,
                    "results_dropped",
                    "results after your last cursor were dropped (client too slow or session expired); start a new session and resubmit".to_owned(),
                );
                if let Err(e) = out.send(&msg).await {
                    return on_send_error(e);
                }
                return Some(Some(reason(
                    CloseCode::Other(CLOSE_SLOW_CONSUMER),
                    "results dropped: client too slow",
                )));
            }
            Err(e) => {
                // Retried on the next wake-up or poll; the entries are not lost.
                metrics::counter!(telemetry::STORE_ERRORS, "op" => "read").increment(1);
                tracing::warn!(session_id = %conn.session_id, error = %e, "could not read the session's results");
                return None;
            }
        };
        let n = entries.len();
        metrics::histogram!(telemetry::QUEUE_DEPTH).record(n as f64);
        for entry in entries {
            if entry.message.get("type").and_then(Value::as_str) == Some("complete") {
                if let Some(a) = entry.message.get("analysis_id").and_then(Value::as_str) {
                    conn.inflight.remove(a);
                }
            }
            if let Err(e) = out.send_value(&entry.message).await {
                return on_send_error(e);
            }
            conn.cursor = entry.cursor;
        }
        if n < batch {
            return None;
        }
    }
}

/// Handles one incoming frame.
async fn on_frame(
    ctx: &SessionContext,
    conn: &mut Conn,
    frame: Option<Result<AggregatedMessage, ProtocolError>>,
    out: &mut Writer,
    pending: &mut FuturesOrdered<Pending>,
) -> Close {
    let sent = match frame {
        None => return Some(None),
        Some(Err(ProtocolError::Overflow)) => {
            closed("frame_too_large");
            return Some(Some(reason(CloseCode::Size, "frame too large")));
        }
        Some(Err(e)) => {
            tracing::debug!(session_id = %conn.session_id, error = %e, "websocket protocol error");
            return Some(Some(reason(CloseCode::Protocol, "protocol error")));
        }
        Some(Ok(AggregatedMessage::Close(r))) => return Some(r),
        Some(Ok(AggregatedMessage::Ping(bytes))) => out.pong(&bytes).await,
        Some(Ok(AggregatedMessage::Pong(_))) => Ok(()),
        Some(Ok(AggregatedMessage::Binary(_))) => {
            metrics::counter!(telemetry::MESSAGES_IN, "type" => "binary").increment(1);
            let e = protocol::DecodeError::BinaryFrame;
            out.send(&ServerMessage::request_error(None, e.code(), e.to_string()))
                .await
        }
        Some(Ok(AggregatedMessage::Text(text))) => {
            return on_text(ctx, conn, &text, out, pending).await;
        }
    };
    sent.err().and_then(on_send_error)
}

fn refuse(request_id: Option<String>, code: &'static str, message: String) -> ServerMessage {
    metrics::counter!(telemetry::LIMIT_REJECTIONS, "code" => code).increment(1);
    ServerMessage::request_error(request_id, code, message)
}

async fn on_text(
    ctx: &SessionContext,
    conn: &mut Conn,
    text: &str,
    out: &mut Writer,
    pending: &mut FuturesOrdered<Pending>,
) -> Close {
    let reply = match protocol::decode(text, ctx.limits) {
        Err((request_id, e)) => {
            metrics::counter!(telemetry::MESSAGES_IN, "type" => "invalid").increment(1);
            tracing::debug!(session_id = %conn.session_id, code = e.code(), "rejected client frame");
            if matches!(e, protocol::DecodeError::FrameTooLarge { .. }) {
                metrics::counter!(telemetry::LIMIT_REJECTIONS, "code" => e.code()).increment(1);
            }
            ServerMessage::request_error(request_id, e.code(), e.to_string())
        }
        Ok(ClientMessage::Ping) => {
            metrics::counter!(telemetry::MESSAGES_IN, "type" => "ping").increment(1);
            ServerMessage::Pong
        }
        Ok(ClientMessage::Resume {
            session_id,
            last_seen,
        }) => {
            metrics::counter!(telemetry::MESSAGES_IN, "type" => "resume").increment(1);
            if !conn.inflight.is_empty() || !pending.is_empty() {
                ServerMessage::request_error(
                    None,
                    "resume_not_allowed",
                    "resume must come before this connection submits anything".to_owned(),
                )
            } else {
                return resume(ctx, conn, session_id, last_seen, out).await;
            }
        }
        Ok(ClientMessage::Analyze {
            request_id,
            variants,
            traceparent,
        }) => {
            metrics::counter!(telemetry::MESSAGES_IN, "type" => "analyze").increment(1);
            match admit(ctx, conn, &request_id, variants.len()) {
                Err(refusal) => refusal,
                Ok(()) => {
                    let count = variants.len();
                    match submit::start(
                        ctx,
                        &conn.session_id,
                        request_id.clone(),
                        variants,
                        traceparent,
                    ) {
                        Ok(fut) => {
                            pending.push_back(fut);
                            // Counted now so requests sent back to back respect the limits.
                            conn.pending_seq += 1;
                            let key = format!("{PENDING_PREFIX}{:020}", conn.pending_seq);
                            conn.inflight.insert(key, count);
                            return None;
                        }
                        Err(e) => ServerMessage::request_error(
                            Some(request_id),
                            "internal",
                            e.to_string(),
                        ),
                    }
                }
            }
        }
    };
    out.send(&reply).await.err().and_then(on_send_error)
}

/// Applies the per-session limits to an `analyze` request.
fn admit(
    ctx: &SessionContext,
    conn: &mut Conn,
    request_id: &str,
    count: usize,
) -> Result<(), ServerMessage> {
    let id = || Some(request_id.to_owned());
    if let Err(wait) = conn.rate.take(std::time::Instant::now()) {
        return Err(refuse(
            id(),
            "rate_limited",
            format!(
                "at most {} requests per minute; retry in {} ms",
                ctx.session_limits.rate_per_minute,
                wait.as_millis()
            ),
        ));
    }
    if conn.inflight.len() >= MAX_ANALYSES_PER_SESSION {
        return Err(refuse(
            id(),
            "too_many_analyses",
            format!("at most {MAX_ANALYSES_PER_SESSION} analyses may be in progress per session"),
        ));
    }
    let inflight: usize = conn.inflight.values().sum();
    let max = ctx.session_limits.max_inflight_variants;
    if inflight + count > max {
        return Err(refuse(
            id(),
            "too_many_variants_in_flight",
            format!(
                "{inflight} variants are in progress; {count} more would exceed {max} per session"
            ),
        ));
    }
    Ok(())
}

async fn resume(
    ctx: &SessionContext,
    conn: &mut Conn,
    session_id: String,
    last_seen: Option<String>,
    out: &mut Writer,
) -> Close {
    let signals = ctx
        .registry
        .rebind(&conn.session_id, &session_id, &conn.reg.connection);
    if let Err(e) = ctx.store.evict(&session_id, &conn.reg.connection).await {
        tracing::warn!(error = %e, "could not tell other replicas about the resume");
    }
    metrics::counter!(telemetry::SESSIONS_RESUMED).increment(1);
    tracing::info!(from = %conn.session_id, to = %session_id, "session resumed");
    conn.session_id = session_id.clone();
    conn.reg.signals = signals;
    conn.cursor = last_seen.unwrap_or_else(|| START.to_owned());
    if let Err(e) = out.send(&ServerMessage::Resumed { session_id }).await {
        return on_send_error(e);
    }
    drain(ctx, conn, out).await
}

async fn on_submitted(
    ctx: &SessionContext,
    conn: &mut Conn,
    outcome: SubmitOutcome,
    out: &mut Writer,
) -> Close {
    // The oldest pending placeholder belongs to this (the oldest) submission.
    let placeholder = conn
        .inflight
        .keys()
        .filter(|k| k.starts_with(PENDING_PREFIX))
        .min()
        .cloned();
    let count = placeholder
        .and_then(|k| conn.inflight.remove(&k))
        .unwrap_or(outcome.variant_count);
    let analysis_id = outcome.meta.analysis_id.clone();
    let msgs = match submit::finish(&ctx.store, outcome).await {
        Finished::Accepted(msgs) => {
            conn.inflight.insert(analysis_id, count);
            msgs
        }
        Finished::Refused(msg) => vec![msg],
    };
    if let Err(e) = out.send_all(&msgs).await {
        return on_send_error(e);
    }
    // Results that arrived while the submission was pending were held back.
    drain(ctx, conn, out).await
}
