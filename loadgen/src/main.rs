//! `gateway-load`: opens N WebSocket sessions against a gateway (or the echo reference),
//! holds them, then measures the round trip of protocol pings at a fixed message rate and,
//! against a gateway, the annotation throughput (results per second).
//!
//! Usage: gateway-load <ws-url> <sessions> <rate-sessions> <seconds> [<pid>] [--analyze N]
//! - <rate-sessions>: sessions that each send one ping per second during the timed phase.
//! - <pid>: the server process, for its RSS before and after the sessions open.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const PING: &str = r#"{"type":"ping"}"#;

fn rss_kib(pid: Option<u32>) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn open(url: &str) -> anyhow::Result<Socket> {
    let (socket, _) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(url),
    )
    .await
    .context("connect timed out")??;
    Ok(socket)
}

/// Reads text frames until `pred` matches one, skipping the rest (greetings, echoes).
async fn until(socket: &mut Socket, pred: impl Fn(&str) -> bool) -> anyhow::Result<()> {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), socket.next()).await {
            Ok(Some(Ok(Message::Text(t)))) if pred(&t) => return Ok(()),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => bail!("socket error: {e}"),
            Ok(None) => bail!("socket closed"),
            Err(_) => bail!("no answer within 30 s"),
        }
    }
}

fn is_pong(t: &str) -> bool {
    // The gateway answers {"type":"pong"}; the echo server returns the ping itself.
    t.contains("\"pong\"") || t == PING
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        bail!("usage: gateway-load <ws-url> <sessions> <rate-sessions> <seconds> [<pid>] [--analyze N]");
    }
    let url = args[1].clone();
    let sessions: usize = args[2].parse().context("sessions")?;
    let rate_sessions: usize = args[3].parse().context("rate-sessions")?;
    let seconds: u64 = args[4].parse().context("seconds")?;
    let pid: Option<u32> = args.get(5).and_then(|p| p.parse().ok());
    let analyze: usize = args
        .iter()
        .position(|a| a == "--analyze")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);

    let rss_before = rss_kib(pid);
    let mut sockets = Vec::with_capacity(sessions);
    let started = Instant::now();
    for i in 0..sessions {
        match open(&url).await {
            Ok(s) => sockets.push(s),
            Err(e) => {
                eprintln!("session {i}: {e}");
                break;
            }
        }
    }
    let open_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = rss_kib(pid);
    let held = sockets.len();
    println!("sessions_held {held} (opened in {open_secs:.1} s)");
    if let (Some(b), Some(a)) = (rss_before, rss_after) {
        let per = (a.saturating_sub(b) as f64) * 1024.0 / held.max(1) as f64;
        println!("rss_kib_before {b} rss_kib_after {a} bytes_per_idle_session {per:.0}");
    }

    // Timed phase: `rate_sessions` sessions each ping once a second.
    let (tx, mut rx) = mpsc::channel::<Duration>(1024);
    let mut active = Vec::new();
    for _ in 0..rate_sessions.min(held) {
        if let Some(s) = sockets.pop() {
            active.push(s);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for (i, mut s) in active.into_iter().enumerate() {
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            // Spread the sessions over the second so the rate is even.
            let offset =
                Duration::from_micros((i as u64 * 1_000_000) / rate_sessions.max(1) as u64);
            tokio::time::sleep(offset).await;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            while Instant::now() < deadline {
                tick.tick().await;
                let t0 = Instant::now();
                if s.send(Message::Text(PING.into())).await.is_err() {
                    return s;
                }
                if until(&mut s, is_pong).await.is_err() {
                    return s;
                }
                let _ = tx.send(t0.elapsed()).await;
            }
            s
        }));
    }
    drop(tx);
    let mut rtts = Vec::new();
    while let Some(d) = rx.recv().await {
        rtts.push(d);
    }
    for t in tasks {
        if let Ok(s) = t.await {
            sockets.push(s);
        }
    }
    rtts.sort();
    println!(
        "round_trips {} at {} msg/s: p50_ms {:.2} p99_ms {:.2}",
        rtts.len(),
        rate_sessions.min(held),
        percentile(&rtts, 0.50).as_secs_f64() * 1000.0,
        percentile(&rtts, 0.99).as_secs_f64() * 1000.0
    );

    if analyze > 0 {
        let t0 = Instant::now();
        let mut done = 0usize;
        let mut runs = Vec::new();
        for (i, mut s) in sockets.drain(..).take(analyze).enumerate() {
            runs.push(tokio::spawn(async move {
                let frame = format!(
                    r#"{{"type":"analyze","request_id":"load-{i}","variants":["21 25585733 . C T"]}}"#
                );
                s.send(Message::Text(frame.into())).await.ok()?;
                until(&mut s, |t| {
                    serde_json::from_str::<Value>(t)
                        .map(|v| v["type"] == "complete")
                        .unwrap_or(false)
                })
                .await
                .ok()
            }));
        }
        for r in runs {
            if let Ok(Some(())) = r.await {
                done += 1;
            }
        }
        let secs = t0.elapsed().as_secs_f64();
        println!(
            "analyses_completed {done} in {secs:.2} s: results_per_s {:.1}",
            done as f64 / secs.max(f64::MIN_POSITIVE)
        );
    }
    Ok(())
}
