//! `pipeline-load`: sustained, bounded load through the whole pipeline, with the count check.
//! N sessions each run M analyses of V variants back to back (closed loop) until done or
//! the time limit; every variant must end exactly once (annotation or typed error).
//!
//! Usage:
//!   pipeline-load gateway  <ws-url>   <sessions> <analyses> <variants> <max-secs> <variants-file> [pid...]
//!   pipeline-load function <http-url> <sessions> <analyses> <variants> <max-secs> <variants-file> [pid...]
//! `gateway`: WebSocket `analyze` requests to a gateway (which sends them to the function);
//! `function`: the same chunks as CloudEvents POSTed to a vep-function without K_SINK (inline
//! replies), the reference without the gateway. `pid`s: processes whose RSS is reported.
//! Prints a summary and one `RESULT key=value ...` line for bench/pipeline_load.sh.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;

#[derive(Default)]
struct Outcome {
    latencies: Vec<Duration>,
    annotated: u64,
    failed: u64,
    /// Analyses that ended in an error instead of a result (code or transport failure).
    errors: Vec<String>,
    lost: u64,
    duplicated: u64,
}

impl Outcome {
    fn merge(&mut self, other: Outcome) {
        self.latencies.extend(other.latencies);
        self.annotated += other.annotated;
        self.failed += other.failed;
        self.errors.extend(other.errors);
        self.lost += other.lost;
        self.duplicated += other.duplicated;
    }

    /// Adds one analysis' endings: `ends[i]` = how often input `i` ended (as result, error).
    fn settle(&mut self, ends: &[(u32, u32)]) {
        for &(r, e) in ends {
            match (r, e) {
                (0, 0) => self.lost += 1,
                (1, 0) => self.annotated += 1,
                (0, 1) => self.failed += 1,
                _ => self.duplicated += 1,
            }
        }
    }
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// Marks the distinct input indices of a result's annotations and errors.
fn mark_result(frame: &Value, ends: &mut [(u32, u32)]) {
    let indices = |field: &str| -> Vec<usize> {
        let mut v: Vec<usize> = frame[field]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x["input_index"].as_u64())
                    .filter_map(|i| usize::try_from(i).ok())
                    .collect()
            })
            .unwrap_or_default();
        v.sort_unstable();
        v.dedup();
        v
    };
    let annotated = indices("annotations");
    for i in &annotated {
        if let Some(e) = ends.get_mut(*i) {
            e.0 += 1;
        }
    }
    for i in indices("errors") {
        if annotated.binary_search(&i).is_err() {
            if let Some(e) = ends.get_mut(i) {
                e.1 += 1;
            }
        }
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_json(ws: &mut Socket, deadline: Instant) -> anyhow::Result<Value> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Err(_) => bail!("time limit"),
            Ok(None) => bail!("socket closed"),
            Ok(Some(Err(e))) => bail!("socket error: {e}"),
            Ok(Some(Ok(Message::Text(t)))) => return Ok(serde_json::from_str(&t)?),
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// One WebSocket session running its analyses one after the other.
async fn gateway_session(
    url: String,
    id: usize,
    batches: Vec<Vec<String>>,
    deadline: Instant,
) -> Outcome {
    let mut out = Outcome::default();
    let mut ws = match tokio_tungstenite::connect_async(url.as_str()).await {
        Ok((ws, _)) => ws,
        Err(e) => {
            out.errors.push(format!("connect: {e}"));
            for b in &batches {
                out.lost += b.len() as u64;
            }
            return out;
        }
    };
    for (a, variants) in batches.iter().enumerate() {
        let request_id = format!("s{id}-a{a}");
        let started = Instant::now();
        let mut ends = vec![(0u32, 0u32); variants.len()];
        let msg = json!({"type": "analyze", "request_id": request_id, "variants": variants});
        if let Err(e) = ws.send(Message::Text(msg.to_string().into())).await {
            out.errors.push(format!("send: {e}"));
            out.settle(&ends);
            continue;
        }
        loop {
            let f = match next_json(&mut ws, deadline).await {
                Ok(f) => f,
                Err(e) => {
                    out.errors.push(e.to_string());
                    break;
                }
            };
            if f["request_id"] != request_id.as_str() {
                continue;
            }
            match f["type"].as_str() {
                Some("result") => mark_result(&f, &mut ends),
                Some("error") if f["analysis_id"].is_null() => {
                    out.errors
                        .push(f["code"].as_str().unwrap_or("error").to_owned());
                    ends.iter_mut().for_each(|e| e.1 += 1);
                    break;
                }
                Some("error") => {
                    // A failed chunk; with one chunk per analysis it covers every variant.
                    out.errors
                        .push(f["code"].as_str().unwrap_or("error").to_owned());
                    ends.iter_mut().for_each(|e| e.1 += 1);
                }
                Some("complete") => {
                    let sum =
                        f["annotated"].as_u64().unwrap_or(0) + f["failed"].as_u64().unwrap_or(0);
                    if sum != variants.len() as u64 {
                        out.errors
                            .push(format!("complete counts {sum} of {}", variants.len()));
                    }
                    out.latencies.push(started.elapsed());
                    break;
                }
                _ => {}
            }
        }
        out.settle(&ends);
    }
    let _ = ws.close(None).await;
    out
}

/// The reference: the same chunks straight to the function, inline replies; signed with
/// `key` (the function's `EVENT_SIGNING_KEY_FILE`) unless it runs insecure.
async fn function_session(
    http: reqwest::Client,
    url: String,
    id: usize,
    batches: Vec<Vec<String>>,
    deadline: Instant,
    key: Option<std::sync::Arc<contract::signing::SigningKey>>,
) -> Outcome {
    let mut out = Outcome::default();
    for (a, variants) in batches.iter().enumerate() {
        let analysis = format!("load-s{id}-a{a}");
        let session = format!("load-s{id}");
        let data = json!({"analysis_id": analysis, "session_id": session, "request_id": analysis,
                          "chunk_index": 0, "chunk_count": 1, "first_index": 0, "variants": variants});
        let started = Instant::now();
        let mut ends = vec![(0u32, 0u32); variants.len()];
        let left = deadline.saturating_duration_since(Instant::now());
        let body = data.to_string().into_bytes();
        let partition = format!("{analysis}:0");
        let mut req = http
            .post(&url)
            .timeout(left.max(Duration::from_millis(1)))
            .header("ce-specversion", "1.0")
            .header("ce-id", analysis.as_str())
            .header("ce-source", "urn:pipeline-load")
            .header("ce-type", "dev.genomics.variants.submitted.v1")
            .header(
                "ce-dataschema",
                "urn:genomics:schemas:variants-submitted:v1",
            )
            .header("ce-sessionid", session.as_str())
            .header("ce-analysisid", analysis.as_str())
            .header("ce-partitionkey", partition.as_str())
            .header("content-type", "application/json");
        if let Some(key) = &key {
            let signature = key.sign(&contract::signing::Signed {
                ty: "dev.genomics.variants.submitted.v1",
                id: &analysis,
                source: "urn:pipeline-load",
                session: &session,
                analysis: &analysis,
                partition: &partition,
                content_type: "application/json",
                data: &body,
            });
            req = req.header(
                format!("ce-{}", contract::signing::EXT_SIGNATURE),
                signature,
            );
        }
        let sent = req.body(body).send().await;
        let body = match sent {
            Ok(r) if r.status().as_u16() == 200 => r.bytes().await.ok(),
            Ok(r) => {
                out.errors.push(format!("HTTP {}", r.status()));
                None
            }
            Err(e) => {
                out.errors.push(format!("request: {e}"));
                None
            }
        };
        // An annotated part (the compact encoding) or a failure (JSON).
        let decoded = body.and_then(|b| match contract::wire::decode(&b) {
            Ok(part) => serde_json::to_value(part).ok(),
            Err(_) => serde_json::from_slice::<Value>(&b).ok(),
        });
        if let Some(v) = decoded {
            if v["annotations"].is_array() {
                mark_result(&v, &mut ends);
                out.latencies.push(started.elapsed());
            } else {
                out.errors
                    .push(v["code"].as_str().unwrap_or("failed").to_owned());
                ends.iter_mut().for_each(|e| e.1 += 1);
            }
        }
        out.settle(&ends);
    }
    out
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 8 {
        bail!("usage: pipeline-load gateway|function <url> <sessions> <analyses> <variants> <max-secs> <variants-file> [pid...]");
    }
    let mode = args[1].clone();
    let url = args[2].clone();
    let sessions: usize = args[3].parse().context("sessions")?;
    let analyses: usize = args[4].parse().context("analyses")?;
    let per: usize = args[5].parse().context("variants")?;
    let max_secs: u64 = args[6].parse().context("max-secs")?;
    let pool: Vec<String> = std::fs::read_to_string(&args[7])
        .with_context(|| format!("reading {}", args[7]))?
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').take(5).collect::<Vec<_>>().join(" "))
        .collect();
    if pool.is_empty() {
        bail!("{} holds no variants", args[7]);
    }
    let pids: Vec<u32> = args[8..].iter().filter_map(|p| p.parse().ok()).collect();
    // The key the function verifies submissions with (bench/lib.sh exports it).
    let key = match std::env::var_os(contract::signing::KEY_FILE) {
        Some(path) => Some(std::sync::Arc::new(
            contract::signing::SigningKey::from_file(std::path::Path::new(&path))
                .context("the event signing key")?,
        )),
        None => None,
    };
    let rss_before: Vec<Option<u64>> = pids.iter().map(|p| rss_kib(*p)).collect();

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(sessions)
        .build()?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(max_secs);
    let mut tasks = JoinSet::new();
    let mut next = 0usize;
    for s in 0..sessions {
        let batches: Vec<Vec<String>> = (0..analyses)
            .map(|_| {
                let b = (0..per)
                    .map(|k| pool[(next + k) % pool.len()].clone())
                    .collect();
                next += per;
                b
            })
            .collect();
        match mode.as_str() {
            "gateway" => tasks.spawn(gateway_session(url.clone(), s, batches, deadline)),
            "function" => tasks.spawn(function_session(
                http.clone(),
                url.clone(),
                s,
                batches,
                deadline,
                key.clone(),
            )),
            other => bail!("unknown mode {other}"),
        };
    }
    let mut total = Outcome::default();
    while let Some(done) = tasks.join_next().await {
        total.merge(done.context("a session task panicked")?);
    }
    let wall = started.elapsed().as_secs_f64();
    let rss_after: Vec<Option<u64>> = pids.iter().map(|p| rss_kib(*p)).collect();
    total.latencies.sort_unstable();
    let submitted = (sessions * analyses * per) as u64;
    let ended = total.annotated + total.failed;
    let throughput = ended as f64 / wall;
    let (p50, p95, p99) = (
        percentile(&total.latencies, 0.50),
        percentile(&total.latencies, 0.95),
        percentile(&total.latencies, 0.99),
    );
    println!("{mode}: {sessions} sessions x {analyses} analyses x {per} variants in {wall:.1} s (limit {max_secs} s)");
    println!(
        "  variants: submitted {submitted}, annotated {}, typed errors {}, lost {}, duplicated {}",
        total.annotated, total.failed, total.lost, total.duplicated
    );
    println!("  throughput {throughput:.0} variants/s; analysis latency p50 {p50:.0} ms, p95 {p95:.0} ms, p99 {p99:.0} ms ({} analyses timed)", total.latencies.len());
    let mut codes = total.errors.clone();
    codes.sort();
    codes.dedup();
    println!("  analysis errors: {} {:?}", total.errors.len(), codes);
    let rss: Vec<String> = pids
        .iter()
        .zip(rss_before.iter().zip(&rss_after))
        .map(|(p, (b, a))| format!("{p}:{}->{}", b.unwrap_or(0), a.unwrap_or(0)))
        .collect();
    println!("  RSS KiB before->after: {}", rss.join(" "));
    println!(
        "RESULT mode={mode} submitted={submitted} annotated={} failed={} lost={} duplicated={} errors={} wall_s={wall:.2} throughput={throughput:.1} p50_ms={p50:.1} p95_ms={p95:.1} p99_ms={p99:.1} rss_kib={}",
        total.annotated, total.failed, total.lost, total.duplicated, total.errors.len(), rss.join(",")
    );
    if total.lost > 0 || total.duplicated > 0 {
        bail!(
            "count check failed: {} lost, {} duplicated",
            total.lost,
            total.duplicated
        );
    }
    Ok(())
}
