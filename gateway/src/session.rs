//! One task per WebSocket: a `select!` over incoming frames, the session's signal (new
//! entries in its stream, eviction, or the server's shutdown), pending broker submissions
//! and one timer (stream poll and heartbeat).
//!
//! Results are not pushed into the task: they wait in the session's stream in the store and
//! the task reads them after its cursor, at the pace the client takes them. Memory per
//! session stays flat; a client too far behind loses the oldest entries and is told so.
//!
//! Idle sessions dominate the gateway's memory, so the task that waits is kept small: what
//! happens after a wake-up runs in a boxed future (store and broker calls have large states,
//! needed only while they run), and analysis bookkeeping exists only while there is some.

mod rate;
pub mod secret;
mod submit;
mod work;
mod writer;

use std::borrow::Cow;
use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use actix_ws::{AggregatedMessage, CloseCode, CloseReason, ProtocolError};
use serde_json::Value;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::broker::Publisher;
use crate::credential::Secret;
use crate::pipeline::Ledger;
use crate::protocol::{self, ClientMessage, ServerMessage};
use crate::registry::{Registration, Registry};
use crate::store::{Read, START};
use crate::telemetry::{self, redact};
use rate::{Rate, RateLimit};
use submit::{Finished, SubmitOutcome};
use work::Work;
use writer::{SendError, Writer};

/// How often the server pings; browsers answer pings automatically.
pub const HEARTBEAT: Duration = Duration::from_secs(20);
/// A peer silent for this long (no frame, no pong) is considered dead.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);
/// Re-reads the stream even without a wake-up: notifications are best effort (a Redis
/// restart drops them), the stream is not.
pub const POLL_EVERY: Duration = Duration::from_secs(2);
/// The heartbeat rides on the poll timer: every this many ticks.
const HEARTBEAT_TICKS: u32 = (HEARTBEAT.as_secs() / POLL_EVERY.as_secs()) as u32;
/// Analyses one connection may have in progress.
pub const MAX_ANALYSES_PER_SESSION: usize = 16;
/// Close code (application range) for a client that cannot keep up.
pub const CLOSE_SLOW_CONSUMER: u16 = 4008;
/// Close code for a socket whose session was resumed by another connection.
pub const CLOSE_RESUMED_ELSEWHERE: u16 = 4009;
/// The store could not keep the new session's secret: try again later (1013).
const CLOSE_TRY_AGAIN: u16 = 1013;

/// What every session is configured with (`Config::sessions`), shared by all of them.
#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// Sockets this replica holds at once (`MAX_SESSIONS`).
    pub max_sessions: usize,
    /// Frame-level limits of the protocol.
    pub frames: protocol::Limits,
    pub limits: SessionLimits,
    /// Variants per submitted event at most (events are cut by bytes too).
    pub chunk_size: usize,
    /// Named in every `session` frame (from `REFERENCE_*`).
    pub reference: Option<protocol::Reference>,
}

/// Per-session limits beyond the frame-level ones.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub max_inflight_variants: usize,
    pub rate_per_minute: u32,
    pub rate_burst: u32,
    pub send_timeout: Duration,
    /// Entries read from the store per round trip (`STORE_READ_BATCH`).
    pub read_batch: usize,
    /// How often a connected session restarts the TTL of its secret in the store (half
    /// that TTL), so it can still be resumed after a long connection.
    pub secret_refresh: Duration,
}

impl SessionLimits {
    fn rate(&self) -> Rate {
        Rate {
            per_minute: self.rate_per_minute,
            burst: self.rate_burst,
        }
    }

    /// Heartbeats between two refreshes of the session's secret.
    fn refresh_beats(&self) -> u16 {
        let beats = self.secret_refresh.as_secs() / HEARTBEAT.as_secs();
        u16::try_from(beats.max(1)).unwrap_or(u16::MAX)
    }
}

/// What every session needs, shared by all of them.
#[derive(Clone)]
pub struct SessionContext {
    pub registry: Arc<Registry>,
    /// The store (streams, secrets) and where finished submissions are recorded.
    pub ledger: Ledger,
    pub publisher: Publisher,
    pub settings: Arc<SessionSettings>,
    pub shutdown: watch::Receiver<bool>,
}

impl SessionContext {
    /// Frames above the protocol limit but below this still get a typed error and the
    /// connection stays open; beyond it the transport refuses them (close 1009).
    pub fn transport_limit(&self) -> usize {
        self.settings.frames.max_frame_bytes.saturating_mul(4)
    }
}

/// `Some(reason)` ends the session; the inner `None` closes without a reason (peer gone).
type Close = Option<Option<CloseReason>>;

/// The connection's view of its session.
struct Conn {
    session_id: String,
    reg: Registration,
    /// Cursor of the last stream entry sent to this socket (borrowed [`START`] until the
    /// first entry: no allocation for a session that never got one).
    cursor: Cow<'static, str>,
    work: Work,
    rate: RateLimit,
    /// Last frame from the peer (any frame, pongs included).
    last_seen: Instant,
    /// Timer ticks since the last heartbeat.
    ticks: u8,
    /// Heartbeats since the session's secret was last refreshed in the store.
    beats: u16,
    /// Still in the session issued to this connection (not one it resumed).
    own_session: bool,
}

/// What woke the session task.
enum Event {
    /// New stream entries, an eviction or the server's shutdown:
    /// [`crate::registry::Signals`] tells which.
    Signal,
    Tick,
    Frame(Option<Result<AggregatedMessage, ProtocolError>>),
    /// Boxed: an event passes through the task's own state, which every idle session pays
    /// for at the size of the largest event.
    Submitted(Box<SubmitOutcome>),
}

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

/// Runs one WebSocket session. `ctx` is shared by every session (a reference-counted
/// handle, not a copy: its strings would otherwise be cloned per connection).
///
/// A plain function returning the task: an `async fn` would keep its arguments in the
/// task next to the state built from them, for as long as the session lives.
///
/// `secret` is the session's resume secret: its hash goes to the store and the secret itself
/// to the client in the `session` frame; the task does not keep it.
pub fn run<C>(
    ctx: C,
    session_id: String,
    secret: Secret,
    reg: Registration,
    ws: actix_ws::Session,
    stream: actix_ws::MessageStream,
) -> impl Future<Output = ()>
where
    C: Deref<Target = SessionContext>,
{
    let limit = ctx.transport_limit();
    let mut stream = stream
        .max_frame_size(limit)
        .aggregate_continuations()
        .max_continuation_size(limit);
    let mut out = Writer {
        ws,
        timeout: ctx.settings.limits.send_timeout,
    };
    let now = Instant::now();
    let mut conn = Conn {
        session_id,
        reg,
        cursor: Cow::Borrowed(START),
        work: Work::default(),
        rate: RateLimit::new(ctx.settings.limits.rate()),
        last_seen: now,
        ticks: 0,
        beats: 0,
        own_session: true,
    };
    async move {
        metrics::gauge!(telemetry::SESSIONS).increment(1.0);
        metrics::counter!(telemetry::SESSIONS_OPENED).increment(1);
        // One timer for both the stream poll and the heartbeat, kept inside the task (a
        // tokio Interval boxes its timer: two of them were two more allocations).
        let timer = tokio::time::sleep(POLL_EVERY);
        tokio::pin!(timer);
        let close = 'session: {
            if let Some(close) = Box::pin(greet(&ctx, &conn, secret, &mut out)).await {
                break 'session close;
            }
            loop {
                // Shutdown, eviction and new results all come through the one signal: each
                // waiting primitive would cost every idle session its own waiter.
                let has_pending = conn.work.has_pending();
                let event = tokio::select! {
                    () = conn.reg.signals.notified() => Event::Signal,
                    () = &mut timer => Event::Tick,
                    frame = stream.recv() => Event::Frame(frame),
                    Some(outcome) = conn.work.next_submitted(), if has_pending => {
                        Event::Submitted(Box::new(outcome))
                    }
                };
                if matches!(event, Event::Tick) {
                    timer.as_mut().reset(Instant::now() + POLL_EVERY);
                }
                if let Some(close) = Box::pin(handle(&ctx, &mut conn, event, &mut out)).await {
                    break 'session close;
                }
            }
        };
        Box::pin(finish(&ctx, conn, out, close)).await;
    }
}

async fn greet(ctx: &SessionContext, conn: &Conn, secret: Secret, out: &mut Writer) -> Close {
    if let Err(e) = ctx
        .ledger
        .store()
        .register_session(&conn.session_id, secret.hash())
        .await
    {
        // A secret the store does not keep could never resume the session: start over later.
        metrics::counter!(telemetry::STORE_ERRORS, "op" => "session").increment(1);
        tracing::warn!(session = %redact(&conn.session_id), error = %e, "could not store the session's secret");
        let msg = ServerMessage::request_error(None, e.code(), e.to_string());
        if let Err(e) = out.send(&msg).await {
            return on_send_error(e);
        }
        closed("store_unavailable");
        return Some(Some(reason(
            CloseCode::Other(CLOSE_TRY_AGAIN),
            "result store unavailable",
        )));
    }
    let hello = ServerMessage::Session {
        session_id: conn.session_id.clone(),
        resume_secret: secret.into_exposed(),
        protocol: protocol::PROTOCOL_VERSION,
        max_variants: ctx.settings.frames.max_variants,
        max_frame_bytes: ctx.settings.frames.max_frame_bytes,
        reference: ctx.settings.reference.clone().map(Box::new),
    };
    out.send(&hello).await.err().and_then(on_send_error)
}

async fn finish(ctx: &SessionContext, conn: Conn, out: Writer, close: Option<CloseReason>) {
    ctx.registry
        .unregister(&conn.session_id, conn.reg.connection);
    metrics::gauge!(telemetry::SESSIONS).decrement(1.0);
    tracing::info!(session = %redact(&conn.session_id), "session closed");
    // Its secret lives on for the TTL from now: the client may come back to resume.
    let touched = tokio::time::timeout(
        ctx.settings.limits.send_timeout,
        ctx.ledger.store().touch_session(&conn.session_id),
    )
    .await;
    if !matches!(touched, Ok(Ok(()))) {
        tracing::debug!(session = %redact(&conn.session_id), "could not refresh the session's secret");
    }
    // The peer may already be gone; there is no one left to report a failed close to.
    let _ = tokio::time::timeout(ctx.settings.limits.send_timeout, out.ws.close(close)).await;
}

async fn handle(ctx: &SessionContext, conn: &mut Conn, event: Event, out: &mut Writer) -> Close {
    match event {
        Event::Signal if conn.reg.signals.restarting() => {
            // Whatever is not yet sent stays in the stream for the resume.
            closed("restart");
            Some(Some(reason(CloseCode::Restart, "server restarting")))
        }
        Event::Signal if conn.reg.signals.evicted() => {
            closed("resumed_elsewhere");
            Some(Some(reason(
                CloseCode::Other(CLOSE_RESUMED_ELSEWHERE),
                "session resumed by another connection",
            )))
        }
        // Held back while a submission is pending, so `accepted` precedes its results: the
        // submission's end reads the stream.
        Event::Signal if conn.work.has_pending() => None,
        Event::Signal => drain(ctx, conn, out).await,
        Event::Tick => on_tick(ctx, conn, out).await,
        Event::Frame(frame) => {
            conn.last_seen = Instant::now();
            on_frame(ctx, conn, frame, out).await
        }
        Event::Submitted(outcome) => on_submitted(ctx, conn, *outcome, out).await,
    }
}

/// Every [`POLL_EVERY`]: the heartbeat when due, then a read of the stream (notifications
/// are best effort, the stream is not).
async fn on_tick(ctx: &SessionContext, conn: &mut Conn, out: &mut Writer) -> Close {
    conn.ticks = conn.ticks.saturating_add(1);
    if u32::from(conn.ticks) >= HEARTBEAT_TICKS {
        conn.ticks = 0;
        if conn.last_seen.elapsed() > CLIENT_TIMEOUT {
            tracing::debug!(session = %redact(&conn.session_id), "closing idle session");
            closed("idle");
            return Some(Some(reason(CloseCode::Away, "idle timeout")));
        }
        if let Err(e) = out.ping().await {
            return on_send_error(e);
        }
        conn.beats = conn.beats.saturating_add(1);
        if conn.beats >= ctx.settings.limits.refresh_beats() {
            conn.beats = 0;
            // Best effort: a failure leaves the TTL of the last refresh, retried next time.
            if let Err(e) = ctx.ledger.store().touch_session(&conn.session_id).await {
                tracing::debug!(error = %e, "could not refresh the session's secret");
            }
        }
    }
    if conn.work.has_pending() {
        return None;
    }
    drain(ctx, conn, out).await
}

/// Sends every stream entry after the connection's cursor.
async fn drain(ctx: &SessionContext, conn: &mut Conn, out: &mut Writer) -> Close {
    let batch = ctx.settings.limits.read_batch.max(1);
    loop {
        let entries = match ctx
            .ledger
            .store()
            .read(&conn.session_id, &conn.cursor, batch)
            .await
        {
            Ok(Read::Entries(entries)) => entries,
            Ok(Read::Gap) => {
                return lost(
                    out,
                    "results_dropped",
                    "results after your last cursor were dropped (client too slow or session expired); start a new session and resubmit",
                    "results dropped: client too slow",
                )
                .await;
            }
            Ok(Read::Expired) => {
                return lost(
                    out,
                    "expired",
                    "results after your last cursor were evicted to keep the gateway within its memory (oldest completed sessions first); start a new session and resubmit",
                    "results expired",
                )
                .await;
            }
            Err(e) => {
                // Retried on the next wake-up or poll; the entries are not lost.
                metrics::counter!(telemetry::STORE_ERRORS, "op" => "read").increment(1);
                tracing::warn!(session = %redact(&conn.session_id), error = %e, "could not read the session's results");
                return None;
            }
        };
        let n = entries.len();
        metrics::histogram!(telemetry::QUEUE_DEPTH).record(n as f64);
        for entry in entries {
            if entry.message.get("type").and_then(Value::as_str) == Some("complete") {
                if let Some(a) = entry.message.get("analysis_id").and_then(Value::as_str) {
                    conn.work.completed(a);
                }
            }
            if let Err(e) = out.send_value(&entry.message).await {
                return on_send_error(e);
            }
            conn.cursor = Cow::Owned(entry.cursor);
        }
        if n < batch {
            return None;
        }
    }
}

/// Frames the client has not seen are gone: it is told why (`code`) and closed with 4008.
async fn lost(out: &mut Writer, code: &'static str, message: &str, close: &str) -> Close {
    closed(code);
    let msg = ServerMessage::request_error(None, code, message.to_owned());
    if let Err(e) = out.send(&msg).await {
        return on_send_error(e);
    }
    Some(Some(reason(CloseCode::Other(CLOSE_SLOW_CONSUMER), close)))
}

/// Handles one incoming frame.
async fn on_frame(
    ctx: &SessionContext,
    conn: &mut Conn,
    frame: Option<Result<AggregatedMessage, ProtocolError>>,
    out: &mut Writer,
) -> Close {
    let sent = match frame {
        None => return Some(None),
        Some(Err(ProtocolError::Overflow)) => {
            closed("frame_too_large");
            return Some(Some(reason(CloseCode::Size, "frame too large")));
        }
        Some(Err(e)) => {
            tracing::debug!(session = %redact(&conn.session_id), error = %e, "websocket protocol error");
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
            return on_text(ctx, conn, &text, out).await;
        }
    };
    sent.err().and_then(on_send_error)
}

/// Boxed: the refusal travels as an `Err` and the reply is large next to `()`.
fn refuse(request_id: Option<String>, code: &'static str, message: String) -> Box<ServerMessage> {
    metrics::counter!(telemetry::LIMIT_REJECTIONS, "code" => code).increment(1);
    Box::new(ServerMessage::request_error(request_id, code, message))
}

async fn on_text(ctx: &SessionContext, conn: &mut Conn, text: &str, out: &mut Writer) -> Close {
    let reply = match protocol::decode(text, ctx.settings.frames) {
        Err((request_id, e)) => {
            metrics::counter!(telemetry::MESSAGES_IN, "type" => "invalid").increment(1);
            tracing::debug!(session = %redact(&conn.session_id), code = e.code(), "rejected client frame");
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
            resume_secret,
            last_seen,
        }) => {
            metrics::counter!(telemetry::MESSAGES_IN, "type" => "resume").increment(1);
            if conn.work.is_busy() {
                ServerMessage::request_error(
                    None,
                    "resume_not_allowed",
                    "resume must come before this connection submits anything".to_owned(),
                )
            } else {
                return resume(ctx, conn, session_id, resume_secret, last_seen, out).await;
            }
        }
        Ok(ClientMessage::Analyze {
            request_id,
            variants,
            traceparent,
        }) => {
            metrics::counter!(telemetry::MESSAGES_IN, "type" => "analyze").increment(1);
            match admit(ctx, conn, &request_id, variants.len()) {
                Err(refusal) => *refusal,
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
                            conn.work.submit(fut, count);
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
) -> Result<(), Box<ServerMessage>> {
    let id = || Some(request_id.to_owned());
    let rate = ctx.settings.limits.rate();
    if let Err(wait) = conn.rate.take(rate, std::time::Instant::now()) {
        return Err(refuse(
            id(),
            "rate_limited",
            format!(
                "at most {} requests per minute; retry in {} ms",
                ctx.settings.limits.rate_per_minute,
                wait.as_millis()
            ),
        ));
    }
    if conn.work.analyses() >= MAX_ANALYSES_PER_SESSION {
        return Err(refuse(
            id(),
            "too_many_analyses",
            format!("at most {MAX_ANALYSES_PER_SESSION} analyses may be in progress per session"),
        ));
    }
    let inflight = conn.work.variants();
    let max = ctx.settings.limits.max_inflight_variants;
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

/// Moves this connection to the session it names, if it presents that session's secret.
/// Without it nothing happens to the session (its socket stays, nothing is replayed) and
/// this connection stays in its own.
async fn resume(
    ctx: &SessionContext,
    conn: &mut Conn,
    session_id: String,
    resume_secret: Option<String>,
    last_seen: Option<String>,
    out: &mut Writer,
) -> Close {
    if let Err(e) = secret::authorize(
        ctx.ledger.store().as_ref(),
        &session_id,
        resume_secret.as_deref(),
    )
    .await
    {
        metrics::counter!(telemetry::AUTH_FAILURES, "code" => e.code()).increment(1);
        tracing::info!(code = e.code(), "resume refused");
        let msg = ServerMessage::request_error(None, e.code(), e.to_string());
        return out.send(&msg).await.err().and_then(on_send_error);
    }
    let signals = ctx
        .registry
        .rebind(&conn.session_id, &session_id, conn.reg.connection);
    let connection = conn.reg.connection.to_string();
    if let Err(e) = ctx.ledger.store().evict(&session_id, &connection).await {
        tracing::warn!(error = %e, "could not tell other replicas about the resume");
    }
    metrics::counter!(telemetry::SESSIONS_RESUMED).increment(1);
    tracing::info!(from = %redact(&conn.session_id), to = %redact(&session_id), "session resumed");
    // The fresh session this connection leaves can never be used: its secret goes (not
    // that of a session it had resumed: that one may be resumed again); the resumed one's
    // lives on from now.
    if conn.own_session {
        conn.own_session = false;
        if let Err(e) = ctx.ledger.store().forget_session(&conn.session_id).await {
            tracing::debug!(error = %e, "could not drop the abandoned session's secret");
        }
    }
    if let Err(e) = ctx.ledger.store().touch_session(&session_id).await {
        tracing::debug!(error = %e, "could not refresh the resumed session's secret");
    }
    conn.session_id = session_id.clone();
    conn.reg.signals = signals;
    conn.cursor = last_seen.map_or(Cow::Borrowed(START), Cow::Owned);
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
    let count = conn.work.take_placeholder(outcome.variant_count);
    let analysis_id = outcome.meta.analysis_id.clone();
    let msgs = match submit::finish(&ctx.ledger, outcome).await {
        Finished::Accepted(msgs) => {
            conn.work.accepted(analysis_id, count);
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
