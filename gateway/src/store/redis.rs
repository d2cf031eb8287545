//! The shared store: per-session Redis Streams (bounded by MAXLEN, expiring), analysis
//! bookkeeping in hashes and sets, dedup markers with a TTL, and a pub/sub channel that wakes
//! the replica holding a session.
//!
//! Two `ConnectionManager`s: one for commands, one (RESP3) that only listens on the wake
//! channel. Both reconnect on their own after a Redis restart; the listener resubscribes, and
//! every local session then re-reads its stream, since notifications may have been missed.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{PushInfo, PushKind, Value};

use super::{Entry, Read, Store, StoreError, StreamLimits};
use crate::analysis::ranges::{ChunkError, ChunkStarts, Covers, Span};
use crate::analysis::record::{AnalysisMeta, Frames, Ingested, Overdue, Record};
use crate::credential::SecretHash;
use crate::frames::frame;
use crate::registry::Registry;

const WAKE_CHANNEL: &str = "gw:wake";
const EVICT_CHANNEL: &str = "gw:evict";
/// Analysis ids scored by the unix ms at which their outstanding chunks time out.
const DEADLINES: &str = "gw:deadlines";
/// Per command; a stalled Redis must not pin a session task or an event handler.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Reconnection attempts per failed command: few, so a dead Redis fails requests quickly
/// with `store_unavailable` instead of blocking them (the next command tries again).
const RETRIES: usize = 2;

/// How often the idle listener checks its connection (and so reconnects after a restart).
const LISTENER_PING: Duration = Duration::from_secs(1);

const INGEST: &str = include_str!("redis/ingest.lua");

#[derive(Clone)]
pub struct RedisStore {
    commands: ConnectionManager,
    limits: StreamLimits,
    ingest: Arc<redis::Script>,
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_number_of_retries(RETRIES)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_millis(500))
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
}

fn analysis_key(id: &str) -> String {
    format!("gw:a:{id}")
}
/// Accepted input ranges per chunk (`analysis::ranges`, kept by `ingest.lua`).
fn ranges_key(id: &str) -> String {
    format!("gw:a:{id}:ranges")
}
/// Where each chunk starts (and, at index `chunk_count`, the variant count).
fn starts_key(id: &str) -> String {
    format!("gw:a:{id}:starts")
}
fn stream_key(session: &str) -> String {
    format!("gw:s:{session}")
}
fn seq_key(session: &str) -> String {
    format!("gw:s:{session}:seq")
}
fn dedup_key(key: &str) -> String {
    format!("gw:d:{key}")
}
/// The SHA-256 (hex) of the session's resume secret; never the secret itself.
fn secret_key(session: &str) -> String {
    format!("gw:s:{session}:secret")
}

impl RedisStore {
    /// Connects lazily: a Redis that is down at start-up does not delay it; commands fail
    /// with `store_unavailable` until it is back.
    pub fn connect(
        url: &str,
        limits: StreamLimits,
        registry: Arc<Registry>,
    ) -> Result<Self, StoreError> {
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::Protocol(format!("invalid REDIS_URL: {e}")))?;
        let commands =
            ConnectionManager::new_lazy_with_config(client, config()).map_err(unavailable)?;
        let listener_url = if url.contains('?') {
            format!("{url}&protocol=resp3")
        } else {
            format!("{url}?protocol=resp3")
        };
        let listener_client = redis::Client::open(listener_url)
            .map_err(|e| StoreError::Protocol(format!("invalid REDIS_URL: {e}")))?;
        // The listener wakes this replica's sockets: it owns the registry handle.
        let on_push = move |push: PushInfo| -> Result<(), redis::aio::SendError> {
            on_push(&registry, push);
            Ok(())
        };
        let listener = ConnectionManager::new_lazy_with_config(
            listener_client,
            config()
                .set_push_sender(on_push)
                .set_automatic_resubscription(),
        )
        .map_err(unavailable)?;
        tokio::spawn(subscribe(listener));
        Ok(Self {
            commands,
            limits,
            ingest: Arc::new(redis::Script::new(INGEST)),
        })
    }

    /// Now plus the chunk timeout, in unix ms (replicas' clocks are assumed NTP-close).
    fn deadline_ms(&self) -> i64 {
        let now = chrono::Utc::now().timestamp_millis();
        let timeout = i64::try_from(self.limits.chunk_timeout.as_millis()).unwrap_or(i64::MAX);
        now.saturating_add(timeout)
    }

    fn ttl_secs(&self) -> i64 {
        i64::try_from(self.limits.ttl.as_secs().max(1)).unwrap_or(i64::MAX)
    }

    async fn try_ingest(&self, record: &Record) -> Result<String, redis::RedisError> {
        let mut con = self.commands.clone();
        let (kind, span) = match record.covers {
            Covers::Range(span) => ("range", span),
            Covers::Chunk => ("chunk", Span::new(0, 0)),
            Covers::Remainder => ("rest", Span::new(0, 0)),
        };
        let reply: String = self
            .ingest
            .key(dedup_key(&record.dedup_key))
            .key(analysis_key(&record.analysis_id))
            .key(ranges_key(&record.analysis_id))
            .key(stream_key(&record.session_id))
            .key(seq_key(&record.session_id))
            .key(DEADLINES)
            .key(starts_key(&record.analysis_id))
            .arg(&record.session_id)
            .arg(record.chunk_index)
            .arg(record.chunk_count)
            .arg(record.annotated)
            .arg(record.failed)
            .arg(&record.message)
            .arg(self.limits.max_len)
            .arg(self.ttl_secs())
            .arg(&record.analysis_id)
            .arg(WAKE_CHANNEL)
            .arg(self.deadline_ms())
            .arg(if record.result { "1" } else { "0" })
            .arg(kind)
            .arg(span.first)
            .arg(span.count)
            .invoke_async(&mut con)
            .await?;
        Ok(reply)
    }

    /// A session's secret lives as long as results of its analyses may still arrive.
    fn secret_ttl_secs(&self) -> i64 {
        let ttl = self.limits.ttl.saturating_add(self.limits.chunk_timeout);
        i64::try_from(ttl.as_secs().max(1)).unwrap_or(i64::MAX)
    }
}

#[async_trait]
impl Store for RedisStore {
    async fn begin(&self, meta: &AnalysisMeta) -> Result<(), StoreError> {
        let key = analysis_key(&meta.analysis_id);
        let mut cmd = redis::pipe();
        cmd.atomic()
            .hset_multiple(
                &key,
                &[
                    ("session", meta.session_id.as_str()),
                    ("request", meta.request_id.as_str()),
                    ("chunks", &meta.chunk_count().to_string()),
                    ("variants", &meta.variant_count.to_string()),
                ],
            )
            .ignore();
        let starts_key = starts_key(&meta.analysis_id);
        let starts: Vec<(usize, u64)> =
            meta.chunks.as_slice().iter().copied().enumerate().collect();
        cmd.hset_multiple(&starts_key, &starts).ignore();
        cmd.expire(&starts_key, self.ttl_secs()).ignore();
        cmd.zadd(DEADLINES, &meta.analysis_id, self.deadline_ms())
            .ignore();
        if let Some(t) = &meta.traceparent {
            cmd.hset(&key, "traceparent", t).ignore();
        }
        if meta.frames != Frames::All {
            cmd.hset(&key, "frames", meta.frames.as_str()).ignore();
        }
        cmd.expire(&key, self.ttl_secs()).ignore();
        let mut con = self.commands.clone();
        cmd.query_async::<()>(&mut con).await.map_err(unavailable)
    }

    async fn abandon(&self, analysis_id: &str) -> Result<(), StoreError> {
        let mut con = self.commands.clone();
        redis::pipe()
            .atomic()
            .del(&[
                analysis_key(analysis_id),
                ranges_key(analysis_id),
                starts_key(analysis_id),
            ])
            .ignore()
            .zrem(DEADLINES, analysis_id)
            .ignore()
            .query_async::<()>(&mut con)
            .await
            .map_err(unavailable)
    }

    async fn progress(&self, analysis_id: &str) -> Result<Option<(u64, u64)>, StoreError> {
        let mut con = self.commands.clone();
        let fields: Vec<Option<u64>> = redis::cmd("HMGET")
            .arg(analysis_key(analysis_id))
            .arg("chunks")
            .arg("annotated")
            .arg("failed")
            .query_async(&mut con)
            .await
            .map_err(unavailable)?;
        Ok(match fields.as_slice() {
            [Some(_), annotated, failed] => Some((annotated.unwrap_or(0), failed.unwrap_or(0))),
            _ => None,
        })
    }

    async fn overdue(&self, max: usize) -> Result<Vec<Overdue>, StoreError> {
        let mut con = self.commands.clone();
        let now = chrono::Utc::now().timestamp_millis();
        let ids: Vec<String> = redis::cmd("ZRANGEBYSCORE")
            .arg(DEADLINES)
            .arg("-inf")
            .arg(now)
            .arg("LIMIT")
            .arg(0)
            .arg(max)
            .query_async(&mut con)
            .await
            .map_err(unavailable)?;
        let mut out = Vec::new();
        for id in ids {
            type Fields = (
                Vec<Option<String>>,
                std::collections::HashMap<u64, u64>,
                std::collections::HashMap<u64, String>,
            );
            let (fields, starts, ranges): Fields = redis::pipe()
                .hmget(
                    analysis_key(&id),
                    &[
                        "session",
                        "request",
                        "chunks",
                        "traceparent",
                        "variants",
                        "frames",
                    ],
                )
                .hgetall(starts_key(&id))
                .hgetall(ranges_key(&id))
                .query_async(&mut con)
                .await
                .map_err(unavailable)?;
            let field = |i: usize| fields.get(i).cloned().flatten();
            let number = |i: usize| field(i).and_then(|v| v.parse::<u64>().ok());
            let (Some(session_id), Some(request_id), Some(chunk_count)) =
                (field(0), field(1), number(2))
            else {
                // Completed or expired meanwhile: nothing is outstanding.
                redis::cmd("ZREM")
                    .arg(DEADLINES)
                    .arg(&id)
                    .query_async::<()>(&mut con)
                    .await
                    .map_err(unavailable)?;
                continue;
            };
            let variant_count = number(4).unwrap_or(0);
            let starts: Vec<u64> = (0..chunk_count)
                .map(|i| starts.get(&i).copied().unwrap_or(u64::MAX))
                .collect();
            let Some(chunks) = ChunkStarts::new(starts, variant_count) else {
                return Err(StoreError::Protocol(format!(
                    "analysis {} has no valid chunk starts",
                    crate::telemetry::redact(&id)
                )));
            };
            let missing = (0..chunk_count)
                .filter(|i| {
                    let covered: u64 = ranges
                        .get(i)
                        .map(|r| parse_spans(r).iter().map(|s| s.count).sum())
                        .unwrap_or(0);
                    covered < chunks.span(*i).map_or(0, |s| s.count)
                })
                .collect();
            out.push(Overdue {
                meta: AnalysisMeta {
                    session_id,
                    analysis_id: id,
                    request_id,
                    traceparent: field(3),
                    variant_count,
                    chunks,
                    frames: Frames::parse(field(5).as_deref()),
                },
                missing,
            });
        }
        Ok(out)
    }

    async fn ingest(&self, record: &Record) -> Result<Ingested, StoreError> {
        let reply = match self.try_ingest(record).await {
            // The first command on a connection Redis dropped (a restart) fails while the
            // manager reconnects. The script is idempotent (dedup marker), so one retry is
            // safe and spares the sender a redelivery.
            Err(e) if e.is_connection_dropped() || e.is_io_error() => {
                tracing::debug!(error = %e, "redis connection dropped, retrying the ingest once");
                self.try_ingest(record).await
            }
            other => other,
        }
        .map_err(unavailable)?;
        parse_ingest_reply(&reply, record)
    }

    async fn read(&self, session_id: &str, after: &str, count: usize) -> Result<Read, StoreError> {
        let mut con = self.commands.clone();
        let fresh = after == super::START;
        // Inclusive of the cursor itself: finding it proves nothing after it was trimmed.
        let start = if fresh { "-" } else { after };
        let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(stream_key(session_id))
            .arg(start)
            .arg("+")
            .arg("COUNT")
            .arg(count + 1)
            .query_async(&mut con)
            .await
            .map_err(|e| {
                if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError) {
                    StoreError::Protocol(e.to_string())
                } else {
                    unavailable(e)
                }
            })?;
        let mut ids = reply.ids.into_iter().peekable();
        if fresh {
            // A fresh reader must see entry 1, or the start was trimmed.
            if let Some(first) = ids.peek() {
                if seq_of(first) != Some(1) {
                    return Ok(Read::Gap);
                }
            }
        } else {
            match ids.next() {
                Some(first) if first.id == after => {}
                _ => return Ok(Read::Gap),
            }
        }
        let mut out = Vec::new();
        for id in ids.take(count) {
            let seq = seq_of(&id).ok_or_else(|| {
                StoreError::Protocol(format!("stream entry {} has no sequence", id.id))
            })?;
            let message: String = id
                .get("m")
                .ok_or_else(|| StoreError::Protocol(format!("entry {} has no frame", id.id)))?;
            let request_id: Option<String> = id.get("r");
            let traceparent: Option<String> = id.get("t");
            let message = frame(
                &message,
                request_id.as_deref(),
                traceparent.as_deref(),
                &id.id,
            )?;
            out.push(Entry {
                cursor: id.id,
                seq,
                message,
            });
        }
        Ok(Read::Entries(out))
    }

    async fn register_session(&self, session_id: &str, hash: SecretHash) -> Result<(), StoreError> {
        let mut con = self.commands.clone();
        redis::cmd("SET")
            .arg(secret_key(session_id))
            .arg(hash.to_hex())
            .arg("EX")
            .arg(self.secret_ttl_secs())
            .query_async::<()>(&mut con)
            .await
            .map_err(unavailable)
    }

    async fn session_secret(&self, session_id: &str) -> Result<Option<SecretHash>, StoreError> {
        let mut con = self.commands.clone();
        let hex: Option<String> = redis::cmd("GET")
            .arg(secret_key(session_id))
            .query_async(&mut con)
            .await
            .map_err(unavailable)?;
        match hex {
            None => Ok(None),
            Some(h) => SecretHash::from_hex(&h).map(Some).ok_or_else(|| {
                StoreError::Protocol("a stored session secret is not a hash".into())
            }),
        }
    }

    async fn touch_session(&self, session_id: &str) -> Result<(), StoreError> {
        let mut con = self.commands.clone();
        redis::cmd("EXPIRE")
            .arg(secret_key(session_id))
            .arg(self.secret_ttl_secs())
            .query_async::<()>(&mut con)
            .await
            .map_err(unavailable)
    }

    async fn forget_session(&self, session_id: &str) -> Result<(), StoreError> {
        let mut con = self.commands.clone();
        redis::cmd("DEL")
            .arg(secret_key(session_id))
            .query_async::<()>(&mut con)
            .await
            .map_err(unavailable)
    }

    async fn evict(&self, session_id: &str, connection: &str) -> Result<(), StoreError> {
        let mut con = self.commands.clone();
        redis::cmd("PUBLISH")
            .arg(EVICT_CHANNEL)
            .arg(format!("{session_id} {connection}"))
            .query_async::<()>(&mut con)
            .await
            .map_err(unavailable)
    }
}

fn seq_of(id: &redis::streams::StreamId) -> Option<u64> {
    id.get::<u64>("n")
}

/// `f+n,f+n` (the Lua script's form of ranges).
fn parse_spans(text: &str) -> Vec<Span> {
    text.split(',')
        .filter_map(|r| {
            let (first, count) = r.split_once('+')?;
            Some(Span::new(first.parse().ok()?, count.parse().ok()?))
        })
        .collect()
}

fn parse_ingest_reply(reply: &str, record: &Record) -> Result<Ingested, StoreError> {
    let unexpected = || StoreError::Protocol(format!("unexpected ingest reply {reply:?}"));
    let mut fields = reply.split(':');
    let status = fields.next().unwrap_or_default();
    let mut number = || {
        fields
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(unexpected)
    };
    let span = match record.covers {
        Covers::Range(span) => span,
        _ => Span::new(0, 0),
    };
    Ok(match status {
        "duplicate" => Ingested::Duplicate,
        "unknown" => Ingested::UnknownAnalysis,
        "appended" => {
            let completed = number()? == 1;
            let (annotated, failed) = (number()?, number()?);
            let filled = parse_spans(reply.rsplit(':').next().unwrap_or_default());
            Ingested::Appended {
                completed,
                annotated,
                failed,
                filled,
            }
        }
        "count_mismatch" => Ingested::Rejected(ChunkError::CountMismatch {
            expected: number()?,
            got: record.chunk_count,
        }),
        "out_of_range" => Ingested::Rejected(ChunkError::OutOfRange {
            index: record.chunk_index,
            count: number()?,
        }),
        "outside" => {
            let chunk = Span::new(number()?, number()?);
            Ingested::Rejected(ChunkError::OutsideChunk {
                index: record.chunk_index,
                span: if span.count == 0 { chunk } else { span },
                chunk,
            })
        }
        "overlap" => Ingested::Rejected(ChunkError::Overlap {
            index: record.chunk_index,
            span,
        }),
        "miscounted" => Ingested::Rejected(ChunkError::Miscounted {
            span,
            counted: number()?,
        }),
        _ => return Err(unexpected()),
    })
}

/// Subscribes the listener, retrying until Redis is reachable; then pings it every second,
/// because the manager reconnects only when a command fails, and resubscribes on reconnect.
async fn subscribe(mut listener: ConnectionManager) {
    let mut delay = Duration::from_millis(100);
    loop {
        match listener.subscribe(&[WAKE_CHANNEL, EVICT_CHANNEL]).await {
            Ok(()) => break,
            Err(e) => {
                tracing::warn!(error = %e, "redis subscription failed, retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
        }
    }
    tracing::info!("listening for session wake-ups on redis");
    loop {
        tokio::time::sleep(LISTENER_PING).await;
        if let Err(e) = redis::cmd("PING").query_async::<Value>(&mut listener).await {
            tracing::debug!(error = %e, "redis listener ping failed");
        }
    }
}

fn on_push(registry: &Registry, push: PushInfo) {
    match push.kind {
        PushKind::Message => {
            let (Some(channel), Some(payload)) = (push.data.first(), push.data.get(1)) else {
                return;
            };
            let (Some(channel), Some(payload)) = (text(channel), text(payload)) else {
                return;
            };
            if channel == WAKE_CHANNEL {
                registry.wake(&payload);
            } else if channel == EVICT_CHANNEL {
                if let Some((session, connection)) = payload.split_once(' ') {
                    registry.evict(session, connection);
                }
            }
        }
        // (Re)subscribed, e.g. after a Redis restart: notifications may have been missed.
        PushKind::Subscribe => registry.wake_all(),
        PushKind::Disconnection => tracing::warn!("redis listener disconnected, reconnecting"),
        _ => {}
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}
